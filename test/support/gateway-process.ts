import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, MAIN_JS, ROOT } from './dist.js';
import { TEST_LIMITS } from './test-limits.js';
import { within } from './wait.js';

/**
 * The one way a test or the benchmark starts a server as its own process: `node dist/main.js`
 * (or another entry, such as the benchmark's reference server), with its output captured and its
 * JSON log lines parsed, a ready wait, its exit status, signals, an optional probe for memory and
 * profiles over IPC, and a guard that kills it if the test run ends first.
 *
 * It imports nothing but Node and its siblings in test/support, so bench/tsconfig.json compiles it
 * into the benchmark as it is.
 */

/** The start-up line main.ts logs once the server accepts connections; it carries the URL. */
const LISTENING = 'chat gateway listening';
const PROBE_URL = pathToFileURL(join(ROOT, 'test', 'support', 'process-probe.mjs')).href;
const STDERR_TAIL_CHARS = 2000;

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What the probe reports: process.memoryUsage() after full garbage collections. */
export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** Memory of C++ objects bound to JavaScript ones. */
  external: number;
  /** ArrayBuffers, Buffers among them (what sockets have not written yet); not always part of external. */
  arrayBuffers: number;
}

/** Requests to the probe (test/support/process-probe.mjs) and its answers. */
export type ProbeRequest =
  | { kind: 'memory'; collect: boolean }
  | { kind: 'profile-start'; intervalMicros: number }
  | { kind: 'profile-stop'; path: string }
  | { kind: 'heap-snapshot'; path: string };
export type ProbeReply = ({ kind: 'memory' } & MemorySample) | { kind: 'done' };
type ProbeMessage = { seq: number; ok: true; reply: ProbeReply } | { seq: number; ok: false; error: string };

/**
 * Where the child's environment starts from, before `env` is laid over it:
 * - `test`: PATH and TEST_PROCESS_ENV (in-memory SQLite, port 0, JSON logs at info, TEST_LIMITS);
 * - `bare`: PATH only, as a fresh deployment has it (configuration tests);
 * - `inherit`: this process's whole environment (the benchmark, so NODE_OPTIONS and the like reach
 *   the servers it compares).
 */
export type BaseEnv = 'test' | 'bare' | 'inherit';

/**
 * How start() knows the server is up:
 * - `listening`: main.ts's "chat gateway listening" log line (needs LOG_LEVEL info or lower); the
 *   URL, port included, comes from it, so PORT may be 0;
 * - `http`: any HTTP answer on PORT (which must be fixed), for servers that do not log that line.
 */
export type ReadyWhen = 'listening' | 'http';

export interface GatewayProcessOptions {
  baseEnv?: BaseEnv;
  /** The script to run; dist/main.js by default, built first when it is older than src/. */
  entry?: string;
  cwd?: string;
  /** Node flags before the entry, e.g. --max-old-space-size. */
  nodeFlags?: string[];
  /** Preload the probe (and expose gc) behind an IPC channel, for memory() and the profiles. */
  probe?: boolean;
  ready?: ReadyWhen;
  readyTimeoutMs?: number;
  /** Also append everything the process writes to this file. */
  logFile?: string;
  /**
   * Keep every output line in memory for assertions (default). A long benchmark run turns it off
   * and keeps the log in logFile and only the tail of stderr for error messages.
   */
  capture?: boolean;
  /** Names the process in errors; NODE_ID or the entry's file name otherwise. */
  name?: string;
}

/**
 * The environment every test process starts from (`baseEnv: 'test'`): an in-memory database, an
 * ephemeral port on loopback, JSON logs at info (start() waits for the listening line, tests read
 * the records) and the limits that would otherwise shape the tests.
 */
export const TEST_PROCESS_ENV: Readonly<Record<string, string>> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  LOG_PRETTY: 'false',
  DATABASE_URL: 'sqlite::memory:',
  ...TEST_LIMITS,
};

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const DEFAULT_STOP_TIMEOUT_MS = 15_000;

/** Processes still running; killed if this process exits first, so a run never leaves one behind. */
const running = new Set<ChildProcess>();
let orphanGuardInstalled = false;

function guardAgainstOrphans(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (orphanGuardInstalled) return;
  orphanGuardInstalled = true;
  process.once('exit', () => {
    for (const orphan of running) orphan.kill('SIGKILL');
  });
}

/** A TCP port that was free a moment ago (the OS picks it), for a server that must be told its port. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function childEnv(base: BaseEnv, env: Record<string, string | undefined>): Record<string, string> {
  const start: Record<string, string | undefined> =
    base === 'inherit'
      ? { ...process.env }
      : base === 'test'
        ? { PATH: process.env.PATH, ...TEST_PROCESS_ENV }
        : { PATH: process.env.PATH };
  // An undefined value unsets: the child must not see the variable at all.
  return Object.fromEntries(Object.entries({ ...start, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

export class GatewayProcess {
  /** Every line the process wrote, stdout and stderr, in arrival order (unless capture is off). */
  readonly lines: string[] = [];
  /** Resolves when the process has exited and its output is all in (no timeout: wrap it in within()). */
  readonly exited: Promise<ExitStatus>;
  /** http://host:port, known once start() resolves. */
  url = '';

  private readonly records: Array<Record<string, unknown>> = [];
  private stdoutText = '';
  private stderrText = '';
  private tail = '';
  private readonly log?: WriteStream;
  private readonly capture: boolean;
  private gone = false;
  private onLine?: (line: string) => void;
  private probeSeq = 0;
  private readonly probeWaiting = new Map<number, { resolve: (reply: ProbeReply) => void; reject: (error: Error) => void }>();

  private constructor(
    private readonly child: ChildProcess,
    readonly name: string,
    private readonly env: Record<string, string>,
    options: GatewayProcessOptions,
  ) {
    this.capture = options.capture ?? true;
    if (options.logFile) this.log = createWriteStream(options.logFile);
    this.collect(child.stdout, false);
    this.collect(child.stderr, true);
    child.on('message', (message: ProbeMessage) => this.probeAnswered(message));
    child.once('exit', () => {
      this.gone = true;
      for (const waiter of this.probeWaiting.values()) waiter.reject(new Error(`${this.name} exited`));
      this.probeWaiting.clear();
    });
    // 'close', not 'exit': by then stdout and stderr have ended, so a test reading the output of a
    // process that stopped by itself sees all of it.
    this.exited = new Promise((resolve) => {
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => resolve({ code, signal }));
      // A process that could not be spawned (a missing cwd, say) never runs: it has exited.
      child.on('error', (error) => {
        if (child.pid !== undefined) return;
        this.gone = true;
        this.tail += `could not start: ${error.message}`;
        resolve({ code: null, signal: null });
      });
    });
  }

  /** Spawns and returns at once: for a process expected to stop by itself (see exit()). */
  static spawn(env: Record<string, string | undefined> = {}, options: GatewayProcessOptions = {}): GatewayProcess {
    const entry = options.entry ?? MAIN_JS;
    const merged = childEnv(options.baseEnv ?? 'test', env);
    const args = [...(options.probe ? ['--expose-gc', '--import', PROBE_URL] : []), ...(options.nodeFlags ?? []), entry];
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? ROOT,
      env: merged,
      stdio: options.probe ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
      serialization: options.probe ? 'advanced' : 'json',
    });
    guardAgainstOrphans(child);
    return new GatewayProcess(child, options.name ?? merged.NODE_ID ?? basename(entry), merged, options);
  }

  /**
   * Spawns and resolves once the server is up (see ReadyWhen); kills it and rejects, with its
   * output, if it exits or is not up in time. dist/main.js is built first when it is stale.
   */
  static async start(env: Record<string, string | undefined> = {}, options: GatewayProcessOptions = {}): Promise<GatewayProcess> {
    if (options.entry === undefined) await ensureBuilt();
    const server = GatewayProcess.spawn(env, options);
    try {
      server.url = await within(
        options.ready === 'http' ? server.answersHttp() : server.listening(),
        `${server.name} to be up`,
        options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      );
    } catch (error) {
      await server.kill();
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${server.lines.join('\n') || server.tail}`, {
        cause: error,
      });
    }
    return server;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return !this.gone && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything written to stdout / stderr so far (empty with capture off). */
  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** The last characters written to stderr, kept even with capture off. */
  get stderrTail(): string {
    return this.tail.trim();
  }

  /** Output lines parsed as JSON log records; a line that is not JSON is `{ raw: line }`. */
  get entries(): ReadonlyArray<Record<string, unknown>> {
    return this.records;
  }

  /** Log records whose message (`msg`) equals the string or matches the pattern. */
  logs(message: string | RegExp): Array<Record<string, unknown>> {
    return this.records.filter((record) => {
      const msg = String(record.msg ?? '');
      return typeof message === 'string' ? msg === message : message.test(msg);
    });
  }

  /** Sends a signal (SIGTERM to drain, SIGUSR2 to a preload, ...); nothing once it has exited. */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** Resolves with the exit status once the process stops by itself, or rejects after `ms`. */
  exit(ms = DEFAULT_STOP_TIMEOUT_MS): Promise<ExitStatus> {
    return within(this.exited, `${this.name} to exit`, ms);
  }

  /** SIGKILL: no shutdown hook, no flush, nothing runs after this. */
  async kill(): Promise<ExitStatus> {
    this.signal('SIGKILL');
    const status = await this.exit();
    await this.closeLog();
    return status;
  }

  /** Graceful stop for cleanup: SIGTERM, then SIGKILL if it has not exited within `ms`. */
  async stop(ms = DEFAULT_STOP_TIMEOUT_MS): Promise<void> {
    if (this.alive) {
      this.signal('SIGTERM');
      const stopped = await within(this.exited, `${this.name} to stop on SIGTERM`, ms).then(
        () => true,
        () => false,
      );
      if (!stopped) {
        this.signal('SIGKILL');
        await this.exit();
      }
    }
    await this.closeLog();
  }

  /** Resident set size in bytes, from /proc; throws once the process is gone. */
  rssBytes(): number {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1];
    if (kb === undefined) throw new Error(`VmRSS missing from /proc/${this.pid}/status`);
    return Number(kb) * 1024;
  }

  /** What the process holds after full garbage collections (needs the probe option). */
  async memory(): Promise<MemorySample> {
    const reply = await this.probe({ kind: 'memory', collect: true });
    if (reply.kind !== 'memory') throw new Error(`${this.name} probe: unexpected reply ${reply.kind}`);
    const { kind: _kind, ...sample } = reply;
    return sample;
  }

  async startProfile(intervalMicros = 200): Promise<void> {
    await this.probe({ kind: 'profile-start', intervalMicros });
  }

  /** Stops the CPU profile and writes it (a .cpuprofile) to `path`. */
  async stopProfile(path: string): Promise<void> {
    await this.probe({ kind: 'profile-stop', path });
  }

  async heapSnapshot(path: string): Promise<void> {
    await this.probe({ kind: 'heap-snapshot', path });
  }

  private probe(request: ProbeRequest, ms = 120_000): Promise<ProbeReply> {
    const send = this.child.send?.bind(this.child);
    if (!send) return Promise.reject(new Error(`${this.name} was started without the probe option`));
    if (!this.alive) return Promise.reject(new Error(`${this.name} exited`));
    const seq = this.probeSeq++;
    const answered = new Promise<ProbeReply>((resolve, reject) => {
      this.probeWaiting.set(seq, { resolve, reject });
      send({ seq, request });
    });
    return within(answered, `${this.name} probe to answer ${request.kind}`, ms).finally(() => this.probeWaiting.delete(seq));
  }

  private probeAnswered(message: ProbeMessage): void {
    const waiter = this.probeWaiting.get(message.seq);
    if (!waiter) return;
    this.probeWaiting.delete(message.seq);
    if (message.ok) waiter.resolve(message.reply);
    else waiter.reject(new Error(`${this.name} probe: ${message.error}`));
  }

  /** Splits each stream into lines on its own, so stdout and stderr never mix within a line. */
  private collect(stream: NodeJS.ReadableStream | null, isStderr: boolean): void {
    let pending = '';
    const line = (text: string): void => {
      if (text.length === 0) return;
      if (this.capture) {
        this.lines.push(text);
        this.records.push(parseRecord(text));
      }
      this.onLine?.(text);
    };
    // Decoded by the stream, so a character split across two chunks stays whole.
    stream?.setEncoding('utf8');
    stream?.on('data', (text: string) => {
      this.log?.write(text);
      if (isStderr) this.tail = (this.tail + text).slice(-STDERR_TAIL_CHARS);
      if (this.capture && isStderr) this.stderrText += text;
      else if (this.capture) this.stdoutText += text;
      const parts = (pending + text).split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) line(part);
    });
    stream?.on('end', () => line(pending));
  }

  private listening(): Promise<string> {
    return new Promise((resolve, reject) => {
      const seen = this.logs(LISTENING)[0];
      if (typeof seen?.url === 'string') return resolve(seen.url);
      this.onLine = (text) => {
        if (!text.includes(LISTENING)) return;
        const record = parseRecord(text);
        if (record.msg === LISTENING && typeof record.url === 'string') {
          this.onLine = undefined;
          resolve(record.url);
        }
      };
      void this.exited.then((status) => reject(new Error(`${this.name} exited (${status.signal ?? status.code}) before it listened`)));
    });
  }

  private async answersHttp(): Promise<string> {
    const port = Number(this.env.PORT);
    if (!Number.isInteger(port) || port <= 0) throw new Error(`${this.name}: ready: 'http' needs a fixed PORT, not ${this.env.PORT}`);
    const host = !this.env.HOST || this.env.HOST === '0.0.0.0' ? '127.0.0.1' : this.env.HOST;
    let waiting = true;
    const exitedFirst = this.exited.then((status) => {
      if (waiting) throw new Error(`${this.name} exited (${status.signal ?? status.code}) before it answered HTTP`);
    });
    try {
      await Promise.race([
        exitedFirst,
        (async () => {
          // Stops with the wait: a start that failed or timed out leaves no poller behind.
          while (waiting && !(await answers(host, port))) await new Promise((resolve) => setTimeout(resolve, 100));
        })(),
      ]);
    } finally {
      waiting = false;
    }
    return `http://${host}:${port}`;
  }

  private async closeLog(): Promise<void> {
    const log = this.log;
    if (!log || log.closed || log.writableEnded) return;
    await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}

function parseRecord(line: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Not a JSON log line: a start-up failure, a warning from Node, a pretty-printed log.
  }
  return { raw: line };
}

/** True once anything answers an HTTP request on host:port (any status: the server is up). */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/health', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}
