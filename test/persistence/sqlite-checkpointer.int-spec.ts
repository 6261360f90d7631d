/**
 * The checkpointer with its real worker thread on a real WAL file. The worker runs compiled (a
 * worker thread cannot load TypeScript), so this lives in a project whose run builds dist/ first.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { within } from '../support/clients.js';
import { ROOT } from '../support/dist.js';
import {
  type CheckpointerOptions,
  checkpointWorkerUrl,
  type PausableWriter,
  SqliteCheckpointer,
} from '../../src/database/sqlite-checkpointer.js';

/** Records what the checkpointer asks of the writer. */
class FakeWriter implements PausableWriter {
  paused = false;
  readonly calls: string[] = [];
  private waiters: Array<() => void> = [];

  pause(): void {
    this.paused = true;
    this.calls.push('pause');
    this.wake();
  }

  resume(): void {
    if (this.paused) this.calls.push('resume');
    this.paused = false;
    this.wake();
  }

  until(condition: () => boolean, what: string): Promise<void> {
    return within(
      new Promise<void>((resolve) => {
        const check = (): void => (condition() ? resolve() : void this.waiters.push(check));
        check();
      }),
      what,
    );
  }

  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const check of waiting) check();
  }
}

/** WAL frames since the last restart, read with a PASSIVE checkpoint (retried while the worker runs one). */
async function walFrames(db: Database): Promise<number> {
  for (;;) {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number }>;
    if (result!.busy === 0) return result!.log;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('SqliteCheckpointer', () => {
  let dir: string;
  let db: Database;
  let writer: FakeWriter;
  let checkpointer: SqliteCheckpointer | undefined;
  const failures: string[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkpointer-'));
    db = new BetterSqlite3(join(dir, 'wal.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('CREATE TABLE blobs (data BLOB NOT NULL)');
    writer = new FakeWriter();
    failures.length = 0;
  });

  afterEach(async () => {
    await checkpointer?.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (restartPages: number, tuning: Partial<CheckpointerOptions> = {}): SqliteCheckpointer =>
    (checkpointer = new SqliteCheckpointer(
      { file: join(dir, 'wal.db'), intervalMs: 5, restartPages, maxPauseMs: 2000, ...tuning },
      writer,
      (reason) => failures.push(reason),
    ));

  const writeBlobs = (count: number): void => {
    const insert = db.prepare('INSERT INTO blobs (data) VALUES (?)');
    for (let i = 0; i < count; i += 1) insert.run(Buffer.alloc(4096, i));
  };

  it('pauses the writer once the WAL is long, restarts the WAL, and lets the writer resume', async () => {
    start(50);
    writeBlobs(120);
    expect(statSync(join(dir, 'wal.db-wal')).size).toBeGreaterThan(120 * 4096);
    await writer.until(() => writer.calls.includes('resume'), 'the pause to end');
    expect(writer.calls.slice(0, 2)).toEqual(['pause', 'resume']);
    writeBlobs(1);
    // The WAL started over from its beginning: only the newest write is in it.
    expect(await walFrames(db)).toBeLessThan(10);
    expect(db.prepare('SELECT count(*) FROM blobs').pluck().get()).toBe(121);
    expect(failures).toEqual([]);
  });

  it('does not pause an idle writer again once the WAL has restarted', async () => {
    start(50);
    writeBlobs(120);
    await writer.until(() => writer.calls.includes('resume'), 'the pause to end');
    // Twenty checkpoint intervals without a write: the restarted WAL still holds its 120 frames
    // until the next write begins it anew, and that is no reason to pause the writer again.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(writer.calls).toEqual(['pause', 'resume']);
    writeBlobs(1);
    expect(await walFrames(db)).toBeLessThan(10);
    expect(failures).toEqual([]);
  });

  it('checkpoints a short WAL less and less often, so the writer seldom starts it anew', async () => {
    // Every checkpoint that catches up makes the next commit restart the WAL, which syncs the new
    // header on the writer's thread; the WAL header counts restarts (checkpoint sequence number).
    const restarts = (): number => {
      const header = readFileSync(join(dir, 'wal.db-wal')).subarray(0, 16);
      return header.readUInt32BE(12);
    };
    start(10_000, { idleIntervalMs: 10_000 });
    writeBlobs(1);
    const before = restarts();
    // 30 light writes 10 ms apart: checkpoints every 5 ms would restart the WAL at nearly each.
    for (let i = 0; i < 30; i += 1) {
      writeBlobs(1);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Backing off from 5 ms (5, 10, 20, 40, 80, 160, ...), at most about seven checkpoints fit.
    expect(restarts() - before).toBeLessThanOrEqual(8);
    expect(writer.calls).toEqual([]);
    expect(failures).toEqual([]);
  });

  it('leaves a short WAL alone and never pauses the writer', async () => {
    start(10_000);
    writeBlobs(30);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(writer.calls).toEqual([]);
    expect(await walFrames(db)).toBeGreaterThan(30);
  });

  it('stops cleanly, even with a pause under way, and resumes the writer', async () => {
    start(20);
    writeBlobs(60);
    await writer.until(() => writer.calls.includes('pause'), 'a pause');
    await checkpointer!.stop();
    checkpointer = undefined;
    expect(writer.paused).toBe(false);
  });
});

describe('checkpointWorkerUrl from the TypeScript source', () => {
  it('loads the worker compiled into dist/', () => {
    const source = fileURLToPath(new URL('../../src/database/sqlite-checkpointer.ts', import.meta.url));
    const url = checkpointWorkerUrl(pathToFileURL(source).href);
    expect(fileURLToPath(url)).toBe(join(ROOT, 'dist', 'database', 'sqlite-checkpoint.worker.js'));
  });
});
