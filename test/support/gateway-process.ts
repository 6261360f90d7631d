import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { within } from './clients.js';

const ROOT = join(import.meta.dirname, '..', '..');
const START_TIMEOUT_MS = 15_000;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A real gateway process (`node dist/main.js`), its JSON log lines captured for assertions. */
export class GatewayProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<ExitStatus>;
  url = '';

  private constructor(private readonly child: ChildProcess) {
    let pending = '';
    const collect = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      this.lines.push(...parts.filter((line) => line.length > 0));
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Starts a node on an ephemeral port and waits for its "listening" log line. */
  static async start(env: Record<string, string>): Promise<GatewayProcess> {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_PRETTY: 'false', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const gateway = new GatewayProcess(child);
    gateway.url = await within(gateway.listening(), `gateway ${env.NODE_ID ?? ''} to listen`, START_TIMEOUT_MS);
    return gateway;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Log records (parsed JSON lines) whose message matches. */
  logs(message: string | RegExp): Array<Record<string, unknown>> {
    return this.lines.flatMap((line) => {
      try {
        const record = JSON.parse(line) as Record<string, unknown>;
        const msg = String(record.msg ?? '');
        return (typeof message === 'string' ? msg === message : message.test(msg)) ? [record] : [];
      } catch {
        return [];
      }
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.kill('SIGKILL');
    await this.exited;
  }

  private listening(): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const [record] = this.logs('chat gateway listening');
        if (record) return resolve(String(record.url));
        if (this.child.exitCode !== null) return reject(new Error(`gateway exited with ${this.child.exitCode}:\n${this.lines.join('\n')}`));
        setTimeout(check, 50);
      };
      check();
    });
  }
}
