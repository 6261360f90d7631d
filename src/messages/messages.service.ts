import { Injectable } from '@nestjs/common';
import type { ChatClient } from '../common/chat-client.js';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { DirectMessage, Message, MessagePage, User } from '../contract.js';
import { assertJoined, assertNotReserved } from '../rooms/room-names.js';
import { PresenceService } from '../presence/presence.service.js';
import { SYSTEM_USER } from '../auth/user-id.js';
import { newMessageStamp } from './message-id.js';
import { DEFAULT_PAGE_SIZE } from './page-sizes.js';
import { type Appended, MessageStore } from './message-store.js';

/** As the DTOs validated it: the text rule (IsMessageText) is not checked again here. */
export interface TextInput {
  text: string;
  clientMsgId?: string;
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
  ) {}

  async sendToRoom(client: ChatClient, input: TextInput & { room: string }): Promise<Appended<Message>> {
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

  lastSeq(room: string): Promise<number> {
    return this.store.lastSeq(room);
  }

  private async appendToRoom(room: string, from: User, input: TextInput): Promise<Appended<Message>> {
    const { id, sentAt } = newMessageStamp();
    return this.store.appendRoomMessage({ id, sentAt, room, from, text: input.text, clientMsgId: input.clientMsgId });
  }
}
