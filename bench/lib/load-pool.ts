import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Histogram, type HistogramData } from './histogram.js';
import type {
  ConnectSpec,
  PhaseStats,
  ReaderSpec,
  SendResult,
  SenderSpec,
  WorkerEnvelope,
  WorkerReply,
  WorkerRequest,
  WorkerResults,
  WorkerStatus,
} from './load-protocol.js';
import { processCpuSeconds } from './proc.js';
import { liveChildren } from './servers.js';
import { sleep } from './stats.js';

const WORKER_PATH = fileURLToPath(new URL('./load-worker.js', import.meta.url));

/** One load process seen from the runner: request/response over IPC. */
class LoadWorker {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly child: ChildProcess;
  exited?: string;

  constructor(readonly index: number) {
    this.child = fork(WORKER_PATH, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    liveChildren.add(this.child);
    this.child.on('message', (reply: WorkerReply) => {
      const waiter = this.waiting.get(reply.seq);
      if (!waiter) return;
      this.waiting.delete(reply.seq);
      if (reply.ok) waiter.resolve(reply.result);
      else waiter.reject(new Error(`load process ${index}: ${reply.error}`));
    });
    this.child.on('exit', (code, signal) => {
      liveChildren.delete(this.child);
      this.exited = `load process ${index} exited (${signal ?? code})`;
      for (const waiter of this.waiting.values()) waiter.reject(new Error(this.exited));
      this.waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  call<K extends WorkerRequest['kind']>(request: Extract<WorkerRequest, { kind: K }>): Promise<WorkerResults[K]> {
    if (this.exited) return Promise.reject(new Error(this.exited));
    const seq = this.seq++;
    return new Promise<WorkerResults[K]>((resolve, reject) => {
      this.waiting.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ seq, request } satisfies WorkerEnvelope);
    });
  }
}

export interface ConnectSummary {
  opened: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  /** Connections per second over the whole batch. */
  rate: number;
  latency: ReturnType<Histogram['summary']>;
}

export interface PhaseSummary {
  sent: number;
  expected: number;
  skipped: number;
  delivered: number;
  stale: number;
  otherEvents: Record<string, number>;
  latency: Histogram;
  ackLatency: Histogram;
  acksOk: number;
  acksFailed: number;
  ackErrors: string[];
  reads: ReadSummary;
}

/** The `room:read` requests of a window and their acks (all zero in a window without reads). */
export interface ReadSummary {
  sent: number;
  /** Reads with a seq above the reader's previous read (a repeated seq moves no marker). */
  advancing: number;
  skipped: number;
  acksOk: number;
  /** Error acks: counted, never mixed into the sends' acks. */
  acksFailed: number;
  ackErrors: string[];
  ackLatency: Histogram;
}

/** Readers and how often each of them sends `room:read`. */
export interface ReadLoad {
  readers: ReaderSpec[];
  perReaderPerSec: number;
}

/**
 * The load processes of one run. Connections get global ids; each lives in exactly one
 * process (round-robin), so no process holds more than `maxPerWorker` sockets.
 */
export class LoadPool {
  private readonly workers: LoadWorker[];
  private readonly owner = new Map<number, LoadWorker>();
  private nextId = 0;
  private nextPhase = 1;
  /** Next worker per group: each server's connections are spread over all workers, however the specs interleave. */
  private readonly cursors = new Map<string, number>();

  constructor(workerCount: number) {
    this.workers = Array.from({ length: workerCount }, (_, i) => new LoadWorker(i));
  }

  get size(): number {
    return this.workers.length;
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  cpuSeconds(): number {
    return this.workers.reduce((sum, w) => sum + processCpuSeconds(w.pid), 0);
  }

  /** Allocates ids for new connections; they still have to be opened with `connect`. */
  allocate(count: number): number[] {
    return Array.from({ length: count }, () => this.nextId++);
  }

  async connect(specs: ConnectSpec[], concurrency: number, timeoutMs = 30_000): Promise<ConnectSummary> {
    const perWorker = this.workers.map(() => [] as ConnectSpec[]);
    for (const spec of specs) {
      const cursor = this.cursors.get(spec.group) ?? 0;
      this.cursors.set(spec.group, cursor + 1);
      const worker = this.workers[cursor % this.workers.length]!;
      this.owner.set(spec.id, worker);
      perWorker[worker.index]!.push(spec);
    }
    const lane = Math.max(1, Math.ceil(concurrency / this.workers.length));
    const started = performance.now();
    const results = await Promise.all(
      this.workers.map((w, i) =>
        perWorker[i]!.length ? w.call({ kind: 'connect', specs: perWorker[i]!, concurrency: lane, timeoutMs }) : undefined,
      ),
    );
    const elapsedMs = performance.now() - started;
    const done = results.filter((r) => r !== undefined);
    const opened = done.reduce((s, r) => s + r.opened, 0);
    return {
      opened,
      failed: done.reduce((s, r) => s + r.failed, 0),
      errors: done.flatMap((r) => r.errors).slice(0, 5),
      elapsedMs,
      rate: opened / (elapsedMs / 1000),
      latency: Histogram.from(done.map((r) => r.connectLatency)).summary(),
    };
  }

  async join(
    joins: Array<{ id: number; room: string }>,
    concurrency: number,
    timeoutMs = 30_000,
  ): Promise<{ joined: number; failed: number; errors: string[]; elapsedMs: number }> {
    const perWorker = this.split(joins);
    const lane = Math.max(1, Math.ceil(concurrency / this.workers.length));
    const started = performance.now();
    const results = await Promise.all(
      this.workers.map((w, i) =>
        perWorker[i]!.length ? w.call({ kind: 'join', joins: perWorker[i]!, concurrency: lane, timeoutMs }) : undefined,
      ),
    );
    const done = results.filter((r) => r !== undefined);
    return {
      joined: done.reduce((s, r) => s + r.joined, 0),
      failed: done.reduce((s, r) => s + r.failed, 0),
      errors: done.flatMap((r) => r.errors).slice(0, 5),
      elapsedMs: performance.now() - started,
    };
  }

  /** Starts a new counting phase everywhere; deliveries tagged with older phases are ignored. */
  async newPhase(): Promise<number> {
    const phase = this.nextPhase++;
    await Promise.all(this.workers.map((w) => w.call({ kind: 'phase', phase })));
    return phase;
  }

  /**
   * Offers `ratePerSec` sends (spread over the senders), and the reads of `readLoad` when given,
   * for `durationMs`, then waits until every expected delivery and ack arrived or `drainMs`
   * passed, and returns what the phase saw.
   */
  async measure(
    senders: SenderSpec[],
    ratePerSec: number,
    durationMs: number,
    drainMs: number,
    textBytes: number,
    readLoad?: ReadLoad,
  ): Promise<PhaseSummary> {
    const phase = await this.newPhase();
    const perWorker = this.split(senders);
    const readersPerWorker = this.split(readLoad?.readers ?? []);
    const sendResults = await Promise.all(
      this.workers.map((w, i) => {
        const own = perWorker[i]!;
        const readers = readersPerWorker[i]!;
        if (own.length === 0 && readers.length === 0) return undefined;
        const share = senders.length === 0 ? 0 : (ratePerSec * own.length) / senders.length;
        const readsPerSec = readers.length * (readLoad?.perReaderPerSec ?? 0);
        return w.call({ kind: 'send', phase, senders: own, ratePerSec: share, durationMs, textBytes, readers, readsPerSec });
      }),
    );
    const total = (pick: (r: SendResult) => number): number => sendResults.reduce((s, r) => s + (r ? pick(r) : 0), 0);
    const sent = total((r) => r.sent);
    const expected = total((r) => r.expected);
    const readsSent = total((r) => r.readsSent);
    const drainUntil = performance.now() + drainMs;
    while (performance.now() < drainUntil) {
      const counters = await Promise.all(this.workers.map((w) => w.call({ kind: 'counters' })));
      const delivered = counters.reduce((s, c) => s + c.delivered, 0);
      const acks = counters.reduce((s, c) => s + c.acks, 0);
      const readAcks = counters.reduce((s, c) => s + c.readAcks, 0);
      if (delivered >= expected && acks >= sent && readAcks >= readsSent) break;
      await sleep(25);
    }
    const collected = await Promise.all(this.workers.map((w) => w.call({ kind: 'collect' })));
    // Anything arriving from now on belongs to a finished phase.
    await this.newPhase();
    const merged = mergePhase(collected);
    return {
      sent,
      expected,
      skipped: total((r) => r.skipped),
      ...merged,
      reads: { ...merged.reads, sent: readsSent, advancing: total((r) => r.readsAdvancing), skipped: total((r) => r.readsSkipped) },
    };
  }

  /** Counts deliveries of something the runner triggers itself (e.g. an announcement over REST). */
  async observe(
    phase: number,
    expected: number,
    trigger: () => Promise<void>,
    waitMs: number,
  ): Promise<Omit<PhaseSummary, 'sent' | 'expected' | 'skipped' | 'reads'>> {
    await Promise.all(this.workers.map((w) => w.call({ kind: 'phase', phase })));
    await trigger();
    const until = performance.now() + waitMs;
    while (performance.now() < until) {
      const counters = await Promise.all(this.workers.map((w) => w.call({ kind: 'counters' })));
      if (counters.reduce((s, c) => s + c.delivered, 0) >= expected) break;
      await sleep(20);
    }
    const collected = await Promise.all(this.workers.map((w) => w.call({ kind: 'collect' })));
    return mergePhase(collected);
  }

  /**
   * After an overloaded step the server may still be flushing backlog; waits (up to maxMs)
   * until no more late deliveries arrive, so the next step starts on an idle server.
   */
  async quiesce(maxMs: number): Promise<number> {
    await this.newPhase();
    const until = performance.now() + maxMs;
    let last = -1;
    while (performance.now() < until) {
      await sleep(250);
      const collected = await Promise.all(this.workers.map((w) => w.call({ kind: 'collect' })));
      const stale = collected.reduce((s, c) => s + c.stale, 0);
      if (stale === last) return stale;
      last = stale;
    }
    return last;
  }

  reservePhase(): number {
    return this.nextPhase++;
  }

  async status(): Promise<WorkerStatus> {
    const all = await Promise.all(this.workers.map((w) => w.call({ kind: 'status' })));
    const merged: WorkerStatus = { open: {}, drops: {}, dropReasons: {}, minPings: Number.POSITIVE_INFINITY };
    for (const s of all) {
      for (const [k, v] of Object.entries(s.open)) merged.open[k] = (merged.open[k] ?? 0) + v;
      for (const [k, v] of Object.entries(s.drops)) merged.drops[k] = (merged.drops[k] ?? 0) + v;
      for (const [k, v] of Object.entries(s.dropReasons)) merged.dropReasons[k] = (merged.dropReasons[k] ?? 0) + v;
      if (Object.keys(s.open).length > 0) merged.minPings = Math.min(merged.minPings, s.minPings);
    }
    if (!Number.isFinite(merged.minPings)) merged.minPings = 0;
    return merged;
  }

  async closeGroup(group?: string): Promise<number> {
    const closed = await Promise.all(this.workers.map((w) => w.call({ kind: 'close', group })));
    return closed.reduce((s, c) => s + c.closed, 0);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.exited) return;
        const exited = new Promise<void>((resolve) => w.child.once('exit', () => resolve()));
        w.child.disconnect();
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  private split<T extends { id: number }>(items: T[]): T[][] {
    const perWorker = this.workers.map(() => [] as T[]);
    for (const item of items) {
      const worker = this.owner.get(item.id);
      if (worker) perWorker[worker.index]!.push(item);
    }
    return perWorker;
  }
}

function mergePhase(
  parts: PhaseStats[],
): Omit<PhaseSummary, 'sent' | 'expected' | 'skipped' | 'reads'> & { reads: Omit<ReadSummary, 'sent' | 'advancing' | 'skipped'> } {
  const otherEvents: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.otherEvents)) otherEvents[k] = (otherEvents[k] ?? 0) + v;
  const histogram = (pick: (p: PhaseStats) => HistogramData): Histogram => Histogram.from(parts.map(pick));
  return {
    delivered: parts.reduce((s, p) => s + p.messageNew + p.messageDirect + p.announcement, 0),
    stale: parts.reduce((s, p) => s + p.stale, 0),
    otherEvents,
    latency: histogram((p) => p.latency),
    ackLatency: histogram((p) => p.ackLatency),
    acksOk: parts.reduce((s, p) => s + p.acksOk, 0),
    acksFailed: parts.reduce((s, p) => s + p.acksFailed, 0),
    ackErrors: parts.flatMap((p) => p.ackErrors).slice(0, 5),
    reads: {
      acksOk: parts.reduce((s, p) => s + p.readAcksOk, 0),
      acksFailed: parts.reduce((s, p) => s + p.readAcksFailed, 0),
      ackErrors: parts.flatMap((p) => p.readAckErrors).slice(0, 5),
      ackLatency: histogram((p) => p.readAckLatency),
    },
  };
}
