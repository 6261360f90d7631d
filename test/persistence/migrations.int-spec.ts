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
