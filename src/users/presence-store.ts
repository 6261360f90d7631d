import type { User } from '../contract.js';

export interface ConnectResult {
  /** True when this is the user's only connection in the whole cluster. */
  firstConnection: boolean;
}

export interface DisconnectResult {
  user: User;
  /** True when the user has no connection left anywhere. */
  lastConnection: boolean;
  /** Rooms in which the user has no socket left (member-left is due there). */
  leftRooms: string[];
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
  /** undefined when the socket was not (or no longer) registered. */
  abstract disconnect(socketId: string): Promise<DisconnectResult | undefined>;
  /** firstForUser: the user had no other socket in the room. */
  abstract join(socketId: string, room: string): Promise<{ firstForUser: boolean }>;
  /** lastForUser: the user has no other socket in the room. */
  abstract leave(socketId: string, room: string): Promise<{ lastForUser: boolean }>;
  abstract roomMembers(room: string): Promise<User[]>;
  /** Rooms with at least one connected member, sorted by name. */
  abstract rooms(): Promise<RoomSummary[]>;
  abstract users(): Promise<UserSummary[]>;
  abstract user(id: string): Promise<UserSummary | undefined>;
  abstract connectionCount(userId: string): Promise<number>;
  /** The display name of a connected user; undefined when the user has no connection. */
  abstract connectedName(userId: string): Promise<string | undefined>;
  /** Registers who hears about connections dropped because their node stopped answering. */
  abstract onExpired(listener: ExpiryListener): void;
  /** Resolves when the backing service answers. */
  abstract ping(): Promise<void>;
}
