import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ContainerStores {
  /** Environment for the gateway container. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Where the container under test keeps its data. `sqlite` (default) needs nothing outside the
 * container; `postgres` gives it a fresh database of its own on the machine's PostgreSQL plus the
 * machine's Redis, for when the gateway uses them (CONTAINER_TEST_STORES=postgres).
 */
export async function containerStores(kind = process.env.CONTAINER_TEST_STORES ?? 'sqlite'): Promise<ContainerStores> {
  if (kind === 'sqlite') {
    // /tmp is writable for the node user; the image's own default is /app/data.
    return { env: { DATABASE_URL: 'sqlite:/tmp/chat.db' }, drop: async () => undefined };
  }
  if (kind !== 'postgres') throw new Error(`CONTAINER_TEST_STORES must be sqlite or postgres, got ${kind}`);
  const database = `chat_container_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${database}`);
  return {
    env: {
      DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${database}`,
      REDIS_URL: 'redis://127.0.0.1:6379',
    },
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
