import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, pendingMigrations } from '../../src/database/migrations.js';
import { migratePostgres } from '../../src/database/postgres-migrator.js';
import { migrateSqlite } from '../../src/database/sqlite-migrator.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { ADA, BOB, directInput, roomInput } from './support/message-store-contract.js';
import { describePostgres, TestSchema } from './support/postgres.js';

Logger.overrideLogger(false);
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);

describe('migrations', () => {
  it('are numbered 1, 2, 3, ... without gaps', () => {
    expect(ALL_VERSIONS).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('refuse a database whose schema is newer than this build', () => {
    expect(() => pendingMigrations(new Set([LATEST_SCHEMA_VERSION + 1]))).toThrow(/newer|only knows/);
  });
});

describe('SQLite migrations', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-migrate-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('apply every version once, and nothing on the next start', () => {
    const file = join(dir, 'twice.db');
    const first = new BetterSqlite3(file);
    expect(migrateSqlite(first)).toEqual(ALL_VERSIONS);
    first.close();
    const second = new BetterSqlite3(file);
    expect(migrateSqlite(second)).toEqual([]);
    expect(second.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(ALL_VERSIONS);
    second.close();
  });

  it('upgrade a version-1 database with history: its messages stay and every room keeps counting', async () => {
    const file = join(dir, 'from-v1.db');
    const old = new BetterSqlite3(file);
    old.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    old.exec(MIGRATIONS[0]!.sqlite);
    old.prepare("INSERT INTO schema_migrations VALUES (1, 'message history', '2030-01-01T00:00:00.000Z')").run();
    // As version 1 left them: room_seqs counted every message; the seq-9 room had its messages pruned.
    const insert = old.prepare(
      "INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at) VALUES (?, ?, ?, 'ada', 'Ada', 'hi', '2030-01-01T00:00:00.000Z')",
    );
    insert.run('kept', 1, 'id-1');
    insert.run('kept', 2, 'id-2');
    old.prepare("INSERT INTO room_seqs VALUES ('kept', 2), ('emptied', 9)").run();
    old.close();

    const store = new SqliteMessageStore({ location: file });
    store.open();
    try {
      expect((await store.roomPage({ room: 'kept', limit: 10 })).messages.map((m) => m.seq)).toEqual([1, 2]);
      expect((await store.appendRoomMessage(roomInput('kept', ADA, 'next'))).message.seq).toBe(3);
      expect((await store.appendRoomMessage(roomInput('emptied', ADA, 'next'))).message.seq).toBe(10);
    } finally {
      await store.close();
    }
    const upgraded = new BetterSqlite3(file, { readonly: true });
    expect(upgraded.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(ALL_VERSIONS);
    expect(upgraded.prepare("SELECT name FROM sqlite_master WHERE name LIKE '%sent_at%'").pluck().all()).toEqual([]);
    upgraded.close();
  });
  it('upgrade a version-2 database with history to chat state: rev = seq, room rev = last seq, both keep counting', async () => {
    const file = join(dir, 'from-v2.db');
    const old = new BetterSqlite3(file);
    old.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    for (const migration of MIGRATIONS.slice(0, 2)) {
      old.exec(migration.sqlite);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, '2030-01-01T00:00:00.000Z');
    }
    // As version 2 left them: no counter row per send; room_seqs holds the floors pruning raised.
    const insert = old.prepare(
      'INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const v2Rows: Array<[string, number, string, string, string, string, string, string | null]> = [
      ['kept', 1, 'k-1', 'ada', 'Ada', 'first', '2030-01-01T00:00:01.000Z', null],
      ['kept', 2, 'k-2', 'bob', 'Bob', 'second', '2030-01-01T00:00:02.000Z', 'c-2'],
      ['kept', 3, 'k-3', 'ada', 'Ada', 'third', '2030-01-01T00:00:03.000Z', null],
      ['partly', 4, 'p-4', 'ada', 'Ada', 'after a prune', '2030-01-01T00:00:04.000Z', null],
      ['partly', 5, 'p-5', 'ada', 'Ada', 'newest', '2030-01-01T00:00:05.000Z', null],
    ];
    for (const row of v2Rows) insert.run(...row);
    old.prepare("INSERT INTO room_seqs VALUES ('partly', 3), ('emptied', 9)").run();
    old.close();

    const store = new SqliteMessageStore({ location: file });
    store.open();
    try {
      const kept = (await store.roomPage({ room: 'kept', limit: 10 })).messages;
      expect(kept).toEqual(
        v2Rows.slice(0, 3).map(([room, seq, id, senderId, senderName, text, sentAt, clientMsgId]) => ({
          id,
          room,
          seq,
          from: { id: senderId, name: senderName },
          text,
          sentAt,
          rev: seq,
          ...(clientMsgId === null ? {} : { clientMsgId }),
        })),
      );
      await expect(store.roomState('kept')).resolves.toEqual({ lastSeq: 3, rev: 3 });
      await expect(store.roomState('partly')).resolves.toEqual({ lastSeq: 5, rev: 5 });
      await expect(store.roomState('emptied')).resolves.toEqual({ lastSeq: 9, rev: 9 });
      await expect(store.roomSinceRev({ room: 'kept', sinceRev: 1, limit: 10 })).resolves.toEqual({
        messages: kept.slice(1),
        hasMore: false,
      });
      const next = (await store.appendRoomMessage(roomInput('kept', ADA, 'next'))).message;
      expect([next.seq, next.rev]).toEqual([4, 4]);
      const edit = await store.editRoomMessage({ room: 'kept', seq: 1, authorId: 'ada', text: 'first, edited', editedAt: next.sentAt });
      expect(edit.outcome === 'changed' && edit.message.rev).toBe(5);
      const partly = (await store.appendRoomMessage(roomInput('partly', ADA, 'next'))).message;
      expect([partly.seq, partly.rev]).toEqual([6, 6]);
      const emptied = (await store.appendRoomMessage(roomInput('emptied', ADA, 'next'))).message;
      expect([emptied.seq, emptied.rev]).toEqual([10, 10]);
      expect((await store.join({ room: 'kept', user: ADA, joinedAt: next.sentAt, maxMemberships: 10 })).outcome).toBe('created');
    } finally {
      await store.close();
    }
    const upgraded = new BetterSqlite3(file, { readonly: true });
    expect(upgraded.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(ALL_VERSIONS);
    expect(upgraded.prepare('SELECT room, last_seq, last_rev FROM room_seqs ORDER BY room').all()).toEqual([
      { room: 'emptied', last_seq: 9, last_rev: 9 },
      { room: 'partly', last_seq: 3, last_rev: 3 },
    ]);
    upgraded.close();
  });

  it('upgrade a version-3 database with history to moderation: rows stay, the new tables start empty, direct messages are not erased', async () => {
    const file = join(dir, 'from-v3.db');
    const old = new BetterSqlite3(file);
    old.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) {
      old.exec(migration.sqlite);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, '2030-01-01T00:00:00.000Z');
    }
    old.exec(
      `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id, rev, edited_at, deleted_at) VALUES
         ('kept', 1, 'k-1', 'ada', 'Ada', 'first', '2030-01-01T00:00:01.000Z', NULL, 4, '2030-01-01T00:00:09.000Z', NULL),
         ('kept', 2, 'k-2', 'bob', 'Bob', '', '2030-01-01T00:00:02.000Z', 'c-2', 5, NULL, '2030-01-01T00:00:10.000Z'),
         ('kept', 3, 'k-3', 'ada', 'Ada', 'third', '2030-01-01T00:00:03.000Z', NULL, 3, NULL, NULL);
       INSERT INTO direct_messages (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at, client_msg_id) VALUES
         ('d-1', 'ada' || char(10) || 'bob', 'ada', 'Ada', 'bob', 'Bob', 'hello bob', '2030-01-01T00:00:04.000Z', 'dc-1'),
         ('d-2', 'ada' || char(10) || 'bob', 'bob', 'Bob', 'ada', 'Ada', 'hello ada', '2030-01-01T00:00:05.000Z', NULL);
       INSERT INTO room_members (room, user_id, user_name, joined_at, read_seq) VALUES ('kept', 'ada', 'Ada', '2030-01-01T00:00:00.000Z', 3);`,
    );
    old.close();

    const store = new SqliteMessageStore({ location: file });
    store.open();
    try {
      const kept = (await store.roomPage({ room: 'kept', limit: 10 })).messages;
      expect(kept.map((m) => [m.seq, m.rev, m.text, m.editedAt, m.deletedAt])).toEqual([
        [1, 4, 'first', '2030-01-01T00:00:09.000Z', undefined],
        [2, 5, '', undefined, '2030-01-01T00:00:10.000Z'],
        [3, 3, 'third', undefined, undefined],
      ]);
      await expect(store.roomState('kept')).resolves.toEqual({ lastSeq: 3, rev: 5 });
      const conversation = (await store.directPage({ userA: 'ada', userB: 'bob', limit: 10 }))!.messages;
      // The v1 shape: no deletedAt on a message that was never erased.
      expect(conversation).toEqual([
        {
          id: 'd-1',
          from: { id: 'ada', name: 'Ada' },
          to: { id: 'bob', name: 'Bob' },
          text: 'hello bob',
          sentAt: '2030-01-01T00:00:04.000Z',
          clientMsgId: 'dc-1',
        },
        {
          id: 'd-2',
          from: { id: 'bob', name: 'Bob' },
          to: { id: 'ada', name: 'Ada' },
          text: 'hello ada',
          sentAt: '2030-01-01T00:00:05.000Z',
        },
      ]);
      await expect(store.membershipState('kept', 'ada')).resolves.toMatchObject({ membership: { readSeq: 3 }, lastSeq: 3, rev: 5 });
      await expect(store.activeRestrictions('2030-01-01T00:00:00.000Z')).resolves.toEqual([]);
      await expect(store.revocations()).resolves.toEqual([]);
      await expect(store.auditPage({ limit: 10 })).resolves.toEqual([]);
      const step = await store.eraseStep({ userId: 'ada', deletedAt: '2030-02-01T00:00:00.000Z' });
      expect(step.roomMessages.map((m) => [m.seq, m.rev])).toEqual([
        [1, 6],
        [3, 7],
      ]);
      const next = (await store.appendRoomMessage(roomInput('kept', ADA, 'next'))).message;
      expect([next.seq, next.rev]).toEqual([4, 8]);
      await store.appendDirectMessage(directInput(BOB, ADA, 'after the upgrade'));
    } finally {
      await store.close();
    }
    const upgraded = new BetterSqlite3(file, { readonly: true });
    expect(upgraded.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(ALL_VERSIONS);
    expect(upgraded.prepare('SELECT id, deleted_at FROM direct_messages ORDER BY pk').all()).toEqual([
      { id: 'd-1', deleted_at: null },
      { id: 'd-2', deleted_at: null },
      { id: expect.any(String), deleted_at: null },
    ]);
    for (const table of ['room_restrictions', 'session_revocations', 'audit_log']) {
      expect(upgraded.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get()).toBe(0);
    }
    upgraded.close();
  });
});

describePostgres('PostgreSQL migrations', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await TestSchema.create('migrate');
  });
  afterAll(() => schema.drop());

  it('apply every version exactly once when several gateways start at the same time, and nothing later', async () => {
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: schema.url, max: 1 }));
    try {
      const applied = await Promise.all(pools.map((pool) => migratePostgres(pool)));
      expect(applied.filter((versions) => versions.length > 0)).toEqual([ALL_VERSIONS]);
      await expect(migratePostgres(pools[0]!)).resolves.toEqual([]);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
    }
    const rows = await schema.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).toEqual(ALL_VERSIONS);
  });

  it('upgrade a version-2 database with history: rev = seq, each room counts revs from its last seq, sends go on', async () => {
    const old = await TestSchema.create('from_v2');
    try {
      await old.query(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      for (const migration of MIGRATIONS.filter((m) => m.version <= 2)) {
        await old.query(migration.postgres);
        await old.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      }
      // As version 2 left them: room_seqs counted every message; the seq-9 room had its messages pruned.
      await old.query(
        `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id) VALUES
           ('kept', 1, 'id-1', 'ada', 'Ada', 'one', '2030-01-01T00:00:01.000Z', 'c-1'),
           ('kept', 2, 'id-2', 'bob', 'Bob', 'two', '2030-01-01T00:00:02.000Z', NULL),
           ('kept', 3, 'id-3', 'ada', 'Ada', 'three', '2030-01-01T00:00:03.000Z', NULL)`,
      );
      await old.query("INSERT INTO room_seqs VALUES ('kept', 3), ('emptied', 9)");

      const store = new PostgresMessageStore({ connectionString: old.url });
      await store.open();
      try {
        const history = (await store.roomPage({ room: 'kept', limit: 10 })).messages;
        expect(history.map((m) => [m.seq, m.rev, m.text])).toEqual([
          [1, 1, 'one'],
          [2, 2, 'two'],
          [3, 3, 'three'],
        ]);
        expect(history.every((m) => m.editedAt === undefined && m.deletedAt === undefined)).toBe(true);
        await expect(store.roomState('kept')).resolves.toEqual({ lastSeq: 3, rev: 3 });
        await expect(store.roomState('emptied')).resolves.toEqual({ lastSeq: 9, rev: 9 });
        expect((await store.roomSinceRev({ room: 'kept', sinceRev: 1, limit: 10 })).messages.map((m) => m.seq)).toEqual([2, 3]);

        const next = await store.appendRoomMessage(roomInput('kept', ADA, 'four'));
        expect([next.message.seq, next.message.rev]).toEqual([4, 4]);
        const afterPrune = await store.appendRoomMessage(roomInput('emptied', ADA, 'ten'));
        expect([afterPrune.message.seq, afterPrune.message.rev]).toEqual([10, 10]);
        const edit = await store.editRoomMessage({
          room: 'kept',
          seq: 1,
          authorId: 'ada',
          text: 'one, edited',
          editedAt: new Date().toISOString(),
        });
        expect(edit).toMatchObject({ outcome: 'changed', message: { seq: 1, rev: 5, text: 'one, edited' } });
        // A client retrying its pre-upgrade send gets the message as it is now.
        await expect(store.appendRoomMessage(roomInput('kept', ADA, 'one', { clientMsgId: 'c-1' }))).resolves.toMatchObject({
          created: false,
          message: { id: 'id-1', seq: 1, rev: 5, text: 'one, edited' },
        });
        await expect(store.roomState('kept')).resolves.toEqual({ lastSeq: 4, rev: 5 });
      } finally {
        await store.close();
      }
      const versions = await old.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.map((row) => row.version)).toEqual(ALL_VERSIONS);
    } finally {
      await old.drop();
    }
  });

  it('upgrade a version-3 database with history to moderation: rows stay, the new tables exist, direct messages are not erased', async () => {
    const old = await TestSchema.create('from_v3');
    try {
      await old.query(
        'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) {
        await old.query(migration.postgres);
        await old.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      }
      await old.query(
        `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id, rev, edited_at, deleted_at) VALUES
           ('kept', 1, 'k-1', 'ada', 'Ada', 'first', '2030-01-01T00:00:01.000Z', NULL, 4, '2030-01-01T00:00:09.000Z', NULL),
           ('kept', 2, 'k-2', 'bob', 'Bob', '', '2030-01-01T00:00:02.000Z', 'c-2', 5, NULL, '2030-01-01T00:00:10.000Z'),
           ('kept', 3, 'k-3', 'ada', 'Ada', 'third', '2030-01-01T00:00:03.000Z', NULL, 3, NULL, NULL)`,
      );
      await old.query("INSERT INTO room_seqs VALUES ('kept', 3, 5)");
      await old.query(
        `INSERT INTO direct_messages (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at, client_msg_id) VALUES
           ('d-1', 'ada' || chr(10) || 'bob', 'ada', 'Ada', 'bob', 'Bob', 'hello bob', '2030-01-01T00:00:04.000Z', 'dc-1'),
           ('d-2', 'ada' || chr(10) || 'bob', 'bob', 'Bob', 'ada', 'Ada', 'hello ada', '2030-01-01T00:00:05.000Z', NULL)`,
      );
      await old.query("INSERT INTO room_members (room, user_id, user_name, joined_at, read_seq) VALUES ('kept', 'ada', 'Ada', now(), 3)");

      const store = new PostgresMessageStore({ connectionString: old.url });
      await store.open();
      try {
        const kept = (await store.roomPage({ room: 'kept', limit: 10 })).messages;
        expect(kept.map((m) => [m.seq, m.rev, m.text, m.editedAt, m.deletedAt])).toEqual([
          [1, 4, 'first', '2030-01-01T00:00:09.000Z', undefined],
          [2, 5, '', undefined, '2030-01-01T00:00:10.000Z'],
          [3, 3, 'third', undefined, undefined],
        ]);
        await expect(store.roomState('kept')).resolves.toEqual({ lastSeq: 3, rev: 5 });
        const conversation = (await store.directPage({ userA: 'ada', userB: 'bob', limit: 10 }))!.messages;
        expect(conversation).toEqual([
          {
            id: 'd-1',
            from: { id: 'ada', name: 'Ada' },
            to: { id: 'bob', name: 'Bob' },
            text: 'hello bob',
            sentAt: '2030-01-01T00:00:04.000Z',
            clientMsgId: 'dc-1',
          },
          {
            id: 'd-2',
            from: { id: 'bob', name: 'Bob' },
            to: { id: 'ada', name: 'Ada' },
            text: 'hello ada',
            sentAt: '2030-01-01T00:00:05.000Z',
          },
        ]);
        await expect(store.membershipState('kept', 'ada')).resolves.toMatchObject({ membership: { readSeq: 3 }, lastSeq: 3, rev: 5 });
        const next = (await store.appendRoomMessage(roomInput('kept', ADA, 'next'))).message;
        expect([next.seq, next.rev]).toEqual([4, 6]);
      } finally {
        await store.close();
      }
      const versions = await old.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(versions.map((row) => row.version)).toEqual(ALL_VERSIONS);
      const direct = await old.query<{ id: string; deleted_at: Date | null }>('SELECT id, deleted_at FROM direct_messages ORDER BY pk');
      expect(direct).toEqual([
        { id: 'd-1', deleted_at: null },
        { id: 'd-2', deleted_at: null },
      ]);
      for (const table of ['room_restrictions', 'session_revocations', 'audit_log']) {
        const counted = await old.query<{ count: string }>(`SELECT COUNT(*) AS count FROM ${table}`);
        expect(counted).toEqual([{ count: '0' }]);
      }
    } finally {
      await old.drop();
    }
  });
});
