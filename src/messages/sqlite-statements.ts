import type { Database, Statement } from 'better-sqlite3';
import { DIRECT_MESSAGE_COLUMNS, type DirectMessageRow, ROOM_MESSAGE_COLUMNS, type RoomMessageRow } from './message-rows.js';

type Nullable = string | null;

export interface PrunableRoomMessage {
  rowid: number;
  room: string;
  seq: number;
  rev: number;
}

/** A room's counters as stored: what the next seq and rev continue from. */
export interface StoredRoomCounters {
  last_seq: number;
  last_rev: number;
}

/** Every message statement the SQLite store runs, prepared once per connection. */
export interface SqliteStatements {
  roomByClientId: Statement<[string, string], RoomMessageRow>;
  raiseRoomFloors: Statement<[string, number, number]>;
  insertRoomMessage: Statement<[string, number, string, string, string, string, string, Nullable, number]>;
  /** read_seq, room, user id, read_seq again: forward only, and nothing for a non-member. */
  moveMarker: Statement<[number, string, string, number]>;
  roomMessage: Statement<[string, number], RoomMessageRow>;
  editRoomMessage: Statement<[string, string, number, string, number]>;
  tombstoneRoomMessage: Statement<[string, number, string, number]>;
  roomPage: Statement<[string, number, number], RoomMessageRow>;
  roomSince: Statement<[string, number, number], RoomMessageRow>;
  changedSinceRev: Statement<[string, number, number], RoomMessageRow>;
  unchangedSinceRev: Statement<[string, number, number, number], RoomMessageRow>;
  lastSeq: Statement<[string], number>;
  roomCounters: Statement<[string], StoredRoomCounters>;
  directByClientId: Statement<[string, string], DirectMessageRow>;
  insertDirectMessage: Statement<[string, string, string, string, string, string, string, string, Nullable]>;
  directCursor: Statement<[string, string], number>;
  directPage: Statement<[string, number, number], DirectMessageRow>;
  oldestRoomMessages: Statement<[number, string], PrunableRoomMessage>;
  deleteRoomMessage: Statement<[number]>;
  pruneDirectMessages: Statement<[number, string]>;
  ping: Statement<[], number>;
}

/**
 * Exactly the WHERE of the partial index room_messages_changed_idx (migration 3): SQLite uses a
 * partial index only for a query whose WHERE contains the index's condition as written.
 */
const CHANGED = '(edited_at IS NOT NULL OR deleted_at IS NOT NULL)';
const UNCHANGED = 'edited_at IS NULL AND deleted_at IS NULL';

export function prepareStatements(db: Database): SqliteStatements {
  return {
    roomByClientId: db.prepare(`SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE sender_id = ? AND client_msg_id = ?`),
    // room_seqs only matters once a room's newest (or newest changed) messages are pruned: pruning raises it first.
    raiseRoomFloors: db.prepare(
      `INSERT INTO room_seqs (room, last_seq, last_rev) VALUES (?, ?, ?)
       ON CONFLICT (room) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq), last_rev = MAX(last_rev, excluded.last_rev)`,
    ),
    insertRoomMessage: db.prepare(
      `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id, rev)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    moveMarker: db.prepare('UPDATE room_members SET read_seq = ? WHERE room = ? AND user_id = ? AND read_seq < ?'),
    roomMessage: db.prepare(`SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND seq = ?`),
    editRoomMessage: db.prepare('UPDATE room_messages SET text = ?, edited_at = ?, rev = ? WHERE room = ? AND seq = ?'),
    // The text is overwritten in the row, not flagged: a tombstone keeps nothing of what was said.
    tombstoneRoomMessage: db.prepare("UPDATE room_messages SET text = '', deleted_at = ?, rev = ? WHERE room = ? AND seq = ?"),
    roomPage: db.prepare(`SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
    roomSince: db.prepare(`SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND seq > ? ORDER BY seq ASC LIMIT ?`),
    // The two halves of "rev > X" (see SqliteMessageStore.roomSinceRev): changed rows through the
    // partial index, unchanged rows through (room, seq) from a seq below which none can qualify.
    changedSinceRev: db.prepare(
      `SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND rev > ? AND ${CHANGED} ORDER BY rev ASC LIMIT ?`,
    ),
    unchangedSinceRev: db.prepare(
      `SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages
       WHERE room = ? AND seq > ? AND rev > ? AND ${UNCHANGED} ORDER BY seq ASC LIMIT ?`,
    ),
    lastSeq: db
      .prepare<[string], number>(
        `SELECT MAX(IFNULL(floor.last_seq, 0), IFNULL((SELECT MAX(seq) FROM room_messages WHERE room = asked.room), 0))
         FROM (SELECT ? AS room) AS asked LEFT JOIN room_seqs AS floor ON floor.room = asked.room`,
      )
      .pluck(),
    // No counter row is written per send, so the last rev is the highest of: the floor pruning
    // left, the newest message's rev (unchanged revs grow with seq), and the changed rows' revs.
    roomCounters: db.prepare<[string], StoredRoomCounters>(
      `SELECT
         MAX(IFNULL(floor.last_seq, 0), IFNULL((SELECT MAX(seq) FROM room_messages WHERE room = asked.room), 0)) AS last_seq,
         MAX(
           IFNULL(floor.last_rev, 0),
           IFNULL((SELECT rev FROM room_messages WHERE room = asked.room ORDER BY seq DESC LIMIT 1), 0),
           IFNULL((SELECT MAX(rev) FROM room_messages WHERE room = asked.room AND ${CHANGED}), 0)
         ) AS last_rev
       FROM (SELECT ? AS room) AS asked LEFT JOIN room_seqs AS floor ON floor.room = asked.room`,
    ),
    directByClientId: db.prepare(`SELECT ${DIRECT_MESSAGE_COLUMNS} FROM direct_messages WHERE sender_id = ? AND client_msg_id = ?`),
    insertDirectMessage: db.prepare(
      `INSERT INTO direct_messages
         (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at, client_msg_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    directCursor: db.prepare<[string, string], number>('SELECT pk FROM direct_messages WHERE id = ? AND conversation = ?').pluck(),
    directPage: db.prepare(
      `SELECT ${DIRECT_MESSAGE_COLUMNS} FROM direct_messages
       WHERE conversation = ? AND pk < ? ORDER BY pk DESC LIMIT ?`,
    ),
    // No index on sent_at (one B-tree less per insert): rows are in insertion order, which is
    // send order, so the oldest are the first rowids; only the first `limit` are looked at.
    oldestRoomMessages: db.prepare(
      `SELECT rowid, room, seq, rev FROM (SELECT rowid, room, seq, rev, sent_at FROM room_messages ORDER BY rowid LIMIT ?)
       WHERE sent_at < ?`,
    ),
    deleteRoomMessage: db.prepare('DELETE FROM room_messages WHERE rowid = ?'),
    pruneDirectMessages: db.prepare(
      `DELETE FROM direct_messages WHERE pk IN
         (SELECT pk FROM (SELECT pk, sent_at FROM direct_messages ORDER BY pk LIMIT ?) WHERE sent_at < ?)`,
    ),
    ping: db.prepare<[], number>('SELECT 1').pluck(),
  };
}
