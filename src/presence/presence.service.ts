import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { SocketData, User } from '../contract.js';
import { isRoomAllowed } from '../rooms/room-names.js';
import {
  type ConnectResult,
  type DisconnectResult,
  type ExpiryListener,
  PresenceStore,
  type RoomSummary,
  type UserPage,
  type UserPageQuery,
  type UserSummary,
} from './presence-store.js';

type Viewer = Pick<SocketData, 'allowedRooms'>;
export type OfflineListener = (user: User) => void;

/** A settle that failed (Redis unreachable) is tried again this much later, until it answers. */
const SETTLE_RETRY_MS = 1000;

interface PendingOffline {
  token: string;
  timer: NodeJS.Timeout;
}

/** A reader limited to some rooms learns nothing about the others, not even their names. */
function visibleTo(viewer: Viewer, user: UserSummary): UserSummary {
  if (viewer.allowedRooms === undefined) return user;
  return { ...user, rooms: user.rooms.filter((room) => isRoomAllowed(viewer, room)) };
}

/**
 * Cluster-wide presence: who is connected, with how many sockets, in which rooms.
 * With PRESENCE_GRACE_MS, a user's last departure starts one timer here (at most one per user:
 * a newer departure replaces it); when it fires, the store says whether presence:offline is
 * still due, which it is not when the user came back meanwhile on any node.
 * The store it is given is the guarded one (see guardPresenceStore): a failed call arrives as UNAVAILABLE.
 */
@Injectable()
export class PresenceService implements OnApplicationShutdown {
  private readonly logger = new Logger(PresenceService.name);
  private readonly pendingOffline = new Map<string, PendingOffline>();
  private offlineListener?: OfflineListener;
  private closed = false;

  constructor(
    private readonly presence: PresenceStore,
    private readonly config: AppConfig,
  ) {}

  connect(socketId: string, user: User): Promise<ConnectResult> {
    return this.presence.connect(socketId, user);
  }

  /** A last connection closed under a grace comes back with `pendingOffline` set: offline is not due yet. */
  async disconnect(socketId: string): Promise<DisconnectResult | undefined> {
    const result = await this.presence.disconnect(socketId, this.offlineGraceMs());
    if (result?.pendingOffline !== undefined) this.deferOffline(result.user, result.pendingOffline);
    return result;
  }

  /** Registers who announces a deferred presence:offline once it is due. */
  onOfflineDue(listener: OfflineListener): void {
    this.offlineListener = listener;
  }

  /** Pending offline timers of this node (one per user at most). */
  get pendingOfflineCount(): number {
    return this.pendingOffline.size;
  }

  /** One page of connected users; each one's rooms are narrowed to those the viewer's `rooms` claim allows. */
  async list(viewer: Viewer, query: UserPageQuery): Promise<UserPage> {
    const page = await this.presence.users(query);
    return { users: page.users.map((user) => visibleTo(viewer, user)), next: page.next };
  }

  find(id: string): Promise<UserSummary | undefined> {
    return this.presence.user(id);
  }

  async get(viewer: Viewer, id: string): Promise<UserSummary> {
    const user = await this.find(id);
    if (!user) throw AppError.notFound(`user ${id} is not connected`);
    return visibleTo(viewer, user);
  }

  /** Departures of sockets whose node died (or that closed while Redis was unreachable). */
  onExpired(listener: ExpiryListener): void {
    this.presence.onExpired(listener);
  }

  /** Records that a socket joined a chat room; firstForUser: no other socket of its user is in it. */
  joinRoom(socketId: string, room: string): Promise<{ firstForUser: boolean }> {
    return this.presence.join(socketId, room);
  }

  /** lastForUser: no other socket of its user is left in the room. */
  leaveRoom(socketId: string, room: string): Promise<{ lastForUser: boolean }> {
    return this.presence.leave(socketId, room);
  }

  /** room:forget: every socket of the user, on every node; wasIn: room:member-left is due. */
  leaveRoomEverywhere(userId: string, room: string): Promise<{ wasIn: boolean }> {
    return this.presence.leaveRoomEverywhere(userId, room);
  }

  /** For each id, in order: connected on any node. */
  online(userIds: readonly string[]): Promise<boolean[]> {
    return this.presence.online(userIds);
  }

  /** Chat rooms with at least one connected member, cluster-wide. */
  rooms(): Promise<RoomSummary[]> {
    return this.presence.rooms();
  }

  /** Users with a socket in the room, cluster-wide. */
  roomMembers(room: string): Promise<User[]> {
    return this.presence.roomMembers(room);
  }

  /** The display name of a connected user (cheaper than find); undefined when offline. */
  connectedName(userId: string): Promise<string | undefined> {
    return this.presence.connectedName(userId);
  }

  connectionCount(userId: string): Promise<number> {
    return this.presence.connectionCount(userId);
  }

  /**
   * Pending timers are dropped, never fired after close. What they owed stays recorded in the
   * presence store: with Redis, the sweep of this stopped node settles it on another node.
   */
  onApplicationShutdown(): void {
    this.closed = true;
    for (const { timer } of this.pendingOffline.values()) clearTimeout(timer);
    this.pendingOffline.clear();
  }

  /** Without presence broadcasts there is no offline to defer. */
  private offlineGraceMs(): number {
    return this.config.presenceBroadcast ? this.config.presenceGraceMs : 0;
  }

  private deferOffline(user: User, token: string, delayMs = this.config.presenceGraceMs): void {
    if (this.closed) return;
    // An older timer of this user is moot: its marker was removed by the reconnect that preceded this departure.
    const previous = this.pendingOffline.get(user.id);
    if (previous) clearTimeout(previous.timer);
    const timer = setTimeout(() => void this.settle(user, token), delayMs).unref();
    this.pendingOffline.set(user.id, { token, timer });
  }

  private async settle(user: User, token: string): Promise<void> {
    let due: boolean;
    try {
      due = await this.presence.settleOffline(user.id, token);
    } catch (error) {
      this.logger.warn({ err: error, userId: user.id }, 'could not settle a pending offline; retrying');
      if (this.pendingOffline.get(user.id)?.token === token) this.deferOffline(user, token, SETTLE_RETRY_MS);
      return;
    }
    if (this.pendingOffline.get(user.id)?.token === token) this.pendingOffline.delete(user.id);
    if (due && !this.closed) this.offlineListener?.(user);
  }
}
