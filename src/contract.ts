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
  /** ISO-8601 UTC of the erasure (DELETE /users/:id/messages); the text is then "". */
  deletedAt?: string;
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

/**
 * A ban or a mute of one user in one room (REST /rooms/:name/bans and /mutes, socket room:ban and
 * room:mute). Banning or muting again replaces the previous one.
 */
export interface RoomRestriction {
  room: string;
  userId: string;
  /** null when none was given. */
  reason: string | null;
  /** ISO-8601 UTC. */
  createdAt: string;
  /** ISO-8601 UTC of the end; null: until lifted. */
  until: string | null;
  /** Who made it: the admin's user id, or "admin-api-key" for ADMIN_API_KEY. */
  by: string;
}
export type RoomBan = RoomRestriction;
export type RoomMute = RoomRestriction;
/** room:ban and room:mute (admin sockets): the REST body plus the room. */
export interface RoomRestrictPayload {
  room: string;
  userId: string;
  /** Up to 500 characters. */
  reason?: string;
  /** 1..31536000; absent: until lifted. */
  seconds?: number;
}
/** room:unban and room:unmute (admin sockets). */
export interface RoomUnrestrictPayload {
  room: string;
  userId: string;
}
export interface RoomBanResult {
  ban: RoomBan;
}
export interface RoomMuteResult {
  mute: RoomMute;
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
  /** Admin sockets only: as POST /rooms/:name/bans. */
  'room:ban': (payload: RoomRestrictPayload, ack: AckCallback<RoomBanResult>) => void;
  /** Admin sockets only: as DELETE /rooms/:name/bans/:userId (NOT_FOUND when there is no ban). */
  'room:unban': (payload: RoomUnrestrictPayload, ack: AckCallback<RoomBanResult>) => void;
  /** Admin sockets only: as POST /rooms/:name/mutes. */
  'room:mute': (payload: RoomRestrictPayload, ack: AckCallback<RoomMuteResult>) => void;
  /** Admin sockets only: as DELETE /rooms/:name/mutes/:userId (NOT_FOUND when there is no mute). */
  'room:unmute': (payload: RoomUnrestrictPayload, ack: AckCallback<RoomMuteResult>) => void;
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
/** To every socket of a banned user: it has left the room and may not join it until `until`. */
export interface RoomBannedEvent {
  room: string;
  reason: string | null;
  /** null: until lifted. */
  until: string | null;
}
/** To every socket of a muted user: it stays in the room but may not send, edit or type there. */
export type RoomMutedEvent = RoomBannedEvent;
/** The mute was lifted or has expired. */
export interface RoomUnmutedEvent {
  room: string;
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
  'room:banned': (event: RoomBannedEvent) => void;
  'room:muted': (event: RoomMutedEvent) => void;
  'room:unmuted': (event: RoomUnmutedEvent) => void;
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

/** REST: GET /rooms/:name/bans and /mutes (active ones only, by user id). */
export interface RoomBansPage {
  bans: RoomBan[];
  /** Cursor (`after`) of the next page; null on the last one. */
  next: string | null;
}
export interface RoomMutesPage {
  mutes: RoomMute[];
  next: string | null;
}
/**
 * REST: DELETE /users/:id/connections?revoke=true. JWT mode: tokens whose iat is not after
 * revokedAt (whole seconds: one issued in the same second too) are refused until a newer one is
 * presented. Open mode: handshakes under this user id are refused until blockedUntil.
 */
export interface UserRevocation {
  userId: string;
  /** ISO-8601 UTC. */
  revokedAt: string;
  /** ISO-8601 UTC; null in JWT mode. */
  blockedUntil: string | null;
}
/** REST: DELETE /users/:id/connections. */
export interface UserDisconnectResult {
  /** Sockets closed across the cluster. */
  disconnected: number;
  /** With ?revoke=true: what every node now enforces. */
  revocation?: UserRevocation;
}
/** REST: DELETE /users/:id/messages. How many messages this call turned into tombstones. */
export interface ErasureResult {
  roomMessages: number;
  directMessages: number;
}
export type AuditAction = 'ban' | 'unban' | 'mute' | 'unmute' | 'erase' | 'revoke';
/** One moderation action, as GET /audit lists them (oldest first). */
export interface AuditEntry {
  /** Increasing; the `after` cursor of the next page. */
  id: number;
  /** ISO-8601 UTC. */
  at: string;
  /** Who acted: the admin's user id, or "admin-api-key" for ADMIN_API_KEY. */
  actor: string;
  action: AuditAction;
  /** The user acted on. */
  userId: string;
  /** The room, for bans and mutes; null otherwise. */
  room: string | null;
  /** What the action set or found: reason and until, erased counts, a block's end. */
  details: Record<string, string | number | null>;
}
export interface AuditPage {
  entries: AuditEntry[];
  /** Cursor (`after`) of the next page; null on the last one. */
  next: number | null;
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
  /** Epoch ms of the token's `iat` (JWT mode, when the token has one): revocations compare it. */
  issuedAt?: number;
}
