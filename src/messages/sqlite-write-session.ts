import type { WriteSession } from '../database/sqlite-write-batcher.js';
import type { SqliteStatements } from './sqlite-statements.js';

/**
 * Room counters for one group-commit transaction. The transaction holds SQLite's write lock
 * (BEGIN IMMEDIATE), so nobody else can move a counter meanwhile: each room's last seq is read
 * once, counted up in memory for every message, and written back once before COMMIT. If the
 * transaction rolls back, the session is dropped with it and no seq was used.
 */
export class RoomSeqSession implements WriteSession {
  private readonly lastSeqs = new Map<string, number>();
  private readonly changed = new Set<string>();

  constructor(private readonly statements: SqliteStatements) {}

  nextSeq(room: string): number {
    let last = this.lastSeqs.get(room);
    if (last === undefined) {
      last = this.statements.lastSeq.get(room) ?? 0;
      this.lastSeqs.set(room, last);
    }
    return last + 1;
  }

  /** Records that `seq` (the value nextSeq gave) now belongs to a stored message. */
  used(room: string, seq: number): void {
    this.lastSeqs.set(room, seq);
    this.changed.add(room);
  }

  finish(): void {
    for (const room of this.changed) this.statements.saveRoomSeq.run(room, this.lastSeqs.get(room)!);
  }
}
