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
import { SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { ADA, roomInput } from './support/message-store-contract.js';
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
});
