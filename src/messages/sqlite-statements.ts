import type { Database, Statement } from 'better-sqlite3';
import { DIRECT_MESSAGE_COLUMNS, type DirectMessageRow, ROOM_MESSAGE_COLUMNS, type RoomMessageRow } from './message-rows.js';

type Nullable = string | null;

export interface PrunableRoomMessage {
  rowid: number;
  room: string;
  seq: number;
}

/** Every statement the SQLite store runs, prepared once per connection. */
export interface SqliteStatements {
  roomByClientId: Statement<[string, string], RoomMessageRow>;
  raiseRoomSeqFloor: Statement<[string, number]>;
  insertRoomMessage: Statement<[string, number, string, string, string, string, string, Nullable]>;
  roomPage: Statement<[string, number, number], RoomMessageRow>;
  roomSince: Statement<[string, number, number], RoomMessageRow>;
  lastSeq: Statement<[string], number>;
  directByClientId: Statement<[string, string], DirectMessageRow>;
  insertDirectMessage: Statement<[string, string, string, string, string, string, string, string, Nullable]>;
  directCursor: Statement<[string, string], number>;
  directPage: Statement<[string, number, number], DirectMessageRow>;
  oldestRoomMessages: Statement<[number, string], PrunableRoomMessage>;
  deleteRoomMessage: Statement<[number]>;
  pruneDirectMessages: Statement<[number, string]>;
  ping: Statement<[], number>;
}

export function prepareStatements(db: Database): SqliteStatements {
  return {
    roomByClientId: db.prepare(`SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE sender_id = ? AND client_msg_id = ?`),
    // room_seqs only matters once a room's newest messages are pruned: pruning raises it first.
    raiseRoomSeqFloor: db.prepare(
      `INSERT INTO room_seqs (room, last_seq) VALUES (?, ?)
       ON CONFLICT (room) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)`,
    ),
    insertRoomMessage: db.prepare(
      `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    roomPage: db.prepare(`SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`),
    roomSince: db.prepare(`SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND seq > ? ORDER BY seq ASC LIMIT ?`),
    lastSeq: db
      .prepare<[string], number>(
        `SELECT MAX(IFNULL(floor.last_seq, 0), IFNULL((SELECT MAX(seq) FROM room_messages WHERE room = asked.room), 0))
         FROM (SELECT ? AS room) AS asked LEFT JOIN room_seqs AS floor ON floor.room = asked.room`,
      )
      .pluck(),
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
      `SELECT rowid, room, seq FROM (SELECT rowid, room, seq, sent_at FROM room_messages ORDER BY rowid LIMIT ?)
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
