import { DIRECT_MESSAGE_COLUMNS, ROOM_MESSAGE_COLUMNS } from './message-rows.js';
import { MESSAGE_OVERHEAD_BYTES } from './reply-budget.js';

/** countedBytes in SQL: octet_length is the UTF-8 length Buffer.byteLength gives. */
const ROOM_REPLY_BYTES = `(${MESSAGE_OVERHEAD_BYTES} + octet_length(text) + octet_length(sender_name)
  + COALESCE(octet_length(client_msg_id), 0))`;
const DIRECT_REPLY_BYTES = `(${MESSAGE_OVERHEAD_BYTES} + octet_length(text) + octet_length(sender_name)
  + octet_length(recipient_name) + COALESCE(octet_length(client_msg_id), 0))`;

/**
 * Wraps a page query (rows in reading order with their reply_bytes, one past the limit) so the
 * database sends only the rows takePage can look at: the first two (the first is always taken,
 * the second is then at least the hasMore probe) and every row whose predecessors fit in $4
 * bytes, which is the page plus the first row left over. Rows past the budget are never sent.
 */
function withinBudget(columns: string, order: string, page: string): string {
  return `SELECT ${columns}, reply_bytes FROM (
            SELECT page.*, ROW_NUMBER() OVER reading AS position,
                   SUM(reply_bytes) OVER reading - reply_bytes AS bytes_before
            FROM (${page}) AS page
            WINDOW reading AS (ORDER BY ${order} ROWS UNBOUNDED PRECEDING)
          ) AS sized
          WHERE position <= 2 OR bytes_before <= $4
          ORDER BY ${order}`;
}

/**
 * Named statements: pg prepares each once per connection and then only sends parameters.
 * The room insert is one statement, so one round trip and one implicit transaction: the
 * room_seqs upsert takes the room's row lock (serializing senders across every process) and
 * the message insert uses the new value. A unique violation on (sender, client_msg_id) fails
 * the statement as a whole, so the increment rolls back with it and no seq is burned.
 */
export const PG = {
  insertRoomMessage: {
    name: 'chat_insert_room_message',
    text: `WITH next AS (
             INSERT INTO room_seqs AS counter (room, last_seq) VALUES ($1, 1)
             ON CONFLICT (room) DO UPDATE SET last_seq = counter.last_seq + 1
             RETURNING last_seq
           )
           INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id)
           SELECT $1, next.last_seq, $2, $3, $4, $5, $6, $7 FROM next
           RETURNING seq`,
  },
  roomByClientId: {
    name: 'chat_room_by_client_id',
    text: `SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE sender_id = $1 AND client_msg_id = $2`,
  },
  /** $1 room, $2 beforeSeq, $3 limit + 1, $4 maxBytes (see withinBudget). */
  roomPage: {
    name: 'chat_room_page',
    text: withinBudget(
      ROOM_MESSAGE_COLUMNS,
      'seq DESC',
      `SELECT ${ROOM_MESSAGE_COLUMNS}, ${ROOM_REPLY_BYTES} AS reply_bytes FROM room_messages
       WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3`,
    ),
  },
  /** $1 room, $2 sinceSeq, $3 limit + 1, $4 maxBytes. */
  roomSince: {
    name: 'chat_room_since',
    text: withinBudget(
      ROOM_MESSAGE_COLUMNS,
      'seq ASC',
      `SELECT ${ROOM_MESSAGE_COLUMNS}, ${ROOM_REPLY_BYTES} AS reply_bytes FROM room_messages
       WHERE room = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3`,
    ),
  },
  lastSeq: {
    name: 'chat_last_seq',
    text: 'SELECT last_seq FROM room_seqs WHERE room = $1',
  },
  /**
   * Conversations page by pk, so one conversation's rows must commit in pk order: otherwise a
   * page read between two concurrent commits misses the earlier pk for good. The advisory lock
   * (held until this statement's transaction commits) is taken before the row, and its pk, exist.
   */
  insertDirectMessage: {
    name: 'chat_insert_direct_message',
    text: `WITH turn AS (SELECT pg_advisory_xact_lock(hashtextextended($2, 0)))
           INSERT INTO direct_messages
             (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at, client_msg_id)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM turn`,
  },
  directByClientId: {
    name: 'chat_direct_by_client_id',
    text: `SELECT ${DIRECT_MESSAGE_COLUMNS} FROM direct_messages WHERE sender_id = $1 AND client_msg_id = $2`,
  },
  directCursor: {
    name: 'chat_direct_cursor',
    text: 'SELECT pk FROM direct_messages WHERE id = $1 AND conversation = $2',
  },
  /** $1 conversation, $2 pk bound, $3 limit + 1, $4 maxBytes. */
  directPage: {
    name: 'chat_direct_page',
    text: withinBudget(
      DIRECT_MESSAGE_COLUMNS,
      'pk DESC',
      `SELECT pk, ${DIRECT_MESSAGE_COLUMNS}, ${DIRECT_REPLY_BYTES} AS reply_bytes FROM direct_messages
       WHERE conversation = $1 AND pk < $2 ORDER BY pk DESC LIMIT $3`,
    ),
  },
  pruneRoomMessages: {
    name: 'chat_prune_room_messages',
    text: `DELETE FROM room_messages WHERE (room, seq) IN (
             SELECT room, seq FROM room_messages WHERE sent_at < $1 LIMIT $2)`,
  },
  pruneDirectMessages: {
    name: 'chat_prune_direct_messages',
    text: `DELETE FROM direct_messages WHERE pk IN (
             SELECT pk FROM direct_messages WHERE sent_at < $1 LIMIT $2)`,
  },
} as const;

/** The constraints whose violation means "this (sender, clientMsgId) is already stored". */
export const ROOM_CLIENT_ID_CONSTRAINT = 'room_messages_client_msg_id_key';
export const DIRECT_CLIENT_ID_CONSTRAINT = 'direct_messages_client_msg_id_key';
