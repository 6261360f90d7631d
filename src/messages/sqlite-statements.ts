import type { Database, Statement } from 'better-sqlite3';
import { DIRECT_MESSAGE_COLUMNS, type DirectMessageRow, ROOM_MESSAGE_COLUMNS, type RoomMessageRow } from './message-rows.js';

type Nullable = string | null;

/** Every statement the SQLite store runs, prepared once per connection. */
export interface SqliteStatements {
  roomByClientId: Statement<[string, string], RoomMessageRow>;
  saveRoomSeq: Statement<[string, number]>;
  insertRoomMessage: Statement<[string, number, string, string, string, string, string, Nullable]>;
  roomPage: Statement<[string, number, number], RoomMessageRow>;
  roomSince: Statement<[string, number, number], RoomMessageRow>;
  lastSeq: Statement<[string], number>;
  directByClientId: Statement<[string, string], DirectMessageRow>;
  insertDirectMessage: Statement<[string, string, string, string, string, string, string, string, Nullable]>;
  directCursor: Statement<[string, string], number>;
  directPage: Statement<[string, number, number], DirectMessageRow>;
  pruneRoomMessages: Statement<[string, number]>;
  pruneDirectMessages: Statement<[string, number]>;
  ping: Statement<[], number>;
}

export function prepareStatements(db: Database): SqliteStatements {
  return {
    roomByClientId: db.prepare(
      `SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE sender_id = ? AND client_msg_id = ?`,
    ),
    saveRoomSeq: db.prepare(
      'INSERT INTO room_seqs (room, last_seq) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET last_seq = excluded.last_seq',
    ),
    insertRoomMessage: db.prepare(
      `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, client_msg_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    roomPage: db.prepare(
      `SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
    ),
    roomSince: db.prepare(
      `SELECT ${ROOM_MESSAGE_COLUMNS} FROM room_messages WHERE room = ? AND seq > ? ORDER BY seq ASC LIMIT ?`,
    ),
    lastSeq: db.prepare<[string], number>('SELECT last_seq FROM room_seqs WHERE room = ?').pluck(),
    directByClientId: db.prepare(
      `SELECT ${DIRECT_MESSAGE_COLUMNS} FROM direct_messages WHERE sender_id = ? AND client_msg_id = ?`,
    ),
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
    pruneRoomMessages: db.prepare(
      'DELETE FROM room_messages WHERE rowid IN (SELECT rowid FROM room_messages WHERE sent_at < ? LIMIT ?)',
    ),
    pruneDirectMessages: db.prepare(
      'DELETE FROM direct_messages WHERE pk IN (SELECT pk FROM direct_messages WHERE sent_at < ? LIMIT ?)',
    ),
    ping: db.prepare<[], number>('SELECT 1').pluck(),
  };
}
