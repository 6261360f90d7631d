import { randomBytes } from 'node:crypto';
import { type StoreMembers, storeGuard } from '../common/store-guard.js';
import type { User } from '../contract.js';

/** Hex characters of a pending-offline token (the Redis scripts split stored entries on it). */
export const OFFLINE_TOKEN_LENGTH = 16;

/** A fresh token for one pending offline; unique, so a departure can never settle another's. */
export function newOfflineToken(): string {
  return randomBytes(OFFLINE_TOKEN_LENGTH / 2).toString('hex');
}

export interface ConnectResult {
  /** True when this is the user's only connection in the whole cluster. */
  firstConnection: boolean;
  /**
   * True when this first connection cancelled the user's pending offline (it came within the
   * grace of the last departure): neither presence:offline nor presence:online is due.
   */
  resumed: boolean;
}

export interface DisconnectResult {
  user: User;
  /** True when the user has no connection left anywhere. */
  lastConnection: boolean;
  /** Rooms in which the user has no socket left (member-left is due there). */
  leftRooms: string[];
  /**
   * Set on a last connection closed with a grace: presence:offline is deferred, and this token
   * names the pending-offline marker to hand to settleOffline once the grace has passed.
   */
  pendingOffline?: string;
}

export interface UserPageQuery {
  /** Only users whose id sorts after this one (the previous page's `next`); from the start when absent. */
  after?: string;
  limit: number;
}

export interface UserPage {
  /** Connected users in id order. */
  users: UserSummary[];
  /** The id to pass as `after` for the next page; null on the last page. */
  next: string | null;
}

export interface RoomSummary {
  name: string;
  memberCount: number;
}

export interface UserSummary {
  id: string;
  name: string;
  connections: number;
  rooms: string[];
}

export type ExpiryListener = (expired: DisconnectResult[]) => void;

/**
 * Who is connected and which rooms they are in, per user and per socket, for the whole cluster.
 * Memory implementation for a single node; Redis implementation when REDIS_URL is set.
 * Every mutation is idempotent per socket, so a retried or duplicated call cannot skew counts.
 */
export abstract class PresenceStore {
  abstract connect(socketId: string, user: User): Promise<ConnectResult>;
  /**
   * undefined when the socket was not (or no longer) registered. With offlineGraceMs > 0, a last
   * connection leaves a pending-offline marker (see DisconnectResult.pendingOffline) that the
   * user's next first connection, on any node, removes instead of going online.
   */
  abstract disconnect(socketId: string, offlineGraceMs?: number): Promise<DisconnectResult | undefined>;
  /**
   * Once the grace has passed: removes the marker `token` names and tells whether presence:offline
   * is due now, that is the marker was still this one (no reconnect since) and the user has no
   * connection. Calling it again, or with a stale token, answers false.
   */
  abstract settleOffline(userId: string, token: string): Promise<boolean>;
  /** firstForUser: the user had no other socket in the room. */
  abstract join(socketId: string, room: string): Promise<{ firstForUser: boolean }>;
  /** lastForUser: the user has no other socket in the room. */
  abstract leave(socketId: string, room: string): Promise<{ lastForUser: boolean }>;
  /**
   * Every socket of the user, on every node, leaves the room (room:forget). wasIn: the user had a
   * socket in it, so room:member-left is due, once, whatever the number of sockets.
   */
  abstract leaveRoomEverywhere(userId: string, room: string): Promise<{ wasIn: boolean }>;
  abstract roomMembers(room: string): Promise<User[]>;
  /** For each id, in order: whether the user has a connection (any node). */
  abstract online(userIds: readonly string[]): Promise<boolean[]>;
  /** Rooms with at least one connected member, sorted by name. */
  abstract rooms(): Promise<RoomSummary[]>;
  /** One page of connected users by id; the work per call is bounded by `limit`, not by how many are connected. */
  abstract users(query: UserPageQuery): Promise<UserPage>;
  abstract user(id: string): Promise<UserSummary | undefined>;
  abstract connectionCount(userId: string): Promise<number>;
  /** The display name of a connected user; undefined when the user has no connection. */
  abstract connectedName(userId: string): Promise<string | undefined>;
  /** Registers who hears about connections dropped because their node stopped answering. */
  abstract onExpired(listener: ExpiryListener): void;
  /** Resolves when the backing service answers. */
  abstract ping(): Promise<void>;
}

/** Every member of PresenceStore, for its guard (the compiler checks the list against the class). */
export const PRESENCE_STORE_MEMBERS: StoreMembers<PresenceStore> = {
  connect: 'async',
  disconnect: 'async',
  settleOffline: 'async',
  join: 'async',
  leave: 'async',
  leaveRoomEverywhere: 'async',
  roomMembers: 'async',
  online: 'async',
  rooms: 'async',
  users: 'async',
  user: 'async',
  connectionCount: 'async',
  connectedName: 'async',
  onExpired: 'sync',
  ping: 'async',
};

/**
 * What PresenceStore is provided as: the engine behind a guard that answers any failed call with
 * UNAVAILABLE (see storeGuard); onExpired registers the listener with the engine itself.
 */
export const guardPresenceStore = storeGuard(PresenceStore, 'presence store', PRESENCE_STORE_MEMBERS);

/**
 * DI token of the engine itself (Redis when REDIS_URL is set, else memory), unguarded: a provider
 * of its own so Nest starts and stops it; readiness pings it. Everything else injects PresenceStore.
 */
export const PRESENCE_STORE_ENGINE = Symbol('PresenceStore engine');
