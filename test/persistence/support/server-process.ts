import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { TEST_ENV } from '../../support/app.js';
import { within } from '../../support/clients.js';
import { MAIN_JS, ROOT } from '../../support/dist.js';

export { ensureBuilt, MAIN_JS } from '../../support/dist.js';

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
    let waiting = true;
    const poll = (async () => {
      // Stops with the wait: a start that failed or timed out leaves no poller behind.
      while (waiting) {
        const ok = await fetch(`${this.url}/health/ready`).then(
          (response) => response.status === 200,
          () => false,
        );
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await within(Promise.race([poll, exitedEarly]), `server at ${this.url} to be ready`, ms);
    } finally {
      waiting = false;
    }
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
