import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { type MarkerMove, MembershipStore } from './membership-store.js';

/** A (user, room) marker is written at most once per this many ms under a stream of room:read. */
export const MARKER_WRITE_WINDOW_MS = 1000;

function keyOf(room: string, userId: string): string {
  return `${room}\n${userId}`;
}

/**
 * Read markers moved by room:read, held in memory and written together with moveMarkers once per
 * window: a client that marks every message it shows costs one write per second per room, not one
 * per message. Pending values count as read at once (callers overlay them on what the store has).
 * What a crash loses is the last window's movement; a membership or a message is never at stake.
 * A failed write keeps its moves pending for the next window (the store keeps markers monotonic,
 * so writing a value twice or late does no harm).
 */
@Injectable()
export class ReadMarkerBuffer implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ReadMarkerBuffer.name);
  private pending = new Map<string, MarkerMove>();
  /** The moves of the write in progress: until it is stored, the store may still answer older values. */
  private inFlight = new Map<string, MarkerMove>();
  private timer?: NodeJS.Timeout;
  private writing?: Promise<void>;
  private closed = false;

  constructor(private readonly store: MembershipStore) {}

  /** The marker value not yet known to be stored for this (user, room), if any. */
  pendingSeq(room: string, userId: string): number | undefined {
    const key = keyOf(room, userId);
    const waiting = this.pending.get(key)?.readSeq;
    const writing = this.inFlight.get(key)?.readSeq;
    if (waiting === undefined) return writing;
    return writing === undefined ? waiting : Math.max(waiting, writing);
  }

  /** Records a forward move; written within MARKER_WRITE_WINDOW_MS. */
  move(move: MarkerMove): void {
    const key = keyOf(move.room, move.userId);
    const waiting = this.pending.get(key);
    if (waiting && waiting.readSeq >= move.readSeq) return;
    this.pending.set(key, { ...move });
    this.schedule();
  }

  /** A forgotten membership's marker is not written any more (one in flight is ignored by the store). */
  discard(room: string, userId: string): void {
    const key = keyOf(room, userId);
    this.pending.delete(key);
    this.inFlight.delete(key);
  }

  /** Writes everything pending now (drain, shutdown); resolves once it is stored or has failed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.write();
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Before the stores close: the last window is written, and nothing is scheduled after it. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
    if (this.pending.size > 0) this.logger.error({ markers: this.pending.size }, 'read markers not written at shutdown');
  }

  /** One timer per window; a window starts at the first move after the previous write. */
  private schedule(): void {
    if (this.timer || this.writing || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, MARKER_WRITE_WINDOW_MS).unref();
  }

  private write(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    const moves = [...this.pending.values()];
    this.inFlight = this.pending;
    this.pending = new Map();
    this.writing = this.store
      .moveMarkers(moves)
      .catch((error: unknown) => {
        this.logger.warn({ err: error, markers: moves.length }, 'could not write read markers; keeping them for the next window');
        for (const move of moves) this.keepUnwritten(move);
      })
      .finally(() => {
        this.writing = undefined;
        this.inFlight = new Map();
        if (this.pending.size > 0) this.schedule();
      });
    return this.writing;
  }

  /** Back into pending unless it was discarded or a newer move of the same marker came meanwhile. */
  private keepUnwritten(move: MarkerMove): void {
    const key = keyOf(move.room, move.userId);
    if (this.inFlight.get(key) !== move) return;
    const newer = this.pending.get(key);
    if (!newer || newer.readSeq < move.readSeq) this.pending.set(key, move);
  }
}
