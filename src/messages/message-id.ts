import { randomUUID } from 'node:crypto';

/**
 * A UUIDv7: 48 bits of Unix milliseconds, then random bits. Ids that grow with time land at the
 * end of the id index, so an insert touches the same page as its neighbours instead of a random
 * one: less to write per message in SQLite and PostgreSQL. Built from randomUUID (which draws
 * from a cached entropy pool) by overwriting the time and version fields.
 */
export function newMessageId(now = Date.now()): string {
  return newMessageStamp(now).id;
}

/**
 * A new message's id and sentAt from one clock reading, so the id's time prefix matches sentAt.
 * Callers destructure it into the message literal: spreading it in would allocate and copy on
 * every send (docs/benchmarks.md, "Allocation on every send").
 */
export function newMessageStamp(now = Date.now()): { id: string; sentAt: string } {
  const fields = clockFields(now);
  return { id: `${fields.idPrefix}${randomUUID().slice(15)}`, sentAt: fields.iso };
}

interface ClockFields {
  ms: number;
  idPrefix: string;
  iso: string;
}

let lastFields: ClockFields = { ms: Number.NaN, idPrefix: '', iso: '' };

/** A busy gateway stamps several messages per millisecond: format each millisecond once. */
function clockFields(now: number): ClockFields {
  if (now !== lastFields.ms) {
    const time = now.toString(16).padStart(12, '0');
    lastFields = { ms: now, idPrefix: `${time.slice(0, 8)}-${time.slice(8, 12)}-7`, iso: new Date(now).toISOString() };
  }
  return lastFields;
}
