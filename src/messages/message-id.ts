import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7: 48 bits of Unix milliseconds, then random bits. Ids that grow with time land at the
 * end of the id index, so an insert touches the same page as its neighbours instead of a random
 * one: less to write per message in SQLite and PostgreSQL. Built from randomUUID (which draws
 * from a cached entropy pool) by overwriting the time and version fields.
 */
export function newMessageId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
