import type { Database } from 'better-sqlite3';
import type { DirectMessage, Message } from '../contract.js';
import { directMessageFromRow, roomMessageFromRow } from './message-rows.js';
import { toDirectMessage, toRoomMessage } from './message-shapes.js';
import {
  type Appended,
  conversationKey,
  type MessageChange,
  type NewDirectMessage,
  type NewRoomMessage,
  type RoomMessageDeletion,
  type RoomMessageEdit,
} from './message-store.js';
import type { SqliteStatements } from './sqlite-statements.js';
import type { RoomCounterSession } from './sqlite-write-session.js';

/**
 * Runs inside a group-commit transaction, like every function here. The insert goes first: a repeated (sender, clientMsgId) trips
 * the unique index, which aborts only this statement, and the original is returned instead (as
 * it is stored now: edited, or a tombstone); the seq and rev it would have used stay free. No
 * lookup is paid on the common, first-time path. A taken (room, seq) means another process wrote
 * to this file: the counters are reloaded once.
 */
export function writeRoomMessage(statements: SqliteStatements, session: RoomCounterSession, input: NewRoomMessage): Appended<Message> {
  try {
    return insertRoomMessage(statements, session, input);
  } catch (error) {
    if (!isTakenSeq(error)) throw error;
    session.reload(input.room);
    return insertRoomMessage(statements, session, input);
  }
}

/** The insert and the sender's marker: the only two statements a send runs. */
function insertRoomMessage(statements: SqliteStatements, session: RoomCounterSession, input: NewRoomMessage): Appended<Message> {
  const counters = session.counters(input.room);
  const seq = counters.seq + 1;
  const rev = counters.rev + 1;
  try {
    statements.insertRoomMessage.run(
      input.room,
      seq,
      input.id,
      input.from.id,
      input.from.name,
      input.text,
      input.sentAt,
      input.clientMsgId ?? null,
      rev,
    );
  } catch (error) {
    // Anything but a repeated clientMsgId (a taken seq included) is rethrown there.
    return originalOf(error, () => statements.roomByClientId.get(input.from.id, input.clientMsgId!), roomMessageFromRow);
  }
  counters.seq = seq;
  counters.rev = rev;
  statements.moveMarker.run(seq, input.room, input.from.id, seq);
  return { message: toRoomMessage(input, seq, rev), created: true };
}

/** Only the author, never a tombstone, and the same text is no change (no rev taken). */
export function writeRoomEdit(
  statements: SqliteStatements,
  session: RoomCounterSession,
  edit: RoomMessageEdit,
  erasing: ErasingWrite,
): MessageChange {
  const row = statements.roomMessage.get(edit.room, edit.seq);
  if (row === undefined || row.deleted_at !== null) return { outcome: 'not-found' };
  if (row.sender_id !== edit.authorId) return { outcome: 'not-author', message: roomMessageFromRow(row) };
  if (row.text === edit.text) return { outcome: 'unchanged', message: roomMessageFromRow(row) };
  const counters = session.counters(edit.room);
  const rev = counters.rev + 1;
  erasing(() => statements.editRoomMessage.run(edit.text, edit.editedAt, rev, edit.room, edit.seq));
  counters.rev = rev;
  return { outcome: 'changed', message: roomMessageFromRow({ ...row, text: edit.text, edited_at: edit.editedAt, rev }) };
}

/** Runs a write with the space it frees zeroed (see secureDeleting). */
export type ErasingWrite = (write: () => void) => void;

/**
 * PRAGMA secure_delete = ON for one write: besides the freed space within pages (which the
 * connection's FAST mode zeroes for every write), the overflow pages of a long text are zeroed
 * when they are freed, so an edited or deleted text is gone from the file, not only from its
 * row. Only around edits and deletions, which are rare: sends and pruning keep the connection's
 * mode. The pragma takes effect when it is compiled, so it cannot be a prepared statement.
 */
export function secureDeleting(db: Database): ErasingWrite {
  const usual = db.pragma('secure_delete', { simple: true }) as number;
  const restore = `secure_delete = ${usual === 2 ? 'FAST' : usual}`;
  return (write) => {
    db.pragma('secure_delete = ON');
    try {
      write();
    } finally {
      db.pragma(restore);
    }
  };
}

/** The author's (or, without authorId, anyone's) message becomes a tombstone; a tombstone stays as it is. */
export function writeRoomDeletion(
  statements: SqliteStatements,
  session: RoomCounterSession,
  deletion: RoomMessageDeletion,
  erasing: ErasingWrite,
): MessageChange {
  const row = statements.roomMessage.get(deletion.room, deletion.seq);
  if (row === undefined) return { outcome: 'not-found' };
  if (deletion.authorId !== undefined && row.sender_id !== deletion.authorId) {
    return { outcome: 'not-author', message: roomMessageFromRow(row) };
  }
  if (row.deleted_at !== null) return { outcome: 'unchanged', message: roomMessageFromRow(row) };
  const counters = session.counters(deletion.room);
  const rev = counters.rev + 1;
  erasing(() => statements.tombstoneRoomMessage.run(deletion.deletedAt, rev, deletion.room, deletion.seq));
  counters.rev = rev;
  return { outcome: 'changed', message: roomMessageFromRow({ ...row, text: '', deleted_at: deletion.deletedAt, rev }) };
}

export function writeDirectMessage(statements: SqliteStatements, input: NewDirectMessage): Appended<DirectMessage> {
  try {
    statements.insertDirectMessage.run(
      input.id,
      conversationKey(input.from.id, input.to.id),
      input.from.id,
      input.from.name,
      input.to.id,
      input.to.name,
      input.text,
      input.sentAt,
      input.clientMsgId ?? null,
    );
  } catch (error) {
    return originalOf(error, () => statements.directByClientId.get(input.from.id, input.clientMsgId!), directMessageFromRow);
  }
  return { message: toDirectMessage(input), created: true };
}

/** The stored original of a repeated (sender, clientMsgId); any other failure is rethrown. */
function originalOf<R, M>(error: unknown, findOriginal: () => R | undefined, toMessage: (row: R) => M): Appended<M> {
  const original = isDuplicateClientId(error) ? findOriginal() : undefined;
  if (!original) throw error;
  return { message: toMessage(original), created: false };
}

/**
 * Room messages first, then direct messages, `limit` rows at most in all, oldest first. Before a
 * room message goes, room_seqs is raised to its seq and rev, so a room whose newest (or newest
 * changed) messages are pruned still continues both counts instead of handing one out again.
 */
export function deleteOlder(statements: SqliteStatements, before: string, limit: number): number {
  const rooms = statements.oldestRoomMessages.all(limit, before);
  for (const { rowid, room, seq, rev } of rooms) {
    statements.raiseRoomFloors.run(room, seq, rev);
    statements.deleteRoomMessage.run(rowid);
  }
  if (rooms.length >= limit) return rooms.length;
  return rooms.length + statements.pruneDirectMessages.run(limit - rooms.length, before).changes;
}

/** SQLite's message for a repeated (sender_id, client_msg_id), in either message table. */
const DUPLICATE_CLIENT_ID = /^UNIQUE constraint failed: \w+\.sender_id, \w+\.client_msg_id$/;

/** SQLite's message for a (room, seq) already taken: another writer used this room's counter. */
const TAKEN_SEQ = /^UNIQUE constraint failed: room_messages\.room, room_messages\.seq$/;

function isTakenSeq(error: unknown): boolean {
  return isUniqueViolation(error, TAKEN_SEQ);
}

/**
 * Matched by code and message, not by class: the native driver keeps the SqliteError class of
 * the first copy of the module loaded in the process (test runners load one per test file).
 */
function isDuplicateClientId(error: unknown): boolean {
  return isUniqueViolation(error, DUPLICATE_CLIENT_ID);
}

function isUniqueViolation(error: unknown, constraint: RegExp): boolean {
  const { code, message } = error as { code?: unknown; message?: unknown };
  return code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof message === 'string' && constraint.test(message);
}
