import { type StoreMembers, storeGuard } from '../common/store-guard.js';
import type { DirectMessage, Message, MessagePage, User } from '../contract.js';
import type { PageBounds } from './reply-budget.js';

export interface NewRoomMessage {
  id: string;
  room: string;
  from: User;
  text: string;
  sentAt: string;
  clientMsgId?: string;
}

export interface NewDirectMessage {
  id: string;
  from: User;
  to: User;
  text: string;
  sentAt: string;
  clientMsgId?: string;
}

/** created is false when (sender, clientMsgId) was already stored: message is then the original. */
export interface Appended<T> {
  message: T;
  created: boolean;
}

export interface RoomPageQuery extends PageBounds {
  room: string;
  /** Only messages with seq < beforeSeq; the newest page when absent. */
  beforeSeq?: number;
}

export interface RoomSinceQuery extends PageBounds {
  room: string;
  /** Only messages with seq > sinceSeq, oldest first. */
  sinceSeq: number;
}

export interface RoomSinceRevQuery extends PageBounds {
  room: string;
  /** Every message (new, edited or deleted) whose rev > sinceRev, in rev order. */
  sinceRev: number;
}

/** A room's counters: 0 and 0 for a room that never had a message. */
export interface RoomState {
  lastSeq: number;
  rev: number;
}

export interface RoomMessageEdit {
  room: string;
  seq: number;
  /** Only the author may edit: another sender's message comes back as 'not-author'. */
  authorId: string;
  text: string;
  editedAt: string;
}

export interface RoomMessageDeletion {
  room: string;
  seq: number;
  /** The author's id, or undefined when anyone's message may go (an admin). */
  authorId?: string;
  deletedAt: string;
}

/**
 * What an edit or deletion did. changed: written with the next rev (message is the result).
 * unchanged: nothing to do (same text, or already a tombstone); message is as stored.
 * not-author: the message belongs to someone else; nothing written. not-found: no such (room,
 * seq), or an edit of a tombstone.
 */
export type MessageChange =
  | { outcome: 'changed'; message: Message }
  | { outcome: 'unchanged'; message: Message }
  | { outcome: 'not-author'; message: Message }
  | { outcome: 'not-found' };

export interface DirectPageQuery extends PageBounds {
  userA: string;
  userB: string;
  beforeId?: string;
}

/**
 * Durable message history. Implementations: memory (tests), SQLite (default), PostgreSQL.
 * Contract (checked by the shared store test suite):
 * - appendRoomMessage assigns seq = previous + 1 per room atomically with the insert: no gaps,
 *   no duplicates, also under concurrency and across processes sharing the database.
 * - A repeated (from.id, clientMsgId) returns the stored original with created=false and
 *   changes nothing.
 * - Every send, edit and deletion takes the room's next rev in the same transaction: gap-free
 *   and without duplicates, like seq. Existing messages migrate with rev = seq.
 * - appendRoomMessage also moves the sender's read marker (room_members.read_seq) forward to the
 *   new seq in the same transaction, when the sender is a member (see MembershipStore).
 * - A tombstone keeps id, seq, from, sentAt and clientMsgId; its text is erased from the row.
 * - A returned promise resolves only once the write is durable; a failed write rejects.
 * - Pages are chronological (ascending seq / insertion order).
 * - A page holds at most `limit` messages and stops before the message that would take its
 *   counted size past `maxBytes` (see takePage: the first message always goes in). roomPage and
 *   directPage keep the newest messages of the range, roomSince the oldest; hasMore is true
 *   exactly when the range held more than the page. A store reads at most one message beyond it.
 */
export abstract class MessageStore {
  abstract appendRoomMessage(input: NewRoomMessage): Promise<Appended<Message>>;
  abstract appendDirectMessage(input: NewDirectMessage): Promise<Appended<DirectMessage>>;
  abstract roomPage(query: RoomPageQuery): Promise<MessagePage<Message>>;
  abstract roomSince(query: RoomSinceQuery): Promise<MessagePage<Message>>;
  /** Oldest rev first; bounded like roomSince. */
  abstract roomSinceRev(query: RoomSinceRevQuery): Promise<MessagePage<Message>>;
  /** 0 when the room never had a message. */
  abstract lastSeq(room: string): Promise<number>;
  abstract roomState(room: string): Promise<RoomState>;
  /** The message with this seq (a tombstone too), or undefined. */
  abstract roomMessage(room: string, seq: number): Promise<Message | undefined>;
  abstract editRoomMessage(edit: RoomMessageEdit): Promise<MessageChange>;
  abstract deleteRoomMessage(deletion: RoomMessageDeletion): Promise<MessageChange>;
  /** undefined when beforeId is not a message of this conversation. */
  abstract directPage(query: DirectPageQuery): Promise<MessagePage<DirectMessage> | undefined>;
  /** Deletes up to `batchSize` messages sent before `cutoff`; returns how many went. */
  abstract pruneOlderThan(cutoff: Date, batchSize: number): Promise<number>;
  /** Resolves when the database answers; rejects when it is unreachable. */
  abstract ping(): Promise<void>;
}

/** Every member of MessageStore, for its guard (the compiler checks the list against the class). */
export const MESSAGE_STORE_MEMBERS: StoreMembers<MessageStore> = {
  appendRoomMessage: 'async',
  appendDirectMessage: 'async',
  roomPage: 'async',
  roomSince: 'async',
  roomSinceRev: 'async',
  lastSeq: 'async',
  roomState: 'async',
  roomMessage: 'async',
  editRoomMessage: 'async',
  deleteRoomMessage: 'async',
  directPage: 'async',
  pruneOlderThan: 'async',
  ping: 'async',
};

/**
 * What MessageStore is provided as: the engine behind a guard that answers any failed call with
 * UNAVAILABLE (see storeGuard). Services inject MessageStore and get this.
 */
export const guardMessageStore = storeGuard(MessageStore, 'message store', MESSAGE_STORE_MEMBERS);

/**
 * DI token of the engine itself (the SQLite or PostgreSQL store DATABASE_URL names), unguarded. It
 * is a provider of its own so Nest opens and closes it; readiness pings it, so a failed probe is
 * reported there rather than logged as a failed client call. Everything else injects MessageStore.
 */
export const MESSAGE_STORE_ENGINE = Symbol('MessageStore engine');

/** Conversation key independent of who sent: the two user ids in sorted order. */
export function conversationKey(userA: string, userB: string): string {
  return userA < userB ? `${userA}\n${userB}` : `${userB}\n${userA}`;
}
