import type { DirectMessage, Message, MessagePage } from '../contract.js';
import { toDirectMessage, toRoomMessage } from './message-shapes.js';

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
}

export const ROOM_MESSAGE_COLUMNS = 'id, room, seq, sender_id, sender_name, text, sent_at, client_msg_id';
export const DIRECT_MESSAGE_COLUMNS = 'id, sender_id, sender_name, recipient_id, recipient_name, text, sent_at, client_msg_id';

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
  );
}

export function directMessageFromRow(row: DirectMessageRow): DirectMessage {
  return toDirectMessage({
    id: row.id,
    from: { id: row.sender_id, name: row.sender_name },
    to: { id: row.recipient_id, name: row.recipient_name },
    text: row.text,
    sentAt: isoTime(row.sent_at),
    clientMsgId: row.client_msg_id ?? undefined,
  });
}

/**
 * Rows selected newest first with one extra row as the hasMore probe: the page of at most
 * `limit` messages in chronological order.
 */
export function pageFromNewestFirst<R, T>(rows: R[], limit: number, toMessage: (row: R) => T): MessagePage<T> {
  const hasMore = rows.length > limit;
  const count = Math.min(rows.length, limit);
  const messages = new Array<T>(count);
  for (let i = 0; i < count; i += 1) messages[count - 1 - i] = toMessage(rows[i]!);
  return { messages, hasMore };
}

/** Rows selected oldest first with one extra row as the hasMore probe. */
export function pageFromOldestFirst<R, T>(rows: R[], limit: number, toMessage: (row: R) => T): MessagePage<T> {
  return { messages: rows.slice(0, limit).map(toMessage), hasMore: rows.length > limit };
}

function isoTime(value: string | Date): string {
  return typeof value === 'string' ? value : value.toISOString();
}
