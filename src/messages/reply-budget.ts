import type { DirectMessage, Message } from '../contract.js';

/**
 * What a message is counted for against MAX_REPLY_BYTES besides its free-length fields: its JSON
 * keys and punctuation, id, room, seq, rev, user ids, sentAt, editedAt and deletedAt, which stay under
 * this in JSON.
 */
export const MESSAGE_OVERHEAD_BYTES = 400;

/**
 * A message's counted size: the UTF-8 bytes of its free-length fields (text, sender and recipient
 * names, clientMsgId) plus MESSAGE_OVERHEAD_BYTES. JSON escapes are not counted, so a text of
 * quotes or control characters serialises somewhat larger than it is counted.
 */
export function countedBytes(...fields: ReadonlyArray<string | null | undefined>): number {
  let bytes = MESSAGE_OVERHEAD_BYTES;
  for (const field of fields) if (field) bytes += Buffer.byteLength(field, 'utf8');
  return bytes;
}

export function roomMessageBytes(message: Message): number {
  return countedBytes(message.text, message.from.name, message.clientMsgId);
}

export function directMessageBytes(message: DirectMessage): number {
  return countedBytes(message.text, message.from.name, message.to.name, message.clientMsgId);
}

/** How much one page of history may hold. */
export interface PageBounds {
  limit: number;
  /** Counted bytes (see countedBytes); undefined: only `limit` bounds the page. */
  maxBytes?: number;
}

/**
 * Takes rows in reading order (newest first for a page back in time, oldest first for a resume)
 * while the page has room: at most `limit` rows, and no row that would take the running counted
 * size past maxBytes. The first row is always taken, however large, so a client can always page
 * on (one message is bounded by MAX_MESSAGE_LENGTH). hasMore: a row was left over. Reading stops
 * at the first row left over, so a store that reads lazily reads at most one row too many.
 */
export function takePage<R>(rows: Iterable<R>, bounds: PageBounds, sizeOf: (row: R) => number): { rows: R[]; hasMore: boolean } {
  const taken: R[] = [];
  const maxBytes = bounds.maxBytes ?? Number.POSITIVE_INFINITY;
  let bytes = 0;
  for (const row of rows) {
    if (taken.length >= bounds.limit) return { rows: taken, hasMore: true };
    bytes += sizeOf(row);
    if (taken.length > 0 && bytes > maxBytes) return { rows: taken, hasMore: true };
    taken.push(row);
  }
  return { rows: taken, hasMore: false };
}
