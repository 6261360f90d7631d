import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { within } from '../../support/clients.js';
import { ensureBuilt, MAIN_JS, ROOT } from '../../support/dist.js';

/** dist/main.js, built (when older than src/) the way the rest of the suite builds it. */
export async function buildServer(): Promise<string> {
  await ensureBuilt();
  return MAIN_JS;
}

const MEMORY_PROBE = fileURLToPath(new URL('./memory-probe.mjs', import.meta.url));

/** What the server process holds after full garbage collections (see memory-probe.mjs). */
export interface RetainedMemory {
  heapUsed: number;
  /** Memory of C++ objects bound to JavaScript ones. */
  external: number;
  /** ArrayBuffers, Buffers among them (what sockets have not written yet); not always part of external. */
  arrayBuffers: number;
}

export interface StartOptions {
  /** Preload the memory probe (and expose gc) so retainedMemory() can ask the process. */
  memoryProbe?: boolean;
}

/**
 * Limits that would shape the tests rather than what they test: every socket.io handshake here
 * comes from 127.0.0.1. A test that wants the defaults passes them explicitly.
 */
const TEST_LIMITS: Record<string, string> = {
  HANDSHAKE_RATE_PER_SECOND: '100000',
  HANDSHAKE_RATE_BURST: '100000',
  REST_RATE_PER_SECOND: '100000',
  REST_RATE_BURST: '100000',
  ADMIN_REST_RATE_PER_SECOND: '100000',
  ADMIN_REST_RATE_BURST: '100000',
};

/** The gateway as its own process, with stdout and stderr captured for log checks. */
export class ServerProcess {
  private output = '';
  private exited = false;
  url = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.once('exit', () => (this.exited = true));
  }

  /** Starts `node dist/main.js` on a free port and waits for its "listening" log line. */
  static async start(env: Record<string, string>, options: StartOptions = {}): Promise<ServerProcess> {
    const main = await buildServer();
    const args = options.memoryProbe ? ['--expose-gc', '--import', MEMORY_PROBE, main] : [main];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATABASE_URL: 'sqlite::memory:',
        ...TEST_LIMITS,
        ...env,
      },
      stdio: options.memoryProbe ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    });
    // A test run that ends abruptly must not leave a server behind.
    const orphanGuard = (): void => void child.kill('SIGKILL');
    process.once('exit', orphanGuard);
    child.once('exit', () => process.off('exit', orphanGuard));
    const server = new ServerProcess(child);
    try {
      server.url = await within(server.listeningUrl(), 'the server process to listen', 30_000);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.exited && this.child.exitCode === null;
  }

  /** Everything the process wrote so far (stdout and stderr). */
  get log(): string {
    return this.output;
  }

  /** Parsed JSON log lines (non-JSON lines are returned as { raw }). */
  get entries(): Array<Record<string, unknown>> {
    return this.output
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line) as Record<string, unknown>;
        } catch {
          return { raw: line };
        }
      });
  }

  /** Resident set size in bytes, from /proc. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    if (kb === undefined) throw new Error('VmRSS missing from /proc status');
    return Number(kb) * 1024;
  }

  /** The process's heap and external memory after full GCs (needs the memoryProbe start option). */
  retainedMemory(): Promise<RetainedMemory> {
    const child = this.child;
    if (!child.send) throw new Error('started without the memory probe');
    return within(
      new Promise<RetainedMemory>((resolve) => {
        child.once('message', (message) => resolve(message as RetainedMemory));
        child.send!('memory');
      }),
      'the memory probe to answer',
    );
  }

  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await within(exited, 'the server process to exit', 15_000).catch(() => this.child.kill('SIGKILL'));
  }

  private listeningUrl(): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const entry = this.entries.find((e) => e.msg === 'chat gateway listening');
        if (typeof entry?.url === 'string') {
          this.child.stdout?.off('data', check);
          resolve(entry.url);
        } else if (this.exited) {
          reject(new Error(`server process exited before listening:\n${this.output}`));
        }
      };
      this.child.stdout?.on('data', check);
      this.child.once('exit', check);
    });
  }
}
