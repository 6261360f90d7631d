import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { ChatClient } from '../common/chat-client.js';
import { AppConfig } from '../config/app-config.js';
import type { Message, MessagePage, RoomJoinResult, SocketData, User } from '../contract.js';
import { MessagesService } from '../messages/messages.service.js';
import { DEFAULT_PAGE_SIZE, MAX_RESUME_MESSAGES } from '../messages/page-sizes.js';
import type { RoomSummary } from '../presence/presence-store.js';
import { MembershipsService, type RoomPosition } from '../memberships/memberships.service.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { PresenceService } from '../presence/presence.service.js';
import { assertAccessible, assertNotReserved, chatRoom, isReservedRoom, isRoomAllowed } from './room-names.js';

/** Rooms every socket is in without asking: its own id room and its user room. */
const IMPLICIT_ROOMS = 2;

export interface JoinOutcome {
  result: RoomJoinResult;
  /** The user had no other socket in the room: member-joined is due. */
  firstForUser: boolean;
}

export interface JoinInput {
  room: string;
  historyLimit?: number;
  sinceSeq?: number;
  sinceRev?: number;
}

export interface RoomDetails {
  name: string;
  memberCount: number;
  members: User[];
  lastSeq: number;
}

/** Room rules (names, access, limits) and room lookups for sockets and REST. */
@Injectable()
export class RoomsService {
  /** Per socket, the rooms of its joins in flight (see holdPlace). */
  private readonly joining = new WeakMap<ChatClient, Set<string>>();

  constructor(
    private readonly presence: PresenceService,
    private readonly messages: MessagesService,
    private readonly memberships: MembershipsService,
    private readonly config: AppConfig,
    private readonly restrictions: RoomRestrictions,
  ) {}

  /**
   * Records the membership (refused at the cap) before the socket joins. Joins the socket first
   * and reads history after, so a message committed in between is delivered live or found in
   * history: a gap is impossible, a duplicate is resolved by seq (or rev). The ack's rev is read
   * before the socket joins, so it never claims a change the client cannot have seen.
   *
   * A banned user is refused before anything is written. A ban published while the join is in
   * flight takes out only the sockets already in the room, so the ban is checked again once this
   * socket is in the room and in presence, and the join is undone if it came (see undoBannedJoin).
   */
  async join(client: ChatClient, input: JoinInput): Promise<JoinOutcome> {
    const { room } = input;
    this.restrictions.assertNotBanned(client.data.user.id, room);
    assertAccessible(client.data, room);
    const release = this.holdPlace(client, room);
    let position: RoomPosition;
    try {
      position = await this.memberships.enter(client.data.user, room);
      await client.join(chatRoom(room));
    } finally {
      release();
    }
    const { firstForUser } = await this.presence.joinRoom(client.id, room);
    await this.undoBannedJoin(client, room);
    const [members, page] = await Promise.all([this.members(room), this.joinHistory(input)]);
    const result: RoomJoinResult = { room, members, history: page.messages, ...position };
    if (page.hasMore) result.hasMore = true;
    return { result, firstForUser };
  }

  /**
   * A ban that arrived after the first check: this socket leaves again and the membership ends
   * (the ban's own forget may have run before this join wrote it). Checked after presence has the
   * socket, so a ban arriving later finds it there and takes it out like any other.
   */
  private async undoBannedJoin(client: ChatClient, room: string): Promise<void> {
    try {
      this.restrictions.assertNotBanned(client.data.user.id, room);
    } catch (refusal) {
      await client.leave(chatRoom(room));
      await this.memberships.forget(client.data.user, room);
      throw refusal;
    }
  }

  /**
   * MAX_ROOMS_PER_SOCKET, counting the joins of this socket still waiting for their membership:
   * each holds a place until its socket has joined, so joins sent at once cannot pass the cap
   * together. Returns the release of the place (nothing to release for a room already held).
   */
  private holdPlace(client: ChatClient, room: string): () => void {
    const target = chatRoom(room);
    const pending = this.joining.get(client) ?? new Set<string>();
    if (client.rooms.has(target) || pending.has(target)) return () => undefined;
    if (client.rooms.size - IMPLICIT_ROOMS + pending.size >= this.config.maxRoomsPerSocket) {
      throw AppError.forbidden(`a connection may join at most ${this.config.maxRoomsPerSocket} rooms`);
    }
    pending.add(target);
    this.joining.set(client, pending);
    return () => {
      pending.delete(target);
      if (pending.size === 0) this.joining.delete(client);
    };
  }

  async leave(client: ChatClient, room: string): Promise<{ lastForUser: boolean }> {
    assertNotReserved(room);
    if (!client.rooms.has(chatRoom(room))) return { lastForUser: false };
    await client.leave(chatRoom(room));
    return this.presence.leaveRoom(client.id, room);
  }

  async history(
    identity: Pick<SocketData, 'allowedRooms'>,
    room: string,
    query: { beforeSeq?: number; limit?: number },
  ): Promise<MessagePage<Message>> {
    assertAccessible(identity, room);
    return this.messages.roomPage(room, { beforeSeq: query.beforeSeq, limit: query.limit ?? DEFAULT_PAGE_SIZE });
  }

  /** Only rooms the caller may join: a `rooms` claim also limits what a token can look up. */
  async list(identity: Pick<SocketData, 'allowedRooms'>): Promise<RoomSummary[]> {
    const rooms = await this.presence.rooms();
    return identity.allowedRooms === undefined ? rooms : rooms.filter((room) => isRoomAllowed(identity, room.name));
  }

  async describe(identity: Pick<SocketData, 'allowedRooms'>, name: string): Promise<RoomDetails> {
    if (!isReservedRoom(name) && !isRoomAllowed(identity, name)) throw AppError.forbidden(`not allowed to access room ${name}`);
    const [members, lastSeq] = await Promise.all([this.members(name), this.messages.lastSeq(name)]);
    if (members.length === 0 && lastSeq === 0) throw AppError.notFound(`room ${name} has no members and no messages`);
    return { name, memberCount: members.length, members, lastSeq };
  }

  private members(room: string): Promise<User[]> {
    return this.presence.roomMembers(room);
  }

  /**
   * hasMore of a resume: more messages follow (join again with sinceSeq = the last seq, or
   * sinceRev = the last rev). A plain join reports none for the last historyLimit messages, as v1
   * does; hasMore there means that MAX_REPLY_BYTES cut those short (older ones: room:history with
   * beforeSeq = the first seq).
   */
  private async joinHistory(input: JoinInput): Promise<MessagePage<Message>> {
    if (input.sinceSeq !== undefined) return this.messages.roomSince(input.room, input.sinceSeq, MAX_RESUME_MESSAGES);
    if (input.sinceRev !== undefined) return this.messages.roomSinceRev(input.room, input.sinceRev, MAX_RESUME_MESSAGES);
    const limit = input.historyLimit ?? this.config.historyLimit;
    if (limit === 0) return { messages: [], hasMore: false };
    const page = await this.messages.roomPage(input.room, { limit });
    return { messages: page.messages, hasMore: page.hasMore && page.messages.length < limit };
  }
}
