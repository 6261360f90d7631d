import type { WriteSession } from '../database/sqlite-write-batcher.js';
import type { SqliteStatements } from './sqlite-statements.js';

/** Rooms whose counters are kept; a room beyond them costs one indexed read when it is next written. */
const DEFAULT_CACHED_ROOMS = 10_000;

/** A room's last seq and last rev. */
export interface RoomCounters {
  seq: number;
  rev: number;
}

/**
 * Last seq and rev per room as committed, shared by every transaction of one connection. Bounded,
 * least recently written first out: a deployment that has written to a million rooms over its
 * life keeps only the active ones, and a forgotten room is read back from the database.
 */
export class CommittedCounters {
  private readonly counters = new Map<string, Readonly<RoomCounters>>();

  constructor(private readonly capacity = DEFAULT_CACHED_ROOMS) {}

  get(room: string): Readonly<RoomCounters> | undefined {
    return this.counters.get(room);
  }

  get size(): number {
    return this.counters.size;
  }

  /** After COMMIT: the room's counters, and the room is now the most recently written. */
  record(room: string, counters: Readonly<RoomCounters>): void {
    // Deleted first so the room moves to the end of the Map's insertion order.
    this.counters.delete(room);
    this.counters.set(room, counters);
    if (this.counters.size > this.capacity) this.counters.delete(this.counters.keys().next().value!);
  }

  forget(room: string): void {
    this.counters.delete(room);
  }
}

/**
 * Room counters for one group-commit transaction. A room's last seq and rev are read from the
 * database once per connection (see SqliteStatements.roomCounters) and then kept in memory: no
 * counter row is read or written per message, which was two of the five B-tree operations of a
 * room send. The transaction counts in its own copies and hands them to the shared cache only
 * after COMMIT, so a rollback uses neither seq nor rev. Another process writing the same file
 * makes a cached counter stale; the (room, seq) unique index catches that for sends, which reload
 * the counters (see writeRoomMessage). Edits from another process are not detected: one gateway
 * per SQLite file.
 */
export class RoomCounterSession implements WriteSession {
  private readonly touched = new Map<string, RoomCounters>();

  constructor(
    private readonly statements: SqliteStatements,
    private readonly committedCounters: CommittedCounters,
  ) {}

  /** The room's counters as this transaction sees them; the caller advances them after each write. */
  counters(room: string): RoomCounters {
    let counters = this.touched.get(room);
    if (counters === undefined) {
      const committed = this.committedCounters.get(room);
      counters = committed === undefined ? this.read(room) : { seq: committed.seq, rev: committed.rev };
      this.touched.set(room, counters);
    }
    return counters;
  }

  /** The cached counters proved stale (another writer): read them from the database again. */
  reload(room: string): void {
    this.committedCounters.forget(room);
    this.touched.set(room, this.read(room));
  }

  committed(): void {
    for (const [room, counters] of this.touched) this.committedCounters.record(room, counters);
  }

  private read(room: string): RoomCounters {
    const stored = this.statements.roomCounters.get(room)!;
    return { seq: stored.last_seq, rev: stored.last_rev };
  }
}
