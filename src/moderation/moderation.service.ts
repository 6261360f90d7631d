import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { ChatClient } from '../common/chat-client.js';
import type { RoomRestriction, User } from '../contract.js';
import { MembershipsService } from '../memberships/memberships.service.js';
import { PresenceService } from '../presence/presence.service.js';
import { assertNotReserved } from '../rooms/room-names.js';
import { ModerationStore, type RestrictionKind } from './moderation-store.js';
import { ModerationSync } from './moderation-sync.js';

/** Who acts: an admin's user id, or ADMIN_API_KEY (as AdminGuard names it). */
export { API_KEY_ACTOR } from '../auth/rest-auth.guard.js';

export interface RestrictInput {
  room: string;
  userId: string;
  reason?: string;
  seconds?: number;
}

export interface RestrictOutcome {
  restriction: RoomRestriction;
  /** An active one of the same kind was replaced (REST answers 200 instead of 201). */
  replaced: boolean;
  /** A ban whose user had a socket in the room: room:member-left is due for this user. */
  left?: User;
}

/**
 * Bans and mutes: each change is committed with its audit entry, then published to every node
 * (ModerationSync) before the caller answers, so every node enforces it by then.
 */
@Injectable()
export class ModerationService {
  constructor(
    private readonly store: ModerationStore,
    private readonly sync: ModerationSync,
    private readonly memberships: MembershipsService,
    private readonly presence: PresenceService,
  ) {}

  /**
   * A ban also ends the membership, after every node enforces the ban: a join in flight on any
   * node either sees the ban when it checks again after joining, or its membership is already
   * written and is ended here.
   */
  async restrict(kind: RestrictionKind, input: RestrictInput, actor: string): Promise<RestrictOutcome> {
    assertNotReserved(input.room);
    const now = new Date();
    const restriction: RoomRestriction = {
      room: input.room,
      userId: input.userId,
      reason: input.reason ?? null,
      createdAt: now.toISOString(),
      until: input.seconds === undefined ? null : new Date(now.getTime() + input.seconds * 1000).toISOString(),
      by: actor,
    };
    const { replaced } = await this.store.putRestriction({
      restriction: { kind, ...restriction },
      audit: {
        at: restriction.createdAt,
        actor,
        action: kind,
        userId: input.userId,
        room: input.room,
        details: { reason: restriction.reason, until: restriction.until },
      },
    });
    await this.sync.publish({ type: 'restrict', kind, restriction });
    if (kind === 'mute') return { restriction, replaced };
    const user = await this.userOf(input.userId);
    const { wasIn } = await this.memberships.forget(user, input.room);
    return wasIn ? { restriction, replaced, left: user } : { restriction, replaced };
  }

  /** room:ban and room:mute: an admin socket only. */
  async restrictBy(client: ChatClient, kind: RestrictionKind, input: RestrictInput): Promise<RestrictOutcome> {
    return this.restrict(kind, input, adminActor(client, `room:${kind}`));
  }

  /** room:unban and room:unmute: an admin socket only. */
  async liftBy(client: ChatClient, kind: RestrictionKind, input: { room: string; userId: string }): Promise<RoomRestriction> {
    return this.lift(kind, input.room, input.userId, adminActor(client, `room:un${kind}`));
  }

  /** NOT_FOUND when there is no active one. */
  async lift(kind: RestrictionKind, room: string, userId: string, actor: string): Promise<RoomRestriction> {
    assertNotReserved(room);
    const at = new Date().toISOString();
    const removed = await this.store.removeRestriction({
      kind,
      room,
      userId,
      now: at,
      audit: { at, actor, action: kind === 'ban' ? 'unban' : 'unmute', userId, room, details: {} },
    });
    if (!removed) throw AppError.notFound(`${userId} is not ${kind === 'ban' ? 'banned from' : 'muted in'} room ${room}`);
    await this.sync.publish({ type: 'lift', kind, room, userId });
    const { kind: _kind, ...restriction } = removed;
    return restriction;
  }

  /** One page of a room's active bans or mutes, and the cursor of the next. */
  async list(
    kind: RestrictionKind,
    room: string,
    page: { after?: string; limit: number },
  ): Promise<{ items: RoomRestriction[]; next: string | null }> {
    assertNotReserved(room);
    const rows = await this.store.roomRestrictions({ kind, room, now: new Date().toISOString(), after: page.after, limit: page.limit + 1 });
    const items = rows.slice(0, page.limit).map(({ kind: _kind, ...restriction }) => restriction);
    return { items, next: rows.length > page.limit ? items[items.length - 1]!.userId : null };
  }

  /** The name member-left carries: the connected one, else the id. */
  private async userOf(userId: string): Promise<User> {
    return { id: userId, name: (await this.presence.connectedName(userId)) ?? userId };
  }
}

function adminActor(client: ChatClient, event: string): string {
  if (!client.data.isAdmin) throw AppError.forbidden(`${event} needs an admin connection`);
  return client.data.user.id;
}
