import type { DirectMessage, Message, MessagePage } from '../contract.js';
import { toDirectMessage, toRoomMessage } from './message-shapes.js';
import { countedBytes, type PageBounds, takePage } from './reply-budget.js';

/** A room_messages row as both SQL stores select it (PostgreSQL hands bigint as string, time as Date). */
export interface RoomMessageRow {
  id: string;
  room: string;
  seq: number | string;
  sender_id: string;
  sender_name: string;
  text: string;
  sent_at: string | Date;
  client_msg_id: string | null;
  rev: number | string;
  edited_at: string | Date | null;
  deleted_at: string | Date | null;
}

export interface DirectMessageRow {
  id: string;
  sender_id: string;
  sender_name: string;
  recipient_id: string;
  recipient_name: string;
  text: string;
  sent_at: string | Date;
  client_msg_id: string | null;
  deleted_at: string | Date | null;
}

export const ROOM_MESSAGE_COLUMNS = 'id, room, seq, sender_id, sender_name, text, sent_at, client_msg_id, rev, edited_at, deleted_at';
export const DIRECT_MESSAGE_COLUMNS = 'id, sender_id, sender_name, recipient_id, recipient_name, text, sent_at, client_msg_id, deleted_at';

export function roomMessageFromRow(row: RoomMessageRow): Message {
  return toRoomMessage(
    {
      id: row.id,
      room: row.room,
      from: { id: row.sender_id, name: row.sender_name },
      text: row.text,
      sentAt: isoTime(row.sent_at),
      clientMsgId: row.client_msg_id ?? undefined,
    },
    Number(row.seq),
    Number(row.rev),
    {
      editedAt: row.edited_at === null ? undefined : isoTime(row.edited_at),
      deletedAt: row.deleted_at === null ? undefined : isoTime(row.deleted_at),
    },
  );
}

export function directMessageFromRow(row: DirectMessageRow): DirectMessage {
  return toDirectMessage(
    {
      id: row.id,
      from: { id: row.sender_id, name: row.sender_name },
      to: { id: row.recipient_id, name: row.recipient_name },
      text: row.text,
      sentAt: isoTime(row.sent_at),
      clientMsgId: row.client_msg_id ?? undefined,
    },
    row.deleted_at === null ? undefined : isoTime(row.deleted_at),
  );
}

export function roomRowBytes(row: RoomMessageRow): number {
  return countedBytes(row.text, row.sender_name, row.client_msg_id);
}

export function directRowBytes(row: DirectMessageRow): number {
  return countedBytes(row.text, row.sender_name, row.recipient_name, row.client_msg_id);
}

/**
 * Rows read newest first (one past the page as the hasMore probe): the page within `bounds`
 * (see takePage) in chronological order. Only the rows taken become messages.
 */
export function pageFromNewestFirst<R, T>(
  rows: Iterable<R>,
  bounds: PageBounds,
  sizeOf: (row: R) => number,
  toMessage: (row: R) => T,
): MessagePage<T> {
  const { rows: taken, hasMore } = takePage(rows, bounds, sizeOf);
  const count = taken.length;
  const messages = new Array<T>(count);
  for (let i = 0; i < count; i += 1) messages[count - 1 - i] = toMessage(taken[i]!);
  return { messages, hasMore };
}

/** Rows read oldest first (one past the page as the hasMore probe): the page within `bounds`. */
export function pageFromOldestFirst<R, T>(
  rows: Iterable<R>,
  bounds: PageBounds,
  sizeOf: (row: R) => number,
  toMessage: (row: R) => T,
): MessagePage<T> {
  const { rows: taken, hasMore } = takePage(rows, bounds, sizeOf);
  return { messages: taken.map(toMessage), hasMore };
}

/** PostgreSQL hands timestamptz as Date, SQLite stores the ISO text itself. */
export function isoTime(value: string | Date): string {
  return typeof value === 'string' ? value : value.toISOString();
}
