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
 * An edit or deletion in one statement: `changed` (true) with the changed row, or else the row as
 * the statement's snapshot saw it (changed false; no row: no such message).
 * The room_seqs row lock comes first, as in a send, so edits, deletions and sends of a room queue
 * on one lock and never deadlock. FOR NO KEY UPDATE returns the newest last_rev once the lock is
 * ours, and the message UPDATE re-checks `condition` against the newest row version, so a change
 * committed by another process while this one waited is never overwritten or counted twice. The
 * rev is only taken when the message changes; otherwise nothing is written. When the snapshot row
 * would have changed but the newest one did not, the store asks again (see PostgresMessageStore).
 */
function changeRoomMessage(assignments: string, condition: string): string {
  return `WITH counter AS MATERIALIZED (
            SELECT last_rev FROM room_seqs WHERE room = $1 FOR NO KEY UPDATE
          ), changed AS (
            UPDATE room_messages AS message SET ${assignments}, rev = counter.last_rev + 1
            FROM counter
            WHERE message.room = $1 AND message.seq = $2 AND ${condition}
            RETURNING ${qualified('message', ROOM_MESSAGE_COLUMNS)}
          ), bump AS (
            UPDATE room_seqs SET last_rev = changed.rev FROM changed WHERE room_seqs.room = $1
          )
          SELECT true AS changed, ${ROOM_MESSAGE_COLUMNS} FROM changed
          UNION ALL
          SELECT false, ${ROOM_MESSAGE_COLUMNS} FROM room_messages
          WHERE room = $1 AND seq = $2 AND NOT EXISTS (SELECT FROM changed)`;
}

/** `a, b` as `table.a, table.b`. */
export function qualified(table: string, columns: string): string {
  return columns
    .split(',')
    .map((column) => `${table}.${column.trim()}`)
    .join(', ');
}

/**
 * Named statements: pg prepares each once per connection and then only sends parameters.
 * The room insert is one statement, so one round trip and one implicit transaction: the
 * room_seqs upsert takes the room's row lock (serializing senders, editors and deleters across
 * every process) and the message insert uses the new seq and rev. The sender's read marker moves
 * in the same statement. A unique violation on (sender, client_msg_id) fails the statement as a
 * whole, so the increments and the marker roll back with it and no seq or rev is burned.
 */
export const PG = {
  /** $1 room, $2 id, $3 sender id, $4 sender name, $5 text, $6 sentAt, $7 clientMsgId. */
  insertRoomMessage: {
    name: 'chat_insert_room_message',
    text: `WITH next AS (
             INSERT INTO room_seqs AS counter (room, last_seq, last_rev) VALUES ($1, 1, 1)
             ON CONFLICT (room) DO UPDATE SET last_seq = counter.last_seq + 1, last_rev = counter.last_rev + 1
             RETURNING last_seq, last_rev
           ), marker AS (
             UPDATE room_members SET read_seq = next.last_seq FROM next
             WHERE room_members.room = $1 AND room_members.user_id = $3 AND room_members.read_seq < next.last_seq
           )
           INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id, rev)
           SELECT $1, next.last_seq, $2, $3, $4, $5, $6, $7, next.last_rev FROM next
           RETURNING seq, rev`,
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
  /** $1 room, $2 sinceRev, $3 limit + 1, $4 maxBytes; reads the (room, rev) index. */
  roomSinceRev: {
    name: 'chat_room_since_rev',
    text: withinBudget(
      ROOM_MESSAGE_COLUMNS,
      'rev ASC',
      `SELECT ${ROOM_MESSAGE_COLUMNS}, ${ROOM_REPLY_BYTES} AS reply_bytes FROM room_messages
       WHERE room = $1 AND rev > $2 ORDER BY rev ASC LIMIT $3`,
    ),
  },
  lastSeq: {
    name: 'chat_last_seq',
    text: 'SELECT last_seq FROM room_seqs WHERE room = $1',
  },
  roomState: {
    name: 'chat_room_state',
    text: 'SELECT last_seq, last_rev FROM room_seqs WHERE room = $1',
  },
  roomMessage: {
    name: 'chat_room_message',
    text: `SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = $1 AND seq = $2`,
  },
  /** $1 room, $2 seq, $3 author id, $4 text, $5 editedAt (see changeRoomMessage). */
  editRoomMessage: {
    name: 'chat_edit_room_message',
    text: changeRoomMessage('text = $4, edited_at = $5', 'message.deleted_at IS NULL AND message.sender_id = $3 AND message.text <> $4'),
  },
  /** $1 room, $2 seq, $3 author id or null (anyone's), $4 deletedAt; the text is erased. */
  deleteRoomMessage: {
    name: 'chat_delete_room_message',
    text: changeRoomMessage("text = '', deleted_at = $4", 'message.deleted_at IS NULL AND ($3::text IS NULL OR message.sender_id = $3)'),
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
  /**
   * Retention deletes many rows in no particular order, and an erasure step (or an edit) holds
   * some of them locked: skipping locked rows (the next pass takes them) means pruning never waits
   * for a row lock, so it can never be part of a deadlock.
   */
  pruneRoomMessages: {
    name: 'chat_prune_room_messages',
    text: `DELETE FROM room_messages WHERE (room, seq) IN (
             SELECT room, seq FROM room_messages WHERE sent_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  pruneDirectMessages: {
    name: 'chat_prune_direct_messages',
    text: `DELETE FROM direct_messages WHERE pk IN (
             SELECT pk FROM direct_messages WHERE sent_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
} as const;

/** The constraints whose violation means "this (sender, clientMsgId) is already stored". */
export const ROOM_CLIENT_ID_CONSTRAINT = 'room_messages_client_msg_id_key';
export const DIRECT_CLIENT_ID_CONSTRAINT = 'direct_messages_client_msg_id_key';
