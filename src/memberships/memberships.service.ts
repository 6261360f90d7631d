import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { ChatClient } from '../common/chat-client.js';
import { AppConfig } from '../config/app-config.js';
import type { MembershipSummary, RoomMembersPage, RoomReadResult, SocketData, User } from '../contract.js';
import { MessageStore } from '../messages/message-store.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { PresenceService } from '../presence/presence.service.js';
import { assertAccessible, assertNotReserved, isRoomAllowed } from '../rooms/room-names.js';
import { MembershipStore } from './membership-store.js';
import { ReadMarkerBuffer } from './read-marker-buffer.js';

type Viewer = Pick<SocketData, 'allowedRooms'>;

/** Where a member stands in a room, as room:join's ack tells it. */
export interface RoomPosition {
  readSeq: number;
  /** lastSeq - readSeq: deleted messages count too. */
  unread: number;
  /** The room's rev when this was read. */
  rev: number;
}

export interface ReadOutcome {
  result: RoomReadResult;
  /** The marker went forward: the user's other sockets are told (room:read). */
  moved: boolean;
}

export interface MembersQuery {
  after?: string;
  limit: number;
}

/**
 * Rules of stored memberships and read markers. Markers moved by room:read are answered at once
 * and written through ReadMarkerBuffer; every value this service reports is the stored one or the
 * pending one, whichever is further. The stores it is given are the guarded ones: a failed call
 * arrives as UNAVAILABLE.
 */
@Injectable()
export class MembershipsService {
  constructor(
    private readonly store: MembershipStore,
    private readonly messages: MessageStore,
    private readonly markers: ReadMarkerBuffer,
    private readonly presence: PresenceService,
    private readonly config: AppConfig,
    private readonly restrictions: RoomRestrictions,
  ) {}

  /**
   * room:join, before the socket joins: reads the membership first, so only a user's first join
   * of a room writes (the cap is checked with that write, in the store).
   */
  async enter(user: User, room: string): Promise<RoomPosition> {
    const state = await this.store.membershipState(room, user.id);
    if (state) return this.position(room, user.id, state.membership.readSeq, state);
    const joined = await this.store.join({
      room,
      user,
      joinedAt: new Date().toISOString(),
      maxMemberships: this.config.maxMembershipsPerUser,
    });
    if (joined.outcome === 'limit') {
      throw AppError.forbidden(
        `a user may be a member of at most ${this.config.maxMembershipsPerUser} rooms: forget one (room:forget) to join another`,
      );
    }
    return this.position(room, user.id, joined.membership.readSeq, await this.messages.roomState(room));
  }

  /**
   * Ends the membership and takes every socket of the user out of the room in presence (the
   * caller makes the sockets leave). wasIn: the user had a socket in the room (member-left is due).
   */
  async forget(user: User, room: string): Promise<{ wasIn: boolean }> {
    assertNotReserved(room);
    this.markers.discard(room, user.id);
    await this.store.forget(room, user.id);
    return this.presence.leaveRoomEverywhere(user.id, room);
  }

  /** A member that is not banned (a joined socket is not needed); the marker never moves back. */
  async read(client: ChatClient, input: { room: string; seq: number }): Promise<ReadOutcome> {
    const { room, seq } = input;
    const userId = client.data.user.id;
    this.restrictions.assertNotBanned(userId, room);
    assertAccessible(client.data, room);
    const state = await this.store.membershipState(room, userId);
    if (!state) throw AppError.forbidden(`not a member of room ${room}: join it first`);
    if (seq > state.lastSeq) {
      throw AppError.validation('seq is past the last message of the room', [
        { field: 'seq', messages: [`seq must not be greater than ${state.lastSeq}, the room's last seq`] },
      ]);
    }
    const known = this.readSeqOf(room, userId, state.membership.readSeq);
    const moved = seq > known;
    if (moved) this.markers.move({ room, userId, readSeq: seq });
    const readSeq = Math.max(known, seq);
    return { result: { room, readSeq, unread: unreadOf(state.lastSeq, readSeq) }, moved };
  }

  /** The user's memberships in rooms:list order, narrowed to the rooms the viewer's claim allows. */
  async rooms(userId: string, viewer: Viewer): Promise<MembershipSummary[]> {
    const rooms = await this.store.userRooms(userId);
    const visible = viewer.allowedRooms === undefined ? rooms : rooms.filter((entry) => isRoomAllowed(viewer, entry.room));
    return visible.map((entry) => {
      const readSeq = this.readSeqOf(entry.room, userId, entry.readSeq);
      return readSeq === entry.readSeq ? entry : { ...entry, readSeq, unread: unreadOf(entry.lastSeq, readSeq) };
    });
  }

  /** One page of the room's members by user id, each with whether they are connected now. */
  async members(viewer: Viewer, room: string, query: MembersQuery): Promise<RoomMembersPage> {
    assertAccessible(viewer, room);
    const rows = await this.store.roomMembers({ room, after: query.after, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    const online = await this.presence.online(page.map((member) => member.user.id));
    return {
      members: page.map((member, i) => ({
        user: member.user,
        joinedAt: member.joinedAt,
        readSeq: this.readSeqOf(room, member.user.id, member.readSeq),
        online: online[i] === true,
      })),
      next: rows.length > query.limit ? page[page.length - 1]!.user.id : null,
    };
  }

  /** Writes the markers still held in memory (the end of a drain). */
  flushMarkers(): Promise<void> {
    return this.markers.flush();
  }

  private position(room: string, userId: string, storedReadSeq: number, counters: { lastSeq: number; rev: number }): RoomPosition {
    const readSeq = this.readSeqOf(room, userId, storedReadSeq);
    return { readSeq, unread: unreadOf(counters.lastSeq, readSeq), rev: counters.rev };
  }

  private readSeqOf(room: string, userId: string, stored: number): number {
    const pending = this.markers.pendingSeq(room, userId);
    return pending === undefined ? stored : Math.max(stored, pending);
  }
}

function unreadOf(lastSeq: number, readSeq: number): number {
  return Math.max(0, lastSeq - readSeq);
}
