import type { Pool, PoolClient } from 'pg';

/**
 * Runs `work` on one pooled client between BEGIN and COMMIT, rolling back when it throws. A
 * connection whose ROLLBACK failed is broken: it is destroyed instead of going back to the pool.
 */
export async function inPostgresTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    broken = await client.query('ROLLBACK').then(
      () => undefined,
      (rollbackError: unknown) => (rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError))),
    );
    throw error;
  } finally {
    client.release(broken);
  }
}
