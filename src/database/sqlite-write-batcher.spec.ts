import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { type FlushReport, SQLITE_FLUSH_CHANNEL, SqliteWriteBatcher, type WriteSession } from './sqlite-write-batcher.js';

describe('SqliteWriteBatcher', () => {
  let dir: string;
  let writer: Database;
  let reader: Database;
  let flushes: number[];
  let batcher: SqliteWriteBatcher<WriteSession>;
  const noSession = (): WriteSession => ({ committed: () => undefined });
  /** Counts the writes of each flush of this test's database (other specs' batchers publish too). */
  const recordFlush = (message: unknown): void => {
    const report = message as FlushReport;
    if (report.database === writer.name) flushes.push(report.writes);
  };

  const insert = (value: string) => (): string => {
    writer.prepare('INSERT INTO items (value) VALUES (?)').run(value);
    return value;
  };
  const committed = (): string[] => reader.prepare('SELECT value FROM items ORDER BY rowid').pluck().all() as string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'batcher-'));
    writer = new BetterSqlite3(join(dir, 'items.db'));
    writer.pragma('journal_mode = WAL');
    writer.exec("CREATE TABLE items (value TEXT NOT NULL CHECK (value <> 'bad'))");
    reader = new BetterSqlite3(join(dir, 'items.db'), { readonly: true });
    flushes = [];
    subscribe(SQLITE_FLUSH_CHANNEL, recordFlush);
    batcher = new SqliteWriteBatcher(writer, { maxWrites: 4, budgetMs: 1000, maxWaitMs: 1000 }, noSession);
  });

  afterEach(() => {
    unsubscribe(SQLITE_FLUSH_CHANNEL, recordFlush);
    reader.close();
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes of one event-loop turn together, at most maxBatch per transaction', async () => {
    const results = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((value) => batcher.submit(insert(value))));
    expect(results).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(flushes).toEqual([4, 2]);
    expect(committed()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('publishes each flush on the diagnostics channel: its database, writes and duration', async () => {
    const reports: unknown[] = [];
    const record = (message: unknown): void => void reports.push(message);
    subscribe(SQLITE_FLUSH_CHANNEL, record);
    try {
      await Promise.all(['a', 'b'].map((value) => batcher.submit(insert(value))));
    } finally {
      unsubscribe(SQLITE_FLUSH_CHANNEL, record);
    }
    expect(reports).toEqual([{ database: join(dir, 'items.db'), writes: 2, durationMs: expect.any(Number) }]);
  });

  it('stops taking writes once a transaction has used its time budget', async () => {
    const slow = new SqliteWriteBatcher(writer, { maxWrites: 100, budgetMs: 3, maxWaitMs: 1000 }, noSession);
    const slowInsert = (value: string) => (): string => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return insert(value)();
    };
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((value) => slow.submit(slowInsert(value))));
    // Two 2 ms writes always exceed 3 ms; a preempted first write may end a flush even sooner.
    expect(flushes.every((writes) => writes >= 1 && writes <= 2)).toBe(true);
    expect(flushes.reduce((a, b) => a + b, 0)).toBe(5);
    expect(committed()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('commits within the same turn once the oldest write has waited maxWaitMs', async () => {
    const prompt = new SqliteWriteBatcher(writer, { maxWrites: 100, budgetMs: 1000, maxWaitMs: 5 }, noSession);
    const first = prompt.submit(insert('a'));
    // A long turn: the setImmediate flush cannot run until this loop ends.
    const until = performance.now() + 6;
    while (performance.now() < until);
    const second = prompt.submit(insert('b'));
    expect(committed()).toEqual(['a', 'b']);
    expect(flushes).toEqual([2]);
    await expect(Promise.all([first, second])).resolves.toEqual(['a', 'b']);
    // The turn's own flush finds nothing left to do.
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushes).toEqual([2]);
  });

  it('resolves only after COMMIT: another connection already sees the row', async () => {
    const pending = batcher.submit(insert('x'));
    expect(committed()).toEqual([]);
    await pending;
    expect(committed()).toEqual(['x']);
  });

  it('fails only the write that failed; its neighbours commit', async () => {
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((value) => batcher.submit(insert(value))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committed()).toEqual(['a', 'c']);
  });

  it('tells a session about its COMMIT, and never about a rolled-back transaction', async () => {
    const sessions: NotedSession[] = [];
    const told = new SqliteWriteBatcher(writer, { maxWrites: 100, budgetMs: 1000, maxWaitMs: 1000 }, () => {
      sessions.push(new NotedSession());
      return sessions[sessions.length - 1]!;
    });
    const noted =
      (value: string) =>
      (session: NotedSession): string => {
        session.writes.push(value);
        return insert(value)();
      };
    await Promise.allSettled(['a', 'bad', 'c'].map((value) => told.submit(noted(value))));
    // The batch of three rolls back; each write then runs in its own transaction.
    expect(sessions.map((session) => [session.writes.join(','), session.durable])).toEqual([
      ['a,bad', false],
      ['a', true],
      ['bad', false],
      ['c', true],
    ]);
  });

  it('drain commits what is queued at once, paused or not', async () => {
    batcher.pause();
    const drained = batcher.submit(insert('now'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(committed()).toEqual([]);
    batcher.drain();
    expect(committed()).toEqual(['now']);
    await expect(drained).resolves.toBe('now');
  });

  it('holds commits while paused and commits them after resume', async () => {
    batcher.pause();
    const held = Promise.all(['a', 'b'].map((value) => batcher.submit(insert(value))));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(committed()).toEqual([]);
    batcher.resume();
    await expect(held).resolves.toEqual(['a', 'b']);
    expect(committed()).toEqual(['a', 'b']);
  });
});

class NotedSession implements WriteSession {
  readonly writes: string[] = [];
  durable = false;

  committed(): void {
    this.durable = true;
  }
}
