import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SessionRevocations } from '../auth/session-revocations.js';
import { ChatEmitter } from '../chat/chat-emitter.js';
import type { RoomRestriction } from '../contract.js';
import { RedisConnections } from '../redis/redis-connections.js';
import type { ModerationNotice } from './moderation-notice.js';
import { ModerationStore, type StoredRestriction } from './moderation-store.js';
import { RoomRestrictions } from './room-restrictions.js';

/** setTimeout cannot wait longer than this; a later end is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps every node's in-memory bans, mutes and revocations (RoomRestrictions, SessionRevocations)
 * equal to the database:
 * - at start, before the node listens, it loads them (onApplicationBootstrap);
 * - a change is committed first, then published: applied here, then sent to every other node,
 *   each of which applies it to memory and to its own sockets before it answers; publish
 *   resolves when all have answered, so a REST call that awaits it returns only once every node
 *   enforces the change;
 * - a node that missed notices (its Redis connection was down: a node not subscribed is not
 *   waited for) loads everything again when its subscriber connection is back, and applies the
 *   difference to its sockets (a ban made meanwhile takes them out of the room);
 * - a restriction that ends by itself is ignored from its end on; a timer drops it and tells the
 *   user's sockets on this node that a mute has ended (each node tells its own sockets).
 */
@Injectable()
export class ModerationSync implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ModerationSync.name);
  /** Notices that arrived during a load: applied again on top of what the load read. */
  private duringLoad?: ModerationNotice[];
  private endTimer?: NodeJS.Timeout;
  private nextEndMs = Infinity;
  private loaded = false;

  constructor(
    private readonly store: ModerationStore,
    private readonly restrictions: RoomRestrictions,
    private readonly revocations: SessionRevocations,
    private readonly emitter: ChatEmitter,
    private readonly redis: RedisConnections,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.emitter.onNodeNotice((notice) => this.apply(notice));
    await this.reload();
    this.redis.subscriber?.on('ready', () => {
      this.reload().catch((error: unknown) =>
        this.logger.error({ err: error }, 'could not reload moderation state after a Redis reconnect'),
      );
    });
  }

  onApplicationShutdown(): void {
    clearTimeout(this.endTimer);
    this.endTimer = undefined;
  }

  /**
   * Applies a committed change on this node, then on every other one. Resolves once every node
   * subscribed to the cluster has applied it; a node that does not answer within the adapter's
   * request timeout is logged and catches up as described above.
   */
  async publish(notice: ModerationNotice): Promise<void> {
    this.apply(notice);
    try {
      await this.emitter.notifyNodes(notice);
    } catch (error) {
      this.logger.warn(
        { err: error, notice: notice.type },
        'not every node confirmed a moderation change; they load it when they reconnect',
      );
    }
  }

  /** Everything from the database; the difference to what was held is applied to this node's sockets. */
  async reload(): Promise<void> {
    this.duringLoad = [];
    try {
      const now = new Date().toISOString();
      const [restrictions, revocations] = await Promise.all([this.store.activeRestrictions(now), this.store.revocations()]);
      const before = this.loaded ? this.snapshot() : undefined;
      this.restrictions.replaceAll(restrictions);
      this.revocations.replaceAll(revocations);
      for (const notice of this.duringLoad) this.applyToMemory(notice);
      if (before) this.applyDifference(before);
      this.loaded = true;
      this.armEndTimer();
    } finally {
      this.duringLoad = undefined;
    }
  }

  private apply(notice: ModerationNotice): void {
    this.duringLoad?.push(notice);
    this.applyToMemory(notice);
    this.applyToSockets(notice);
  }

  private applyToMemory(notice: ModerationNotice): void {
    switch (notice.type) {
      case 'restrict':
        this.restrictions.put(notice.kind, notice.restriction);
        this.armEndTimer(notice.restriction.until);
        return;
      case 'lift':
        this.restrictions.remove(notice.kind, notice.room, notice.userId);
        return;
      case 'revoke':
        this.revocations.put(notice.revocation);
        return;
    }
  }

  private applyToSockets(notice: ModerationNotice): void {
    if (!this.emitter.attached) return;
    switch (notice.type) {
      case 'restrict':
        this.tellRestricted(notice.kind, notice.restriction);
        return;
      case 'lift':
        if (notice.kind === 'mute') this.emitter.unmutedHere(notice.userId, { room: notice.room });
        return;
      case 'revoke':
        return;
    }
  }

  private tellRestricted(kind: StoredRestriction['kind'], { room, userId, reason, until }: RoomRestriction): void {
    if (kind === 'ban') this.emitter.bannedHere(userId, { room, reason, until });
    else this.emitter.mutedHere(userId, { room, reason, until });
  }

  private snapshot(): Map<string, StoredRestriction> {
    const held = new Map<string, StoredRestriction>();
    for (const restriction of this.restrictions.list()) held.set(keyOf(restriction), restriction);
    return held;
  }

  /** After a reload: new bans and mutes are told (bans take the sockets out), vanished mutes end. */
  private applyDifference(before: Map<string, StoredRestriction>): void {
    if (!this.emitter.attached) return;
    const after = this.snapshot();
    for (const [key, restriction] of after) {
      const old = before.get(key);
      if (!old || old.createdAt !== restriction.createdAt) this.tellRestricted(restriction.kind, restriction);
    }
    for (const [key, restriction] of before) {
      if (!after.has(key) && restriction.kind === 'mute') this.emitter.unmutedHere(restriction.userId, { room: restriction.room });
    }
  }

  /** Arms the timer for the next end: all of them after a load, or a new restriction's when it is sooner. */
  private armEndTimer(until?: string | null): void {
    if (until === null) return;
    if (until === undefined) return this.schedule(this.restrictions.sweep().nextEndMs);
    const endMs = Date.parse(until);
    if (endMs < this.nextEndMs) this.schedule(endMs);
  }

  private schedule(endMs: number): void {
    clearTimeout(this.endTimer);
    this.endTimer = undefined;
    this.nextEndMs = endMs;
    if (endMs === Infinity) return;
    const delay = Math.min(Math.max(endMs - Date.now(), 0), MAX_TIMER_MS);
    this.endTimer = setTimeout(() => this.onEnd(), delay);
    this.endTimer.unref();
  }

  private onEnd(): void {
    const { ended, nextEndMs } = this.restrictions.sweep();
    for (const restriction of ended) {
      if (restriction.kind === 'mute' && this.emitter.attached) this.emitter.unmutedHere(restriction.userId, { room: restriction.room });
    }
    this.schedule(nextEndMs);
  }
}

function keyOf({ kind, room, userId }: StoredRestriction): string {
  return `${kind}\n${room}\n${userId}`;
}
