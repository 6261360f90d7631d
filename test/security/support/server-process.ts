import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { within } from '../../support/clients.js';
import { ensureBuilt, MAIN_JS, ROOT } from '../../support/dist.js';

/** dist/main.js, built (when older than src/) the way the rest of the suite builds it. */
export async function buildServer(): Promise<string> {
  await ensureBuilt();
  return MAIN_JS;
}

/** REST limits out of the way of tests that call REST often; the tests of those limits set their own. */
const HIGH_REST_LIMITS: Record<string, string> = {
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
  static async start(env: Record<string, string>): Promise<ServerProcess> {
    const main = await buildServer();
    const child = spawn(process.execPath, [main], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: 'sqlite::memory:', ...HIGH_REST_LIMITS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
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
