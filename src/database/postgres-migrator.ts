import type { Pool } from 'pg';
import { pendingMigrations } from './migrations.js';
import { inPostgresTransaction } from './postgres-transaction.js';

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

/**
 * Brings a PostgreSQL schema (the first one on search_path) to the latest version. Gateways that
 * start together serialize on a transaction-scoped advisory lock keyed by the schema name, so
 * exactly one applies each version and the others find it done. Returns the versions applied.
 */
export async function migratePostgres(pool: Pool): Promise<number[]> {
  return inPostgresTransaction(pool, async (client) => {
    const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    const schema = rows[0]?.schema;
    if (!schema) throw new Error('no schema on search_path exists to hold the tables');
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1 || '.schema_migrations'))", [schema]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const applied = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done: number[] = [];
    for (const migration of pendingMigrations(new Set(applied.rows.map((row) => row.version)))) {
      await client.query(migration.postgres);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      done.push(migration.version);
    }
    return done;
  });
}
