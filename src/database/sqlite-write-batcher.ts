import type { Database } from 'better-sqlite3';

interface PendingWrite {
  write(): unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Under constant load the queue never empties: drop the taken front now and then. */
const COMPACT_AFTER = 4096;

export type FlushObserver = (writes: number, durationMs: number) => void;

/**
 * Group commit for a synchronous SQLite connection. Writes submitted during one event-loop turn
 * are committed together in one transaction right after the turn's I/O (setImmediate); each
 * promise settles only after its transaction committed. A cap on the batch keeps one flush short,
 * so the event loop is never held for long; what is left over goes in the next turn.
 *
 * If a batch fails, its writes are retried one transaction each, so one bad write cannot fail
 * its neighbours and every caller gets its own outcome.
 */
export class SqliteWriteBatcher {
  private queue: PendingWrite[] = [];
  /** Index of the first write not yet taken: slicing from the front stays O(batch). */
  private head = 0;
  private scheduled = false;
  private readonly commitBatch: (batch: PendingWrite[]) => unknown[];

  constructor(
    db: Database,
    private readonly maxBatch: number,
    private readonly observe?: FlushObserver,
  ) {
    // IMMEDIATE: take the write lock at BEGIN, so a read-then-write inside cannot hit SQLITE_BUSY halfway.
    const transaction = db.transaction((batch: PendingWrite[]) => batch.map((pending) => pending.write()));
    this.commitBatch = (batch) => transaction.immediate(batch);
  }

  /** Runs `write` inside the next batch transaction; resolves with its result after COMMIT. */
  submit<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushTurn);
      }
    });
  }

  /** Commits everything still queued, at once: on shutdown, before the connection closes. */
  drain(): void {
    while (this.pending > 0) this.flush();
  }

  /** Rejects everything still queued: the connection is gone. */
  abandon(error: Error): void {
    const dropped = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    for (const pending of dropped) pending.reject(error);
  }

  private readonly flushTurn = (): void => {
    this.scheduled = false;
    this.flush();
    if (this.pending > 0) {
      this.scheduled = true;
      setImmediate(this.flushTurn);
    }
  };

  private flush(): void {
    const batch = this.queue.slice(this.head, this.head + this.maxBatch);
    this.head += batch.length;
    if (this.head === this.queue.length || this.head >= COMPACT_AFTER) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (batch.length === 0) return;
    const startedAt = this.observe ? performance.now() : 0;
    try {
      const results = this.commitBatch(batch);
      for (let i = 0; i < batch.length; i += 1) batch[i]!.resolve(results[i]);
    } catch (error) {
      if (batch.length === 1) batch[0]!.reject(error);
      else for (const pending of batch) this.commitAlone(pending);
    }
    this.observe?.(batch.length, performance.now() - startedAt);
  }

  private get pending(): number {
    return this.queue.length - this.head;
  }

  private commitAlone(pending: PendingWrite): void {
    try {
      pending.resolve(this.commitBatch([pending])[0]);
    } catch (error) {
      pending.reject(error);
    }
  }
}
