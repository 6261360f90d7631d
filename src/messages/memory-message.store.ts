import { Injectable } from '@nestjs/common';
import type { DirectMessage, Message, MessagePage } from '../contract.js';
import { pageFromNewestFirst, pageFromOldestFirst } from './message-rows.js';
import { toDirectMessage, toRoomMessage } from './message-shapes.js';
import { directMessageBytes, roomMessageBytes } from './reply-budget.js';
import {
  type Appended,
  conversationKey,
  type DirectPageQuery,
  MessageStore,
  type NewDirectMessage,
  type NewRoomMessage,
  type RoomPageQuery,
  type RoomSinceQuery,
} from './message-store.js';

interface RoomLog {
  messages: Message[];
  lastSeq: number;
}

/** Keeps everything in process memory: for unit tests and throwaway runs only. */
@Injectable()
export class MemoryMessageStore extends MessageStore {
  private readonly rooms = new Map<string, RoomLog>();
  private readonly conversations = new Map<string, DirectMessage[]>();
  private readonly roomByClientId = new Map<string, Message>();
  private readonly directByClientId = new Map<string, DirectMessage>();

  async appendRoomMessage(input: NewRoomMessage): Promise<Appended<Message>> {
    const dedupKey = input.clientMsgId === undefined ? undefined : `${input.from.id}\n${input.clientMsgId}`;
    const existing = dedupKey === undefined ? undefined : this.roomByClientId.get(dedupKey);
    if (existing) return { message: existing, created: false };
    const log = this.roomLog(input.room);
    log.lastSeq += 1;
    const message = toRoomMessage(input, log.lastSeq);
    log.messages.push(message);
    if (dedupKey !== undefined) this.roomByClientId.set(dedupKey, message);
    return { message, created: true };
  }

  async appendDirectMessage(input: NewDirectMessage): Promise<Appended<DirectMessage>> {
    const dedupKey = input.clientMsgId === undefined ? undefined : `${input.from.id}\n${input.clientMsgId}`;
    const existing = dedupKey === undefined ? undefined : this.directByClientId.get(dedupKey);
    if (existing) return { message: existing, created: false };
    const message = toDirectMessage(input);
    const key = conversationKey(input.from.id, input.to.id);
    const list = this.conversations.get(key) ?? [];
    list.push(message);
    this.conversations.set(key, list);
    if (dedupKey !== undefined) this.directByClientId.set(dedupKey, message);
    return { message, created: true };
  }

  async roomPage({ room, beforeSeq, ...bounds }: RoomPageQuery): Promise<MessagePage<Message>> {
    const all = this.rooms.get(room)?.messages ?? [];
    const older = beforeSeq === undefined ? all : all.filter((m) => m.seq < beforeSeq);
    return pageFromNewestFirst(newestFirst(older), bounds, roomMessageBytes, identity);
  }

  async roomSince({ room, sinceSeq, ...bounds }: RoomSinceQuery): Promise<MessagePage<Message>> {
    const newer = (this.rooms.get(room)?.messages ?? []).filter((m) => m.seq > sinceSeq);
    return pageFromOldestFirst(newer, bounds, roomMessageBytes, identity);
  }

  async lastSeq(room: string): Promise<number> {
    return this.rooms.get(room)?.lastSeq ?? 0;
  }

  async directPage({ userA, userB, beforeId, ...bounds }: DirectPageQuery): Promise<MessagePage<DirectMessage> | undefined> {
    const all = this.conversations.get(conversationKey(userA, userB)) ?? [];
    const end = beforeId === undefined ? all.length : all.findIndex((m) => m.id === beforeId);
    if (end < 0) return undefined;
    return pageFromNewestFirst(newestFirst(all, end), bounds, directMessageBytes, identity);
  }

  async pruneOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    const limit = cutoff.toISOString();
    let removed = 0;
    const isKept = (message: { sentAt: string }): boolean => {
      if (message.sentAt >= limit || removed >= batchSize) return true;
      removed += 1;
      return false;
    };
    for (const log of this.rooms.values()) log.messages = log.messages.filter(isKept);
    for (const [key, list] of this.conversations) this.conversations.set(key, list.filter(isKept));
    return removed;
  }

  async ping(): Promise<void> {}

  private roomLog(room: string): RoomLog {
    let log = this.rooms.get(room);
    if (!log) {
      log = { messages: [], lastSeq: 0 };
      this.rooms.set(room, log);
    }
    return log;
  }
}

/** The first `end` entries, last one first. */
function* newestFirst<T>(chronological: readonly T[], end = chronological.length): Generator<T> {
  for (let i = end - 1; i >= 0; i -= 1) yield chronological[i]!;
}

function identity<T>(value: T): T {
  return value;
}
