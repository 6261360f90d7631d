import { Injectable } from '@nestjs/common';
import type { ChatClient } from '../common/chat-client.js';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { DirectMessage, Message, MessagePage, User } from '../contract.js';
import { assertAccessible, assertJoined, assertNotReserved } from '../rooms/room-names.js';
import { PresenceService } from '../presence/presence.service.js';
import { SYSTEM_USER } from '../auth/user-id.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { newMessageStamp } from './message-id.js';
import { DEFAULT_PAGE_SIZE } from './page-sizes.js';
import { type Appended, type MessageChange, MessageStore, type RoomState } from './message-store.js';

/** As the DTOs validated it: the text rule (IsMessageText) is not checked again here. */
export interface TextInput {
  text: string;
  clientMsgId?: string;
}

/** An edit or deletion as done: changed is false for a retry that found it done already (nothing to emit). */
export interface ChangeOutcome {
  message: Message;
  changed: boolean;
}

export interface MessageRef {
  room: string;
  seq: number;
}

export interface DirectSendOutcome extends Appended<DirectMessage> {
  delivered: boolean;
}

/**
 * Rules for sending and reading messages; every durable write goes through here. The store it is
 * given is the guarded one (see guardMessageStore): a failed store call arrives as UNAVAILABLE.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly store: MessageStore,
    private readonly presence: PresenceService,
    private readonly config: AppConfig,
    private readonly restrictions: RoomRestrictions,
  ) {}

  /** Neither banned nor muted (checked in memory before anything else), from a socket in the room. */
  async sendToRoom(client: ChatClient, input: TextInput & { room: string }): Promise<Appended<Message>> {
    this.restrictions.assertMayPost(client.data.user.id, input.room);
    assertJoined(client, input.room, 'sending to it');
    return this.appendToRoom(input.room, client.data.user, input);
  }

  /** Admin REST path: a message from the system user into any non-reserved room. */
  async postSystemMessage(room: string, input: TextInput): Promise<Appended<Message>> {
    assertNotReserved(room);
    return this.appendToRoom(room, SYSTEM_USER, input);
  }

  async sendDirect(client: ChatClient, input: TextInput & { to: string }): Promise<DirectSendOutcome> {
    const from = client.data.user;
    if (input.to === from.id) {
      throw AppError.validation('cannot send a direct message to yourself', [{ field: 'to', messages: ['to must be another user'] }]);
    }
    const recipientName = await this.presence.connectedName(input.to);
    const to: User = { id: input.to, name: recipientName ?? input.to };
    const { id, sentAt } = newMessageStamp();
    const { message, created } = await this.store.appendDirectMessage({
      id,
      sentAt,
      from,
      to,
      text: input.text,
      clientMsgId: input.clientMsgId,
    });
    return { message, created, delivered: recipientName !== undefined };
  }

  async directHistory(client: ChatClient, query: { with: string; beforeId?: string; limit?: number }): Promise<MessagePage<DirectMessage>> {
    const page = await this.store.directPage({
      userA: client.data.user.id,
      userB: query.with,
      beforeId: query.beforeId,
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      maxBytes: this.config.maxReplyBytes,
    });
    if (!page) throw AppError.notFound('beforeId is not a message of this conversation');
    return page;
  }

  /**
   * Every history read goes through here and is bounded by MAX_REPLY_BYTES as well as by its
   * count, so no reply (join, resume, room:history, direct:history, REST) outgrows it.
   */
  roomPage(room: string, query: { beforeSeq?: number; limit: number }): Promise<MessagePage<Message>> {
    const maxBytes = this.config.maxReplyBytes;
    return this.store.roomPage({ room, ...query, maxBytes });
  }

  roomSince(room: string, sinceSeq: number, limit: number): Promise<MessagePage<Message>> {
    const maxBytes = this.config.maxReplyBytes;
    return this.store.roomSince({ room, sinceSeq, limit, maxBytes });
  }

  /** Every message whose rev > sinceRev (new, edited, deleted), oldest change first. */
  roomSinceRev(room: string, sinceRev: number, limit: number): Promise<MessagePage<Message>> {
    const maxBytes = this.config.maxReplyBytes;
    return this.store.roomSinceRev({ room, sinceRev, limit, maxBytes });
  }

  lastSeq(room: string): Promise<number> {
    return this.store.lastSeq(room);
  }

  roomState(room: string): Promise<RoomState> {
    return this.store.roomState(room);
  }

  /**
   * Only the author, neither banned nor muted, from a socket in the room; the same text again
   * changes nothing (a retry).
   */
  async edit(client: ChatClient, input: MessageRef & { text: string }): Promise<ChangeOutcome> {
    this.restrictions.assertMayPost(client.data.user.id, input.room);
    assertJoined(client, input.room, 'editing in it');
    const editedAt = new Date().toISOString();
    const change = await this.store.editRoomMessage({ ...input, authorId: client.data.user.id, editedAt });
    return changeOutcome(change, {
      notAuthor: 'only its author may edit a message',
      notFound: `room ${input.room} has no message ${input.seq} to edit (it does not exist or was deleted)`,
    });
  }

  /**
   * The author, or an admin socket; no joined socket is needed (a message can be taken back from
   * anywhere the room is accessible). Bans and mutes do not stop it: a restricted user may still
   * take their own messages back. A tombstone deleted again is returned as it is.
   */
  async delete(client: ChatClient, input: MessageRef): Promise<ChangeOutcome> {
    assertAccessible(client.data, input.room);
    const authorId = client.data.isAdmin ? undefined : client.data.user.id;
    const change = await this.store.deleteRoomMessage({ ...input, authorId, deletedAt: new Date().toISOString() });
    return changeOutcome(change, deletionRefusals(input));
  }

  /** Admin REST path: any message of a non-reserved room. */
  async deleteAsAdmin(input: MessageRef): Promise<ChangeOutcome> {
    assertNotReserved(input.room);
    const change = await this.store.deleteRoomMessage({ ...input, deletedAt: new Date().toISOString() });
    return changeOutcome(change, deletionRefusals(input));
  }

  private async appendToRoom(room: string, from: User, input: TextInput): Promise<Appended<Message>> {
    const { id, sentAt } = newMessageStamp();
    return this.store.appendRoomMessage({ id, sentAt, room, from, text: input.text, clientMsgId: input.clientMsgId });
  }
}

interface Refusals {
  notAuthor: string;
  notFound: string;
}

function deletionRefusals({ room, seq }: MessageRef): Refusals {
  return { notAuthor: 'only its author or an admin may delete a message', notFound: `room ${room} has no message ${seq}` };
}

function changeOutcome(change: MessageChange, refusals: Refusals): ChangeOutcome {
  switch (change.outcome) {
    case 'changed':
      return { message: change.message, changed: true };
    case 'unchanged':
      return { message: change.message, changed: false };
    case 'not-author':
      throw AppError.forbidden(refusals.notAuthor);
    case 'not-found':
      throw AppError.notFound(refusals.notFound);
  }
}
