import type { Database, Statement } from 'better-sqlite3';
import type { Message } from '../contract.js';
import { ROOM_MESSAGE_COLUMNS, type RoomMessageRow, roomMessageFromRow } from '../messages/message-rows.js';
import type { RoomCounterSession } from '../messages/sqlite-write-session.js';
import type { ErasingWrite } from '../messages/sqlite-writes.js';
import { ERASURE_STEP_MAX_MESSAGES } from './erasure-limits.js';
import type { ErasureStep, ErasureStepInput } from './moderation-store.js';

interface ErasableRow {
  row_id: number;
}

interface ErasableRoomRow extends ErasableRow {
  room: string;
}

/** The erasure statements of the SQLite store, prepared once per connection. */
export interface SqliteErasureStatements {
  lastRoomRowid: Statement<[], number>;
  /** after, through, sender, limit: the sender's messages that are not tombstones yet, in rowid order. */
  roomMessagesOf: Statement<[number, number, string, number], ErasableRoomRow>;
  /** deletedAt, rev, rowid: the tombstone as stored. */
  tombstoneRoomMessage: Statement<[string, number, number], RoomMessageRow>;
  lastDirectPk: Statement<[], number>;
  directMessagesOf: Statement<[number, number, string, number], ErasableRow>;
  tombstoneDirectMessage: Statement<[string, number]>;
}

/**
 * Neither message table has an index on the sender (one B-tree less per send), so an erasure
 * walks each table in rowid windows: a window's rows are contiguous in the table B-tree, and its
 * size is what bounds how long one step holds the event loop.
 */
export function prepareErasureStatements(db: Database): SqliteErasureStatements {
  return {
    lastRoomRowid: db.prepare<[], number>('SELECT IFNULL(MAX(rowid), 0) FROM room_messages').pluck(),
    // Only what the tombstone needs: a text is never read into the process to be erased.
    roomMessagesOf: db.prepare(
      `SELECT rowid AS row_id, room FROM room_messages
       WHERE rowid > ? AND rowid <= ? AND sender_id = ? AND deleted_at IS NULL ORDER BY rowid LIMIT ?`,
    ),
    // As SqliteStatements.tombstoneRoomMessage, by rowid, returning the row for message:updated.
    tombstoneRoomMessage: db.prepare(
      `UPDATE room_messages SET text = '', deleted_at = ?, rev = ? WHERE rowid = ? RETURNING ${ROOM_MESSAGE_COLUMNS}`,
    ),
    lastDirectPk: db.prepare<[], number>('SELECT IFNULL(MAX(pk), 0) FROM direct_messages').pluck(),
    directMessagesOf: db.prepare(
      `SELECT pk AS row_id FROM direct_messages
       WHERE pk > ? AND pk <= ? AND sender_id = ? AND deleted_at IS NULL ORDER BY pk LIMIT ?`,
    ),
    // As a room tombstone: the text is overwritten in the row, not flagged.
    tombstoneDirectMessage: db.prepare("UPDATE direct_messages SET text = '', deleted_at = ? WHERE pk = ?"),
  };
}

/** Rows one window scans at first, and its bounds as it adapts to how fast this machine scans. */
export const ERASURE_WINDOW = { initial: 1_000, min: 1_000, max: 200_000 } as const;
/**
 * How long one step's statements may run, COMMIT aside: the scan of its window (a scan this long
 * halves the next window, one under a quarter of it doubles it), then tombstones until the time
 * is up. The group commit's own budget: a step then holds the event loop about as long as a flush
 * of sends does. A tombstone costs far more than a scanned row (the row, the changed-rows index,
 * zeroed space and WAL pages), so a user with many messages goes a few hundred at a time.
 */
const STEP_BUDGET_MS = 2;

type Phase = 'room' | 'direct';

/** Where an erasure is: the table it walks, the last rowid it has looked at, the next window's size. */
interface ErasurePosition {
  phase: Phase;
  after: number;
  window: number;
}

export interface ErasureWriteContext {
  erasure: SqliteErasureStatements;
  session: RoomCounterSession;
  erasing: ErasingWrite;
}

/**
 * One window of one table, inside a group-commit transaction: room messages first, then direct
 * messages. Each room message takes its room's next rev through the session, as a deletion does.
 */
export function writeErasureStep(context: ErasureWriteContext, { userId, deletedAt, cursor }: ErasureStepInput): ErasureStep {
  const deadline = performance.now() + STEP_BUDGET_MS;
  const position = parseCursor(cursor);
  const { erasure } = context;
  if (position.phase === 'room') {
    const roomMessages: Message[] = [];
    const next = walkWindow(
      position,
      erasure.lastRoomRowid.get()!,
      (after, through) => erasure.roomMessagesOf.all(after, through, userId, ERASURE_STEP_MAX_MESSAGES),
      (rows) => tombstoneRoomMessages(context, rows, deletedAt, deadline, roomMessages),
    );
    return { roomMessages, directMessages: 0, cursor: formatCursor(next ?? { phase: 'direct', after: 0, window: position.window }) };
  }
  let directMessages = 0;
  const next = walkWindow(
    position,
    erasure.lastDirectPk.get()!,
    (after, through) => erasure.directMessagesOf.all(after, through, userId, ERASURE_STEP_MAX_MESSAGES),
    (rows) => (directMessages = tombstoneDirectMessages(context, rows, deletedAt, deadline)),
  );
  return next === undefined ? { roomMessages: [], directMessages } : { roomMessages: [], directMessages, cursor: formatCursor(next) };
}

/** Tombstones rows in order until the deadline (one at least); returns how many. */
function tombstoneRoomMessages(
  context: ErasureWriteContext,
  rows: readonly ErasableRoomRow[],
  deletedAt: string,
  deadline: number,
  erased: Message[],
): number {
  context.erasing(() => {
    for (const row of rows) {
      const counters = context.session.counters(row.room);
      const rev = counters.rev + 1;
      const tombstone = context.erasure.tombstoneRoomMessage.get(deletedAt, rev, row.row_id)!;
      counters.rev = rev;
      erased.push(roomMessageFromRow(tombstone));
      if (performance.now() >= deadline) break;
    }
  });
  return erased.length;
}

function tombstoneDirectMessages(context: ErasureWriteContext, rows: readonly ErasableRow[], deletedAt: string, deadline: number): number {
  let erased = 0;
  context.erasing(() => {
    for (const row of rows) {
      context.erasure.tombstoneDirectMessage.run(deletedAt, row.row_id);
      erased += 1;
      if (performance.now() >= deadline) break;
    }
  });
  return erased;
}

/**
 * Scans (after, after + window] of a table whose last rowid is `last` and erases what it found.
 * When not all of the window is done (a full batch, or the time ran out), the next step goes on
 * after the last row erased. The next position is undefined once the table is done.
 */
function walkWindow<R extends ErasableRow>(
  position: ErasurePosition,
  last: number,
  scan: (after: number, through: number) => R[],
  erase: (rows: R[]) => number,
): ErasurePosition | undefined {
  const startedAt = performance.now();
  const rows = scan(position.after, position.after + position.window);
  const window = nextWindow(position.window, performance.now() - startedAt);
  const erased = rows.length === 0 ? 0 : erase(rows);
  const partial = erased < rows.length || rows.length >= ERASURE_STEP_MAX_MESSAGES;
  const after = partial ? rows[erased - 1]!.row_id : position.after + position.window;
  return after >= last ? undefined : { phase: position.phase, after, window };
}

function nextWindow(window: number, scanMs: number): number {
  if (scanMs > STEP_BUDGET_MS) return Math.max(ERASURE_WINDOW.min, Math.floor(window / 2));
  if (scanMs < STEP_BUDGET_MS / 4) return Math.min(ERASURE_WINDOW.max, window * 2);
  return window;
}

const CURSOR = /^(room|direct):(\d+):(\d+)$/;

function formatCursor({ phase, after, window }: ErasurePosition): string {
  return `${phase}:${after}:${window}`;
}

function parseCursor(cursor: string | undefined): ErasurePosition {
  if (cursor === undefined) return { phase: 'room', after: 0, window: ERASURE_WINDOW.initial };
  const match = CURSOR.exec(cursor);
  if (match === null) throw new Error(`not an erasure cursor of the SQLite store: ${cursor}`);
  const window = Math.min(ERASURE_WINDOW.max, Math.max(ERASURE_WINDOW.min, Number(match[3])));
  return { phase: match[1] as Phase, after: Number(match[2]), window };
}
