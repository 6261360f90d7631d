import type { Database } from 'better-sqlite3';
import { pendingMigrations } from './migrations.js';

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`;

/**
 * Brings a SQLite database to the latest schema. BEGIN IMMEDIATE takes the write lock first, so
 * two processes opening the same file cannot both apply a version. Returns the versions applied.
 */
export function migrateSqlite(db: Database): number[] {
  const migrate = db.transaction((): number[] => {
    db.exec(CREATE_MIGRATIONS_TABLE);
    const versions = db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    return pendingMigrations(new Set(versions)).map((migration) => {
      db.exec(migration.sqlite);
      record.run(migration.version, migration.name, new Date().toISOString());
      return migration.version;
    });
  });
  return migrate.immediate();
}
