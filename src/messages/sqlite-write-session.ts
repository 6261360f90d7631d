import type { WriteSession } from '../database/sqlite-write-batcher.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Rooms whose counters are kept; a room beyond them costs one indexed read when it is next written. */
const DEFAULT_CACHED_ROOMS = 10_000;

/**
 * Last seq per room as committed, shared by every transaction of one connection. Bounded, least
 * recently written first out: a deployment that has written to a million rooms over its life
 * keeps only the active ones, and a forgotten room is read back from the database.
 */
export class CommittedSeqs {
  private readonly seqs = new Map<string, number>();

  constructor(private readonly capacity = DEFAULT_CACHED_ROOMS) {}

  get(room: string): number | undefined {
    return this.seqs.get(room);
  }

  get size(): number {
    return this.seqs.size;
  }

  /** After COMMIT: the room's last seq, and the room is now the most recently written. */
  record(room: string, seq: number): void {
    // Deleted first so the room moves to the end of the Map's insertion order.
    this.seqs.delete(room);
    this.seqs.set(room, seq);
    if (this.seqs.size > this.capacity) this.seqs.delete(this.seqs.keys().next().value!);
  }

  forget(room: string): void {
    this.seqs.delete(room);
  }
}

/**
 * Room counters for one group-commit transaction. A room's last seq is read from the database
 * once per connection (the newest message's seq, or the floor pruning left in room_seqs) and
 * then kept in memory: no counter row is read or written per message, which was two of the
 * five B-tree operations of a room send. The transaction counts up in its own map and hands the
 * result to the shared one only after COMMIT, so a rollback uses no seq. Another process writing
 * the same file makes a cached seq stale; the (room, seq) unique index catches that and the send
 * reloads the counter (see writeRoomMessage).
 */
export class RoomSeqSession implements WriteSession {
  private readonly lastSeqs = new Map<string, number>();

  constructor(
    private readonly statements: SqliteStatements,
    private readonly committedSeqs: CommittedSeqs,
  ) {}

  nextSeq(room: string): number {
    let last = this.lastSeqs.get(room) ?? this.committedSeqs.get(room);
    if (last === undefined) {
      last = this.statements.lastSeq.get(room) ?? 0;
      this.lastSeqs.set(room, last);
    }
    return last + 1;
  }

  /** Records that `seq` (the value nextSeq gave) now belongs to a stored message. */
  used(room: string, seq: number): void {
    this.lastSeqs.set(room, seq);
  }

  /** The cached counter proved stale (another writer): read it from the database again. */
  reload(room: string): void {
    this.committedSeqs.forget(room);
    this.lastSeqs.set(room, this.statements.lastSeq.get(room) ?? 0);
  }

  committed(): void {
    for (const [room, seq] of this.lastSeqs) this.committedSeqs.record(room, seq);
  }
}
