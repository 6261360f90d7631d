import { Injectable } from '@nestjs/common';
import type { AuditEntry, DirectMessage, Message, MessagePage, MembershipSummary } from '../contract.js';
import {
  compareMembershipSummaries,
  type MarkerMove,
  type Membership,
  type MembershipJoin,
  type MembershipState,
  MembershipStore,
  type NewMembership,
  type RoomMembersQuery,
} from '../memberships/membership-store.js';
import { ERASURE_STEP_MAX_MESSAGES } from '../moderation/erasure-limits.js';
import type {
  AuditQuery,
  ErasureStep,
  ErasureStepInput,
  ModerationStore,
  NewAuditEntry,
  RestrictionKind,
  RestrictionPut,
  RestrictionRemoval,
  RoomRestrictionsQuery,
  SessionRevocation,
  StoredRestriction,
} from '../moderation/moderation-store.js';
import { pageFromNewestFirst, pageFromOldestFirst } from './message-rows.js';
import { toDirectMessage, toRoomMessage } from './message-shapes.js';
import { directMessageBytes, roomMessageBytes } from './reply-budget.js';
import {
  type Appended,
  conversationKey,
  type DirectPageQuery,
  type MessageChange,
  MessageStore,
  type NewDirectMessage,
  type NewRoomMessage,
  type RoomMessageDeletion,
  type RoomMessageEdit,
  type RoomPageQuery,
  type RoomSinceQuery,
  type RoomSinceRevQuery,
  type RoomState,
} from './message-store.js';

interface RoomLog {
  messages: Message[];
  lastSeq: number;
  rev: number;
}

/** Keeps everything in process memory: for unit tests and throwaway runs only. */
@Injectable()
export class MemoryMessageStore extends MessageStore implements MembershipStore, ModerationStore {
  private readonly rooms = new Map<string, RoomLog>();
  private readonly conversations = new Map<string, DirectMessage[]>();
  private readonly roomByClientId = new Map<string, Message>();
  private readonly directByClientId = new Map<string, DirectMessage>();
  /** room -> user id -> membership */
  private readonly members = new Map<string, Map<string, Membership>>();
  /** restrictionKey -> restriction */
  private readonly restrictions = new Map<string, StoredRestriction>();
  private readonly revoked = new Map<string, SessionRevocation>();
  private readonly audit: AuditEntry[] = [];

  async appendRoomMessage(input: NewRoomMessage): Promise<Appended<Message>> {
    const dedupKey = input.clientMsgId === undefined ? undefined : `${input.from.id}\n${input.clientMsgId}`;
    const existing = dedupKey === undefined ? undefined : this.roomByClientId.get(dedupKey);
    if (existing) return { message: this.current(existing), created: false };
    const log = this.roomLog(input.room);
    log.lastSeq += 1;
    log.rev += 1;
    const message = toRoomMessage(input, log.lastSeq, log.rev);
    log.messages.push(message);
    if (dedupKey !== undefined) this.roomByClientId.set(dedupKey, message);
    this.moveMarker({ room: input.room, userId: input.from.id, readSeq: message.seq });
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

  async roomSinceRev({ room, sinceRev, ...bounds }: RoomSinceRevQuery): Promise<MessagePage<Message>> {
    const changed = (this.rooms.get(room)?.messages ?? []).filter((m) => m.rev > sinceRev).sort((a, b) => a.rev - b.rev);
    return pageFromOldestFirst(changed, bounds, roomMessageBytes, identity);
  }

  async lastSeq(room: string): Promise<number> {
    return this.rooms.get(room)?.lastSeq ?? 0;
  }

  async roomState(room: string): Promise<RoomState> {
    const log = this.rooms.get(room);
    return { lastSeq: log?.lastSeq ?? 0, rev: log?.rev ?? 0 };
  }

  async roomMessage(room: string, seq: number): Promise<Message | undefined> {
    return this.find(room, seq)?.message;
  }

  async editRoomMessage({ room, seq, authorId, text, editedAt }: RoomMessageEdit): Promise<MessageChange> {
    const found = this.find(room, seq);
    if (!found || found.message.deletedAt !== undefined) return { outcome: 'not-found' };
    if (found.message.from.id !== authorId) return { outcome: 'not-author', message: found.message };
    if (found.message.text === text) return { outcome: 'unchanged', message: found.message };
    return { outcome: 'changed', message: this.replace(found, { ...found.message, text, editedAt }) };
  }

  async deleteRoomMessage({ room, seq, authorId, deletedAt }: RoomMessageDeletion): Promise<MessageChange> {
    const found = this.find(room, seq);
    if (!found) return { outcome: 'not-found' };
    if (authorId !== undefined && found.message.from.id !== authorId) return { outcome: 'not-author', message: found.message };
    if (found.message.deletedAt !== undefined) return { outcome: 'unchanged', message: found.message };
    return { outcome: 'changed', message: this.replace(found, { ...found.message, text: '', deletedAt }) };
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

  // ---- MembershipStore ----

  async join({ room, user, joinedAt, maxMemberships }: NewMembership): Promise<MembershipJoin> {
    const existing = this.members.get(room)?.get(user.id);
    if (existing) return { outcome: 'existing', membership: { ...existing } };
    if (this.membershipsOf(user.id).length >= maxMemberships) return { outcome: 'limit' };
    const membership: Membership = { room, user: { ...user }, joinedAt, readSeq: 0 };
    let roomMembers = this.members.get(room);
    if (!roomMembers) {
      roomMembers = new Map();
      this.members.set(room, roomMembers);
    }
    roomMembers.set(user.id, membership);
    return { outcome: 'created', membership: { ...membership } };
  }

  async forget(room: string, userId: string): Promise<boolean> {
    const roomMembers = this.members.get(room);
    const removed = roomMembers?.delete(userId) ?? false;
    if (roomMembers?.size === 0) this.members.delete(room);
    return removed;
  }

  async membershipState(room: string, userId: string): Promise<MembershipState | undefined> {
    const membership = this.members.get(room)?.get(userId);
    if (!membership) return undefined;
    const { lastSeq, rev } = await this.roomState(room);
    return { membership: { ...membership }, lastSeq, rev };
  }

  async userRooms(userId: string): Promise<MembershipSummary[]> {
    return this.membershipsOf(userId)
      .map((membership) => this.summary(membership))
      .sort(compareMembershipSummaries);
  }

  async roomMembers({ room, after, limit }: RoomMembersQuery): Promise<Membership[]> {
    const ids = [...(this.members.get(room)?.keys() ?? [])].filter((id) => after === undefined || id > after).sort(compareIds);
    return ids.slice(0, limit).map((id) => ({ ...this.members.get(room)!.get(id)! }));
  }

  async moveMarkers(moves: readonly MarkerMove[]): Promise<void> {
    for (const move of moves) this.moveMarker(move);
  }

  // ---- ModerationStore ----

  async putRestriction({ restriction, audit }: RestrictionPut): Promise<{ replaced: boolean }> {
    const key = restrictionKey(restriction.kind, restriction.room, restriction.userId);
    const previous = this.restrictions.get(key);
    this.restrictions.set(key, { ...restriction });
    this.appendAuditEntry(audit);
    return { replaced: previous !== undefined && isActive(previous, restriction.createdAt) };
  }

  async removeRestriction({ kind, room, userId, now, audit }: RestrictionRemoval): Promise<StoredRestriction | undefined> {
    const key = restrictionKey(kind, room, userId);
    const removed = this.restrictions.get(key);
    this.restrictions.delete(key);
    if (removed === undefined || !isActive(removed, now)) return undefined;
    this.appendAuditEntry(audit);
    return removed;
  }

  async activeRestrictions(now: string): Promise<StoredRestriction[]> {
    return [...this.restrictions.values()].filter((restriction) => isActive(restriction, now)).map((r) => ({ ...r }));
  }

  async roomRestrictions({ kind, room, now, after, limit }: RoomRestrictionsQuery): Promise<StoredRestriction[]> {
    return [...this.restrictions.values()]
      .filter((r) => r.kind === kind && r.room === room && isActive(r, now) && (after === undefined || compareBytes(r.userId, after) > 0))
      .sort((a, b) => compareBytes(a.userId, b.userId))
      .slice(0, limit)
      .map((r) => ({ ...r }));
  }

  async pruneEndedRestrictions(now: string, batchSize: number): Promise<number> {
    let removed = 0;
    for (const [key, restriction] of this.restrictions) {
      if (removed >= batchSize) break;
      if (isActive(restriction, now)) continue;
      this.restrictions.delete(key);
      removed += 1;
    }
    return removed;
  }

  async putRevocation(revocation: SessionRevocation, audit: NewAuditEntry): Promise<void> {
    this.revoked.set(revocation.userId, { ...revocation });
    this.appendAuditEntry(audit);
  }

  async revocations(): Promise<SessionRevocation[]> {
    return [...this.revoked.values()].map((r) => ({ ...r }));
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return { ...this.appendAuditEntry(entry) };
  }

  async auditPage({ after, limit }: AuditQuery): Promise<AuditEntry[]> {
    return this.audit
      .filter((entry) => after === undefined || entry.id > after)
      .slice(0, limit)
      .map((entry) => ({ ...entry }));
  }

  /** Scans everything each step (a test store): tombstones are skipped, so no cursor is needed. */
  async eraseStep({ userId, deletedAt }: ErasureStepInput): Promise<ErasureStep> {
    const roomMessages: Message[] = [];
    for (const log of this.rooms.values()) {
      for (let index = 0; index < log.messages.length; index += 1) {
        if (roomMessages.length >= ERASURE_STEP_MAX_MESSAGES) return { roomMessages, directMessages: 0, cursor: 'more' };
        const message = log.messages[index]!;
        if (message.from.id !== userId || message.deletedAt !== undefined) continue;
        roomMessages.push(this.replace({ log, index }, { ...message, text: '', deletedAt }));
      }
    }
    const directMessages = this.eraseDirectMessages(userId, deletedAt, ERASURE_STEP_MAX_MESSAGES - roomMessages.length);
    const complete = roomMessages.length + directMessages < ERASURE_STEP_MAX_MESSAGES;
    return complete ? { roomMessages, directMessages } : { roomMessages, directMessages, cursor: 'more' };
  }

  private eraseDirectMessages(userId: string, deletedAt: string, limit: number): number {
    let erased = 0;
    for (const list of this.conversations.values()) {
      for (let index = 0; index < list.length && erased < limit; index += 1) {
        const message = list[index]!;
        if (message.from.id !== userId || message.deletedAt !== undefined) continue;
        const tombstone: DirectMessage = { ...message, text: '', deletedAt };
        list[index] = tombstone;
        if (tombstone.clientMsgId !== undefined) this.directByClientId.set(`${userId}\n${tombstone.clientMsgId}`, tombstone);
        erased += 1;
      }
    }
    return erased;
  }

  private appendAuditEntry(entry: NewAuditEntry): AuditEntry {
    const stored: AuditEntry = { id: this.audit.length + 1, ...entry, details: { ...entry.details } };
    this.audit.push(stored);
    return stored;
  }

  private moveMarker({ room, userId, readSeq }: MarkerMove): void {
    const membership = this.members.get(room)?.get(userId);
    if (membership && membership.readSeq < readSeq) membership.readSeq = readSeq;
  }

  private membershipsOf(userId: string): Membership[] {
    const found: Membership[] = [];
    for (const roomMembers of this.members.values()) {
      const membership = roomMembers.get(userId);
      if (membership) found.push(membership);
    }
    return found;
  }

  private summary(membership: Membership): MembershipSummary {
    const log = this.rooms.get(membership.room);
    const lastSeq = log?.lastSeq ?? 0;
    const newest = log?.messages[log.messages.length - 1];
    return {
      room: membership.room,
      joinedAt: membership.joinedAt,
      lastSeq,
      readSeq: membership.readSeq,
      unread: Math.max(0, lastSeq - membership.readSeq),
      lastMessageAt: newest?.sentAt ?? null,
    };
  }

  private find(room: string, seq: number): { log: RoomLog; index: number; message: Message } | undefined {
    const log = this.rooms.get(room);
    const index = log?.messages.findIndex((m) => m.seq === seq) ?? -1;
    return log && index >= 0 ? { log, index, message: log.messages[index]! } : undefined;
  }

  /** Stores the changed message with the room's next rev; the clientMsgId index follows it. */
  private replace(found: { log: RoomLog; index: number }, changed: Message): Message {
    found.log.rev += 1;
    const message: Message = { ...changed, rev: found.log.rev };
    found.log.messages[found.index] = message;
    if (message.clientMsgId !== undefined) this.roomByClientId.set(`${message.from.id}\n${message.clientMsgId}`, message);
    return message;
  }

  /** A repeated send returns the message as it is now (edited or a tombstone). */
  private current(message: Message): Message {
    return this.find(message.room, message.seq)?.message ?? message;
  }

  private roomLog(room: string): RoomLog {
    let log = this.rooms.get(room);
    if (!log) {
      log = { messages: [], lastSeq: 0, rev: 0 };
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

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Byte order of the UTF-8 encodings, as SQLite and PostgreSQL's "C" collation compare. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function restrictionKey(kind: RestrictionKind, room: string, userId: string): string {
  return `${kind}\n${room}\n${userId}`;
}

/** Not ended at `now`: no end, or an end after it (ISO-8601 UTC strings compare as times). */
function isActive(restriction: StoredRestriction, now: string): boolean {
  return restriction.until === null || restriction.until > now;
}
