import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TEST_ENV } from '../../support/app.js';
import { within } from '../../support/clients.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MAIN_JS = join(ROOT, 'dist', 'main.js');
const BUILD_TIMEOUT_MS = 120_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ with the production tsconfig unless it is newer than every source file. */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(MAIN_JS) && statSync(MAIN_JS).mtimeMs > newestMtime(join(ROOT, 'src'))) return;
  await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    timeout: BUILD_TIMEOUT_MS,
  });
}

/** A port that was free a moment ago (the server cannot report port 0 back to a test). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** `node dist/main.js` as its own process, as production runs it. */
export class ServerProcess {
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<ExitResult>;

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      stdout: this.stdout,
      stderr: this.stderr,
    }));
  }

  /** Spawns with the test defaults plus `env` (undefined unsets a variable). */
  static spawn(env: Record<string, string | undefined>, options: { port?: number; cwd?: string } = {}): ServerProcess {
    const port = options.port ?? 0;
    const merged: Record<string, string | undefined> = { PATH: process.env.PATH, ...TEST_ENV, LOG_LEVEL: 'warn', PORT: String(port), ...env };
    // An undefined value means "unset": the child must not see the variable at all.
    const childEnv = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const child = spawn(process.execPath, [MAIN_JS], {
      cwd: options.cwd ?? ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServerProcess(child, `http://127.0.0.1:${port}`);
  }

  /** Spawns on a free port and resolves once /health/ready answers 200. */
  static async start(env: Record<string, string | undefined>, options: { port?: number; cwd?: string } = {}): Promise<ServerProcess> {
    const server = ServerProcess.spawn(env, { ...options, port: options.port ?? (await freePort()) });
    await server.ready();
    return server;
  }

  async ready(ms = 20_000): Promise<void> {
    const exitedEarly = this.exited.then((result) => {
      throw new Error(`server exited before it was ready (code ${result.code}): ${result.stderr}`);
    });
    const poll = (async () => {
      for (;;) {
        const ok = await fetch(`${this.url}/health/ready`).then(
          (response) => response.status === 200,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await within(Promise.race([poll, exitedEarly]), `server at ${this.url} to be ready`, ms);
  }

  /** Resolves when the process has exited by itself. */
  exit(ms = 20_000): Promise<ExitResult> {
    return within(this.exited, 'server process to exit', ms);
  }

  /** SIGKILL: no shutdown hook, no flush, nothing runs after this. */
  async kill(): Promise<ExitResult> {
    this.child.kill('SIGKILL');
    return this.exit();
  }

  /** Graceful stop, for cleanup. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await this.exit();
  }
}
