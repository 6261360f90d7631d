import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { MemoryMessageStore } from '../../src/messages/memory-message.store.js';
import type { ChatStoreEngine } from '../../src/messages/message-store.factory.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { SQLITE_MEMORY, SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { ADA, BOB, directInput, roomInput } from './support/message-store-contract.js';
import { describeModerationContract, type RawMessageRow } from './support/moderation-contract.js';
import { describePostgres, TestSchema } from './support/postgres.js';

// Store start-up lines would bury the test report.
Logger.overrideLogger(false);

interface RawRow {
  text: string;
  deleted_at: string | Date | null;
}

const ROOM_ROWS = 'SELECT text, deleted_at FROM room_messages WHERE sender_id = ? ORDER BY room, seq';
const DIRECT_ROWS = 'SELECT text, deleted_at FROM direct_messages WHERE sender_id = ? ORDER BY pk';

function raw(row: RawRow): RawMessageRow {
  const deletedAt = row.deleted_at;
  return { text: row.text, deletedAt: deletedAt === null ? null : typeof deletedAt === 'string' ? deletedAt : deletedAt.toISOString() };
}

describe('moderation contract: memory', () => {
  describeModerationContract({
    create: async () => new MemoryMessageStore(),
    close: async () => undefined,
  });
});

describe('moderation contract: SQLite in memory', () => {
  describeModerationContract({
    create: async () => {
      const store = new SqliteMessageStore({ location: SQLITE_MEMORY });
      store.open();
      return store;
    },
    close: (store) => (store as SqliteMessageStore).close(),
  });
});

describe('moderation contract: SQLite file', () => {
  let dir: string;
  let files = 0;
  const locations = new WeakMap<ChatStoreEngine, string>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-moderation-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeModerationContract({
    create: async () => {
      const location = join(dir, `moderation-${(files += 1)}.db`);
      const store = new SqliteMessageStore({ location });
      store.open();
      locations.set(store, location);
      return store;
    },
    close: (store) => (store as SqliteMessageStore).close(),
    // A second connection reads the rows as committed, past the store.
    rawRowsOf: async (store, senderId) => {
      const db = new BetterSqlite3(locations.get(store)!, { readonly: true });
      try {
        return {
          room: db.prepare<[string], RawRow>(ROOM_ROWS).all(senderId).map(raw),
          direct: db.prepare<[string], RawRow>(DIRECT_ROWS).all(senderId).map(raw),
        };
      } finally {
        db.close();
      }
    },
  });
});

describe('SQLite file: an erased text leaves the file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-erasure-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Past the rows: not in a page's free space, nor in freed overflow pages (a long text spans several).
  it('keeps no copy of an erased room or direct message text in the database file after a checkpoint', async () => {
    const location = join(dir, 'erasure.db');
    const store = new SqliteMessageStore({ location });
    store.open();
    const roomSecret = 'room-secret-5e2a91';
    const longSecret = `long-secret-c4d7f0 ${'q'.repeat(12_000)} long-secret-end-19be`;
    const directSecret = 'direct-secret-7f3b08';
    const kept = 'kept-words-0a6c4e';
    for (let i = 0; i < 20; i += 1) await store.appendRoomMessage(roomInput('erase', BOB, `filler ${i} ${'y'.repeat(100)}`));
    await store.appendRoomMessage(roomInput('erase', ADA, roomSecret));
    await store.appendRoomMessage(roomInput('erase', ADA, longSecret));
    await store.appendRoomMessage(roomInput('erase', BOB, kept));
    await store.appendDirectMessage(directInput(ADA, BOB, directSecret));
    for (let i = 0; i < 40; i += 1) await store.appendRoomMessage(roomInput('erase', BOB, `filler ${i} ${'y'.repeat(100)}`));
    let cursor: string | undefined;
    let erased = 0;
    do {
      const step = await store.eraseStep({
        userId: ADA.id,
        deletedAt: '2030-05-02T00:00:00.000Z',
        ...(cursor === undefined ? {} : { cursor }),
      });
      erased += step.roomMessages.length + step.directMessages;
      cursor = step.cursor;
    } while (cursor !== undefined);
    expect(erased).toBe(3);
    // Closing checkpoints the WAL into the file and removes it: the file is all there is.
    await store.close();
    const bytes = readFileSync(location);
    expect(bytes.includes(kept)).toBe(true);
    expect(bytes.includes(roomSecret)).toBe(false);
    expect(bytes.includes(directSecret)).toBe(false);
    expect(bytes.includes('long-secret-c4d7f0')).toBe(false);
    expect(bytes.includes('long-secret-end-19be')).toBe(false);
    expect(bytes.includes('q'.repeat(100))).toBe(false);
  });
});

describe('SQLite erasure walk', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-erasure-walk-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Pruning and deleted rows leave rowid gaps: windows over empty ranges cost next to nothing and
  // grow, so a sparse table is walked in a few dozen steps, not one per thousand rowids.
  it('walks a table with a wide rowid gap to its end, growing its window over empty ranges', async () => {
    const location = join(dir, 'gaps.db');
    const created = new SqliteMessageStore({ location });
    created.open();
    await created.close();
    const db = new BetterSqlite3(location);
    const insert = db.prepare(
      `INSERT INTO room_messages (rowid, room, seq, id, sender_id, sender_name, text, sent_at, rev)
       VALUES (?, 'gaps', ?, ?, ?, 'Name', 'words', '2030-01-01T00:00:00.000Z', ?)`,
    );
    const rowids = [...Array.from({ length: 10 }, (_, i) => i + 1), ...Array.from({ length: 10 }, (_, i) => 5_000_001 + i)];
    rowids.forEach((rowid, i) => insert.run(rowid, i + 1, `id-${i}`, i % 2 === 0 ? ADA.id : BOB.id, i + 1));
    db.close();
    const store = new SqliteMessageStore({ location });
    store.open();
    try {
      let cursor: string | undefined;
      let steps = 0;
      const erased: number[] = [];
      do {
        const step = await store.eraseStep({
          userId: ADA.id,
          deletedAt: '2030-05-02T00:00:00.000Z',
          ...(cursor === undefined ? {} : { cursor }),
        });
        erased.push(...step.roomMessages.map((m) => m.seq));
        cursor = step.cursor;
        steps += 1;
      } while (cursor !== undefined && steps < 1000);
      expect(cursor).toBeUndefined();
      expect(erased).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
      expect(steps).toBeLessThan(100);
    } finally {
      await store.close();
    }
  });

  it('refuses a cursor it did not make', async () => {
    const store = new SqliteMessageStore({ location: SQLITE_MEMORY });
    store.open();
    try {
      await expect(store.eraseStep({ userId: ADA.id, deletedAt: '2030-05-02T00:00:00.000Z', cursor: 'more' })).rejects.toThrow(
        /erasure cursor/,
      );
    } finally {
      await store.close();
    }
  });
});

describePostgres('moderation contract: PostgreSQL', () => {
  let schema: TestSchema;

  beforeAll(async () => {
    schema = await TestSchema.create('moderation_contract');
  });
  afterAll(() => schema.drop());

  describeModerationContract({
    create: async () => {
      const store = new PostgresMessageStore({ connectionString: schema.url });
      await store.open();
      await schema.truncate();
      await schema.query('TRUNCATE room_restrictions, session_revocations, audit_log RESTART IDENTITY');
      return store;
    },
    close: (store) => (store as PostgresMessageStore).close(),
    // The schema's own connection reads the committed rows, past the store.
    rawRowsOf: async (_store, senderId) => ({
      room: (await schema.query<RawRow>(ROOM_ROWS.replace('?', '$1'), [senderId])).map(raw),
      direct: (await schema.query<RawRow>(DIRECT_ROWS.replace('?', '$1'), [senderId])).map(raw),
    }),
  });
});
