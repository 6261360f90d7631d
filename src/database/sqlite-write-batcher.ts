import { channel } from 'node:diagnostics_channel';
import type { Database } from 'better-sqlite3';

/** State shared by the writes of one transaction; told when they are durable. */
export interface WriteSession {
  /** After COMMIT succeeded (never after a rollback). */
  committed(): void;
}

interface PendingWrite<S> {
  submittedAt: number;
  write(session: S): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface BatchLimits {
  /** Most writes one transaction takes. */
  maxWrites: number;
  /**
   * Target duration of one flush, COMMIT included: a transaction stops taking writes when the
   * time spent plus the COMMIT its writes are expected to cost would reach it.
   */
  budgetMs: number;
  /**
   * Longest a write waits for its turn's flush. Under load one poll phase can run for tens of
   * milliseconds (libuv handles up to 48 x 1024 ready sockets before the check phase); a submit
   * that finds the oldest write waiting this long commits the queue right away instead.
   */
  maxWaitMs: number;
}

/** What is published on SQLITE_FLUSH_CHANNEL after every flush. */
export interface FlushReport {
  /** The connection's database (file path, or ':memory:'). */
  database: string;
  /** How many writes the flush settled. */
  writes: number;
  /** How long the flush held the event loop, COMMIT included. */
  durationMs: number;
}

/**
 * A node:diagnostics_channel channel: whoever observes the process (the store benchmark, a probe
 * preloaded with --import) subscribes to it, so the store needs no observer option of its own;
 * with no subscriber nothing is built or published.
 */
export const SQLITE_FLUSH_CHANNEL = 'chat-gateway:sqlite-flush';
const flushes = channel(SQLITE_FLUSH_CHANNEL);

/** Under constant load the queue never empties: drop the taken front now and then. */
const COMPACT_AFTER = 4096;
/** Weight of the newest flush in the running estimate of COMMIT cost per write. */
const COMMIT_COST_WEIGHT = 0.2;

/**
 * Group commit for a synchronous SQLite connection. Writes submitted during one event-loop turn
 * are committed together in one transaction right after the turn's I/O (setImmediate); each
 * promise settles only after its transaction committed; if the turn runs long, a later submit
 * commits the queue before the turn ends (maxWaitMs). A transaction takes writes until it hits
 * the count cap or the time budget (COMMIT included, estimated from recent flushes: writing the
 * WAL costs about as much as the inserts), so one flush holds the event loop for a bounded time
 * on any machine; what is left goes in the next turn, after other I/O had its chance.
 *
 * If a transaction fails, the writes are retried one transaction each (within the same budget),
 * so one bad write cannot fail its neighbours and every caller gets its own outcome.
 */
export class SqliteWriteBatcher<S extends WriteSession> {
  private queue: Array<PendingWrite<S>> = [];
  /** Index of the first write not yet taken: slicing from the front stays O(batch). */
  private head = 0;
  private scheduled = false;
  private paused = false;
  /** Running estimate of how long COMMIT takes per write in the transaction, in ms. */
  private commitMsPerWrite = 0;
  private writesEndedAt = 0;
  private readonly transaction: (queue: Array<PendingWrite<S>>, from: number, to: number, deadline: number) => unknown[];
  private readonly database: string;

  constructor(
    db: Database,
    private readonly limits: BatchLimits,
    openSession: () => S,
  ) {
    this.database = db.name;
    const run = db.transaction((session: S, queue: Array<PendingWrite<S>>, from: number, to: number, deadline: number): unknown[] => {
      const results: unknown[] = [];
      for (let i = from; i < to; i += 1) {
        results.push(queue[i]!.write(session));
        if (performance.now() + this.commitMsPerWrite * (results.length + 1) >= deadline) break;
      }
      this.writesEndedAt = performance.now();
      return results;
    });
    // IMMEDIATE: take the write lock at BEGIN, so a read-then-write inside cannot hit SQLITE_BUSY halfway.
    this.transaction = (queue, from, to, deadline) => {
      const session = openSession();
      const results = run.immediate(session, queue, from, to, deadline);
      session.committed();
      return results;
    };
  }

  /** Runs `write` inside the next batch transaction; resolves with its result after COMMIT. */
  submit<T>(write: (session: S) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const now = performance.now();
      this.queue.push({ submittedAt: now, write, resolve: resolve as (value: unknown) => void, reject });
      if (this.paused) return;
      if (now - this.queue[this.head]!.submittedAt >= this.limits.maxWaitMs) this.flush();
      if (!this.scheduled && this.pending > 0) {
        this.scheduled = true;
        setImmediate(this.flushTurn);
      }
    });
  }

  /** Holds commits back (writes keep queueing) until resume(): the WAL checkpointer asks for it. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    if (this.pending > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  /** Commits everything still queued, at once: on shutdown, before the connection closes. */
  drain(): void {
    while (this.pending > 0) this.flush();
  }

  private readonly flushTurn = (): void => {
    this.scheduled = false;
    if (this.paused) return;
    this.flush();
    if (this.pending > 0) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
  };

  private flush(): void {
    const from = this.head;
    const to = Math.min(this.queue.length, from + this.limits.maxWrites);
    if (from === to) return;
    const startedAt = performance.now();
    const deadline = startedAt + this.limits.budgetMs;
    let done: number;
    try {
      const results = this.transaction(this.queue, from, to, deadline);
      this.learnCommitCost((performance.now() - this.writesEndedAt) / results.length);
      for (let i = 0; i < results.length; i += 1) this.queue[from + i]!.resolve(results[i]);
      done = results.length;
    } catch {
      // The transaction rolled back as a whole: nothing of it is stored, so each write may run again.
      done = this.commitEachAlone(from, to, deadline);
    }
    this.take(done);
    if (flushes.hasSubscribers)
      flushes.publish({ database: this.database, writes: done, durationMs: performance.now() - startedAt } satisfies FlushReport);
  }

  private learnCommitCost(msPerWrite: number): void {
    this.commitMsPerWrite += (msPerWrite - this.commitMsPerWrite) * COMMIT_COST_WEIGHT;
  }

  /** At least one write, then more until the budget is spent; returns how many settled. */
  private commitEachAlone(from: number, to: number, deadline: number): number {
    let i = from;
    do {
      const pending = this.queue[i]!;
      try {
        pending.resolve(this.transaction(this.queue, i, i + 1, 0)[0]);
      } catch (error) {
        pending.reject(error);
      }
      i += 1;
    } while (i < to && performance.now() < deadline);
    return i - from;
  }

  private take(count: number): void {
    this.head += count;
    if (this.head === this.queue.length || this.head >= COMPACT_AFTER) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private get pending(): number {
    return this.queue.length - this.head;
  }
}
