import type { DirectMessage, Message } from '../contract.js';
import { directMessageFromRow, roomMessageFromRow } from './message-rows.js';
import { toDirectMessage, toRoomMessage } from './message-shapes.js';
import { type Appended, conversationKey, type NewDirectMessage, type NewRoomMessage } from './message-store.js';
import type { SqliteStatements } from './sqlite-statements.js';
import type { RoomSeqSession } from './sqlite-write-session.js';

/**
 * Runs inside a group-commit transaction, like every function here. The insert goes first: a repeated (sender, clientMsgId) trips
 * the unique index, which aborts only this statement, and the original is returned instead; the
 * seq it would have used stays free. No lookup is paid on the common, first-time path. A taken
 * (room, seq) means another process wrote to this file: the counter is reloaded once.
 */
export function writeRoomMessage(statements: SqliteStatements, seqs: RoomSeqSession, input: NewRoomMessage): Appended<Message> {
  try {
    return insertRoomMessage(statements, seqs, input);
  } catch (error) {
    if (!isTakenSeq(error)) throw error;
    seqs.reload(input.room);
    return insertRoomMessage(statements, seqs, input);
  }
}

function insertRoomMessage(statements: SqliteStatements, seqs: RoomSeqSession, input: NewRoomMessage): Appended<Message> {
  const seq = seqs.nextSeq(input.room);
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
    );
  } catch (error) {
    // Anything but a repeated clientMsgId (a taken seq included) is rethrown there.
    return originalOf(error, () => statements.roomByClientId.get(input.from.id, input.clientMsgId!), roomMessageFromRow);
  }
  seqs.used(input.room, seq);
  return { message: toRoomMessage(input, seq, seq), created: true };
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
 * room message goes, room_seqs is raised to its seq, so a room whose newest messages are pruned
 * still continues its count instead of handing out a seq again.
 */
export function deleteOlder(statements: SqliteStatements, before: string, limit: number): number {
  const rooms = statements.oldestRoomMessages.all(limit, before);
  for (const { rowid, room, seq } of rooms) {
    statements.raiseRoomSeqFloor.run(room, seq);
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
