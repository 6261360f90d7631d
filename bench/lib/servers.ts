import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { processCpuSeconds, processRssBytes } from './proc.js';
import type { ProbeMessage, ProbeReply, ProbeRequest } from './probe-protocol.js';
import { sleep } from './stats.js';

export type ServerKind = 'gateway' | 'reference';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const PROBE_URL = pathToFileURL(fileURLToPath(new URL('./probe.js', import.meta.url))).href;
const REFERENCE_ENTRY = fileURLToPath(new URL('../reference-server.js', import.meta.url));
export const GATEWAY_ENTRY = join(REPO_ROOT, 'dist', 'main.js');
export const ADMIN_API_KEY = 'bench-admin-key';

/** The checkout a gateway build belongs to: `<root>/dist/main.js`. */
export function gatewayRootOf(entry: string): string {
  return dirname(dirname(entry));
}

/** Settings every benchmark gateway gets; limits are raised so they never shape the load. */
export function gatewayEnv(dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `sqlite:${join(dataDir, 'chat.db')}`,
    ADMIN_API_KEY,
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
    TYPING_RATE_LIMIT_PER_SECOND: '1000000',
    TYPING_RATE_LIMIT_BURST: '1000000',
    REST_RATE_PER_SECOND: '1000000',
    REST_RATE_BURST: '1000000',
    ADMIN_REST_RATE_PER_SECOND: '1000000',
    ADMIN_REST_RATE_BURST: '1000000',
    MAX_CONNECTIONS_PER_USER: '1000000',
    MAX_CONNECTIONS_PER_ADDRESS: '0',
    HANDSHAKE_RATE_PER_SECOND: '1000000',
    HANDSHAKE_RATE_BURST: '1000000',
    MAX_ROOMS_PER_SOCKET: '100000',
    // presence:online goes to every socket: O(n^2) while thousands connect, which the reference
    // does not do. Switched off so the figures compare the messaging path; see docs/benchmarks.md.
    PRESENCE_BROADCAST: 'false',
    SHUTDOWN_GRACE_MS: '0',
  };
}

export interface StartOptions {
  kind: ServerKind;
  /** The gateway build to run (another checkout's dist/main.js to compare branches). */
  gatewayEntry?: string;
  name: string;
  port: number;
  host: string;
  env: Record<string, string>;
  logDir: string;
  /** Extra node flags, e.g. --max-old-space-size. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** A server under test in its own process, with the probe preloaded for memory and profiles. */
export class ServerProcess {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (r: ProbeReply) => void; reject: (e: Error) => void }>();
  private exitReason?: string;
  private readonly log: WriteStream;
  private stderrTail = '';
  private stopped = false;

  private constructor(
    readonly options: StartOptions,
    readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    this.log = createWriteStream(logPath);
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.log.write(chunk);
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    child.on('message', (message: ProbeMessage) => {
      const waiter = this.waiting.get(message.seq);
      if (!waiter) return;
      this.waiting.delete(message.seq);
      if (message.ok) waiter.resolve(message.reply);
      else waiter.reject(new Error(`${options.name} probe: ${message.error}`));
    });
    child.on('exit', (code, signal) => {
      this.exitReason = `${options.name} exited (${signal ?? code})`;
      for (const waiter of this.waiting.values()) waiter.reject(new Error(this.exitReason));
      this.waiting.clear();
    });
  }

  static async start(options: StartOptions): Promise<ServerProcess> {
    mkdirSync(options.logDir, { recursive: true });
    const entry = options.kind === 'gateway' ? (options.gatewayEntry ?? GATEWAY_ENTRY) : REFERENCE_ENTRY;
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npm run bench:build)`);
    const args = ['--expose-gc', '--import', PROBE_URL, ...(options.nodeFlags ?? []), entry];
    const child = spawn(process.execPath, args, {
      cwd: options.kind === 'gateway' ? gatewayRootOf(entry) : REPO_ROOT,
      env: { ...process.env, ...options.env, PORT: String(options.port), HOST: options.host },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    liveChildren.add(child);
    child.on('exit', () => liveChildren.delete(child));
    const server = new ServerProcess(options, child, join(options.logDir, `${options.name}.log`));
    await server.waitReady(options.readyTimeoutMs ?? 30_000);
    return server;
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  get alive(): boolean {
    return this.exitReason === undefined;
  }

  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  rssBytes(): number {
    return processRssBytes(this.pid);
  }

  /** Memory after a full GC, as the process itself sees it. */
  async memory(): Promise<MemorySample> {
    const reply = await this.probe({ kind: 'memory', collect: true });
    if (reply.kind !== 'memory') throw new Error('unexpected probe reply');
    return { rss: reply.rss, heapUsed: reply.heapUsed, heapTotal: reply.heapTotal, external: reply.external };
  }

  async startProfile(intervalMicros = 200): Promise<void> {
    await this.probe({ kind: 'profile-start', intervalMicros });
  }

  async stopProfile(path: string): Promise<void> {
    await this.probe({ kind: 'profile-stop', path });
  }

  async heapSnapshot(path: string): Promise<void> {
    await this.probe({ kind: 'heap-snapshot', path });
  }

  /** The last lines the server wrote to stderr, for error messages. */
  get stderr(): string {
    return this.stderrTail.trim();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.alive) {
      const exited = new Promise<void>((done) => this.child.once('exit', () => done()));
      this.child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(8000).then(() => false)]);
      if (!killed) {
        this.child.kill('SIGKILL');
        await exited;
      }
    }
    await new Promise<void>((done) => this.log.end(() => done()));
  }

  private probe(request: ProbeRequest, timeoutMs = 120_000): Promise<ProbeReply> {
    if (this.exitReason) return Promise.reject(new Error(this.exitReason));
    const seq = this.seq++;
    return new Promise<ProbeReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`${this.name} probe ${request.kind} timed out`));
      }, timeoutMs);
      this.waiting.set(seq, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ seq, request });
    });
  }

  /** Ready once any HTTP request is answered (both servers answer 404 on an unknown path). */
  private async waitReady(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const host = this.options.host === '0.0.0.0' ? '127.0.0.1' : this.options.host;
    while (Date.now() < until) {
      if (!this.alive) throw new Error(`${this.exitReason}: ${this.stderr || 'no output'}`);
      if (await answers(host, this.options.port)) return;
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms: ${this.stderr || 'no output'}`);
  }
}

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host, port, path: '/bench-ready', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      done(true);
    });
    req.on('error', () => done(false));
    req.on('timeout', () => {
      req.destroy();
      done(false);
    });
    req.end();
  });
}

/** A TCP port that is free right now (the OS picks it; it is outside any port a client holds). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '0.0.0.0', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

/** Children that must not outlive the runner, even when it is interrupted. */
export const liveChildren = new Set<ChildProcess>();

export function killLiveChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}
