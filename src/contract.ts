/**
 * The v1 event contract between chat clients and the gateway (namespace "/").
 *
 * TypeScript clients import these types to get a typed socket:
 *   import { io, Socket } from 'socket.io-client';
 *   import type { ClientToServerEvents, ServerToClientEvents } from 'chat-gateway/dist/contract.js';
 *   const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, { auth: { username: 'ada' } });
 *
 * This file only holds types and the error code enum, so importing it pulls in no server code.
 */
import { ErrorCode } from './common/error-code.js';

export { ErrorCode };

export interface User {
  id: string;
  name: string;
}

export interface Message {
  id: string;
  room: string;
  /** 1, 2, 3, ... per room, without gaps. */
  seq: number;
  from: User;
  text: string;
  /** ISO-8601 UTC. */
  sentAt: string;
  clientMsgId?: string;
  /**
   * The room's change counter when this message was last sent, edited or deleted: per room,
   * gap-free, one step per change. Keep the highest rev seen and rejoin with sinceRev.
   */
  rev: number;
  /** ISO-8601 UTC of the last edit; absent when never edited. */
  editedAt?: string;
  /** ISO-8601 UTC of the deletion; the message is then a tombstone: text is "". */
  deletedAt?: string;
}

export interface DirectMessage {
  id: string;
  from: User;
  to: User;
  text: string;
  sentAt: string;
  clientMsgId?: string;
}

export interface Announcement {
  id: string;
  from: User;
  text: string;
  sentAt: string;
}

export interface FieldError {
  field: string;
  messages: string[];
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: FieldError[];
  retryAfterMs?: number;
}

export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
export type AckCallback<T> = (response: Ack<T>) => void;

// ---- client to server payloads ----

export interface RoomJoinPayload {
  room: string;
  historyLimit?: number;
  sinceSeq?: number;
  /** Resume by changes: every message whose rev > sinceRev, ordered by rev. Not with sinceSeq. */
  sinceRev?: number;
}
export interface RoomJoinResult {
  room: string;
  members: User[];
  history: Message[];
  /**
   * Present and true when the history stopped early. A sinceSeq resume had more than 500
   * messages, or more than MAX_REPLY_BYTES of them, to return: join again with sinceSeq = the
   * last seq received. A plain join's last historyLimit messages were more than MAX_REPLY_BYTES:
   * the older ones come with room:history (beforeSeq = the first seq received).
   */
  hasMore?: boolean;
  /** The caller's read marker in this room (0: nothing read). */
  readSeq: number;
  /** lastSeq - readSeq: deleted messages count too. */
  unread: number;
  /** The room's current rev. */
  rev: number;
}
export interface RoomLeavePayload {
  room: string;
}
export interface RoomLeaveResult {
  room: string;
}
export interface RoomHistoryPayload {
  room: string;
  beforeSeq?: number;
  limit?: number;
}
/** At most `limit` messages and at most MAX_REPLY_BYTES of them (always at least one when any exist). */
export interface MessagePage<T> {
  messages: T[];
  /** More messages exist in the direction of paging (older ones: page on with the first message). */
  hasMore: boolean;
}
export interface MessageSendPayload {
  room: string;
  text: string;
  clientMsgId?: string;
}
export interface MessageSendResult {
  message: Message;
}
export interface DirectSendPayload {
  to: string;
  text: string;
  clientMsgId?: string;
}
export interface DirectSendResult {
  message: DirectMessage;
  delivered: boolean;
}
export interface DirectHistoryPayload {
  with: string;
  beforeId?: string;
  limit?: number;
}
export interface TypingPayload {
  room: string;
  typing: boolean;
}
export interface AnnouncePayload {
  text: string;
}
export interface AnnounceResult {
  announcement: Announcement;
}
export interface RoomForgetPayload {
  room: string;
}
export interface RoomForgetResult {
  room: string;
}
export type RoomsListPayload = Record<string, never>;
/** One of the caller's memberships, as rooms:list and GET /users/:id/rooms list them. */
export interface MembershipSummary {
  room: string;
  /** ISO-8601 UTC of the first join. */
  joinedAt: string;
  lastSeq: number;
  readSeq: number;
  unread: number;
  /** ISO-8601 UTC of the room's newest message; null when it has none. */
  lastMessageAt: string | null;
}
export interface RoomsListResult {
  /** Newest lastMessageAt first; rooms without messages last, newest joinedAt first. */
  rooms: MembershipSummary[];
}
export interface RoomReadPayload {
  room: string;
  seq: number;
}
export interface RoomReadResult {
  room: string;
  readSeq: number;
  unread: number;
}
export interface MessageEditPayload {
  room: string;
  seq: number;
  text: string;
}
export interface MessageEditResult {
  message: Message;
}
export interface MessageDeletePayload {
  room: string;
  seq: number;
}
export interface MessageDeleteResult {
  /** The tombstone. */
  message: Message;
}
export interface AuthRefreshPayload {
  token: string;
}
export interface AuthRefreshResult {
  expiresAt: string;
}

export interface ClientToServerEvents {
  'room:join': (payload: RoomJoinPayload, ack: AckCallback<RoomJoinResult>) => void;
  'room:leave': (payload: RoomLeavePayload, ack: AckCallback<RoomLeaveResult>) => void;
  'room:history': (payload: RoomHistoryPayload, ack: AckCallback<MessagePage<Message>>) => void;
  'message:send': (payload: MessageSendPayload, ack: AckCallback<MessageSendResult>) => void;
  'message:direct': (payload: DirectSendPayload, ack: AckCallback<DirectSendResult>) => void;
  'direct:history': (payload: DirectHistoryPayload, ack: AckCallback<MessagePage<DirectMessage>>) => void;
  typing: (payload: TypingPayload, ack: AckCallback<Record<string, never>>) => void;
  announce: (payload: AnnouncePayload, ack: AckCallback<AnnounceResult>) => void;
  'auth:refresh': (payload: AuthRefreshPayload, ack: AckCallback<AuthRefreshResult>) => void;
  'room:forget': (payload: RoomForgetPayload, ack: AckCallback<RoomForgetResult>) => void;
  'rooms:list': (payload: RoomsListPayload, ack: AckCallback<RoomsListResult>) => void;
  'room:read': (payload: RoomReadPayload, ack: AckCallback<RoomReadResult>) => void;
  'message:edit': (payload: MessageEditPayload, ack: AckCallback<MessageEditResult>) => void;
  'message:delete': (payload: MessageDeletePayload, ack: AckCallback<MessageDeleteResult>) => void;
}

// ---- server to client payloads ----

export interface SessionEvent {
  user: User;
  socketId: string;
}
export interface RoomMemberEvent {
  room: string;
  user: User;
}
export interface TypingEvent {
  room: string;
  user: User;
  typing: boolean;
}
export interface PresenceEvent {
  user: User;
}
export interface ExceptionEvent extends ErrorBody {
  event: string;
}
/** The caller's marker moved on another of their sockets (or through REST). */
export type RoomReadEvent = RoomReadResult;
export interface DrainingEvent {
  reconnectAfterMs: number;
}

export interface ServerToClientEvents {
  session: (event: SessionEvent) => void;
  'message:new': (message: Message) => void;
  'message:direct': (message: DirectMessage) => void;
  typing: (event: TypingEvent) => void;
  announcement: (announcement: Announcement) => void;
  'room:member-joined': (event: RoomMemberEvent) => void;
  'room:member-left': (event: RoomMemberEvent) => void;
  'presence:online': (event: PresenceEvent) => void;
  'presence:offline': (event: PresenceEvent) => void;
  exception: (event: ExceptionEvent) => void;
  'session:expired': (event: { reason: string }) => void;
  'server:draining': (event: DrainingEvent) => void;
  /** An edit or deletion: replace the message with this (room, seq). */
  'message:updated': (message: Message) => void;
  'room:read': (event: RoomReadEvent) => void;
}

/** REST: one member of a room (GET /rooms/:name/members). */
export interface RoomMember {
  user: User;
  joinedAt: string;
  readSeq: number;
  /** The user has a connected socket (any room, any node). */
  online: boolean;
}
export interface RoomMembersPage {
  members: RoomMember[];
  /** Cursor (`after`) of the next page; null on the last one. */
  next: string | null;
}

/** Error a refused handshake carries: `connect_error` with `err.message === code` and `err.data`. */
export interface ConnectErrorData {
  code: ErrorCode;
  message: string;
  /** With RATE_LIMITED: how long to wait before the next attempt. */
  retryAfterMs?: number;
}

/** Data the gateway keeps on each socket (`socket.data`). */
export interface SocketData {
  user: User;
  isAdmin: boolean;
  /** Rooms (or `prefix*` patterns) this identity may join; undefined means any non-reserved room. */
  allowedRooms?: string[];
  /** Epoch ms when the credentials of this connection expire; undefined in open mode. */
  expiresAt?: number;
}
