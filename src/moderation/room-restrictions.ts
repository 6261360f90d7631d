import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { RoomRestriction } from '../contract.js';
import type { RestrictionKind, StoredRestriction } from './moderation-store.js';

interface Entry {
  restriction: RoomRestriction;
  /** Epoch ms of the end; Infinity until lifted. */
  untilMs: number;
}

type ByRoom = Map<string, Map<string, Entry>>;

/**
 * This node's copy of the active bans and mutes, checked on every join, read, send, edit and
 * typing notice: the hot path asks memory, never the database. A room without restrictions costs
 * one Map lookup. ModerationSync fills it (at start, from notices, after a Redis reconnect);
 * an ended restriction is ignored at once and dropped by the next sweep.
 */
@Injectable()
export class RoomRestrictions {
  private readonly byKind: Record<RestrictionKind, ByRoom> = { ban: new Map(), mute: new Map() };

  /** Adds or replaces. */
  put(kind: RestrictionKind, restriction: RoomRestriction): void {
    const rooms = this.byKind[kind];
    let users = rooms.get(restriction.room);
    if (!users) {
      users = new Map();
      rooms.set(restriction.room, users);
    }
    const untilMs = restriction.until === null ? Infinity : Date.parse(restriction.until);
    users.set(restriction.userId, { restriction, untilMs });
  }

  /** Returns what was there (ended or not). */
  remove(kind: RestrictionKind, room: string, userId: string): RoomRestriction | undefined {
    const rooms = this.byKind[kind];
    const users = rooms.get(room);
    const entry = users?.get(userId);
    if (!users || !entry) return undefined;
    users.delete(userId);
    if (users.size === 0) rooms.delete(room);
    return entry.restriction;
  }

  /** Everything at once (a load from the database). */
  replaceAll(restrictions: readonly StoredRestriction[]): void {
    this.byKind.ban.clear();
    this.byKind.mute.clear();
    for (const { kind, ...restriction } of restrictions) this.put(kind, restriction);
  }

  /** The clock is read only when there is an entry: the usual send finds none. */
  active(kind: RestrictionKind, room: string, userId: string, nowMs?: number): RoomRestriction | undefined {
    const entry = this.byKind[kind].get(room)?.get(userId);
    if (entry === undefined) return undefined;
    return entry.untilMs > (nowMs ?? Date.now()) ? entry.restriction : undefined;
  }

  /** room:join, room:read, and everything assertMayPost covers. */
  assertNotBanned(userId: string, room: string): void {
    const ban = this.active('ban', room, userId);
    if (ban) throw AppError.forbidden(refusal('banned from', ban));
  }

  /** message:send, message:edit, typing: neither banned nor muted. */
  assertMayPost(userId: string, room: string): void {
    this.assertNotBanned(userId, room);
    const mute = this.active('mute', room, userId);
    if (mute) throw AppError.forbidden(refusal('muted in', mute));
  }

  /**
   * Drops the restrictions that ended at or before nowMs and returns them (mutes that ended get
   * room:unmuted), and the end of the next one still active (Infinity: none ends by itself).
   */
  sweep(nowMs = Date.now()): { ended: StoredRestriction[]; nextEndMs: number } {
    const ended: StoredRestriction[] = [];
    let nextEndMs = Infinity;
    for (const kind of ['ban', 'mute'] as const) {
      const rooms = this.byKind[kind];
      for (const [room, users] of rooms) {
        for (const [userId, entry] of users) {
          if (entry.untilMs <= nowMs) {
            users.delete(userId);
            ended.push({ kind, ...entry.restriction });
          } else if (entry.untilMs < nextEndMs) nextEndMs = entry.untilMs;
        }
        if (users.size === 0) rooms.delete(room);
      }
    }
    return { ended, nextEndMs };
  }

  /** Everything held (ended ones not yet swept included). */
  list(): StoredRestriction[] {
    const all: StoredRestriction[] = [];
    for (const kind of ['ban', 'mute'] as const) {
      for (const users of this.byKind[kind].values()) for (const entry of users.values()) all.push({ kind, ...entry.restriction });
    }
    return all;
  }

  /** How many are held (ended ones not yet swept included): a gauge. */
  get size(): number {
    let count = 0;
    for (const rooms of Object.values(this.byKind)) for (const users of rooms.values()) count += users.size;
    return count;
  }
}

function refusal(what: string, restriction: RoomRestriction): string {
  const until = restriction.until === null ? 'until an admin lifts it' : `until ${restriction.until}`;
  const reason = restriction.reason === null ? '' : ` (reason: ${restriction.reason})`;
  return `you are ${what} room ${restriction.room} ${until}${reason}`;
}
