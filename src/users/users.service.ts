import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { storeCall } from '../common/store-call.js';
import type { SocketData, User } from '../contract.js';
import { isRoomAllowed } from '../rooms/room-names.js';
import { type ConnectResult, type DisconnectResult, type ExpiryListener, PresenceStore, type UserSummary } from './presence-store.js';

type Viewer = Pick<SocketData, 'allowedRooms'>;

/** A reader limited to some rooms learns nothing about the others, not even their names. */
function visibleTo(viewer: Viewer, user: UserSummary): UserSummary {
  if (viewer.allowedRooms === undefined) return user;
  return { ...user, rooms: user.rooms.filter((room) => isRoomAllowed(viewer, room)) };
}

/** Cluster-wide presence: who is connected, with how many sockets, in which rooms. */
@Injectable()
export class UsersService {
  private readonly logger = new Logger(UsersService.name);

  constructor(private readonly presence: PresenceStore) {}

  connect(socketId: string, user: User): Promise<ConnectResult> {
    return storeCall(this.logger, 'presence store', () => this.presence.connect(socketId, user));
  }

  disconnect(socketId: string): Promise<DisconnectResult | undefined> {
    return storeCall(this.logger, 'presence store', () => this.presence.disconnect(socketId));
  }

  /** Connected users; each one's rooms are narrowed to those the viewer's `rooms` claim allows. */
  async list(viewer: Viewer): Promise<UserSummary[]> {
    const users = await storeCall(this.logger, 'presence store', () => this.presence.users());
    return users.map((user) => visibleTo(viewer, user));
  }

  find(id: string): Promise<UserSummary | undefined> {
    return storeCall(this.logger, 'presence store', () => this.presence.user(id));
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

  /** The display name of a connected user (cheaper than find); undefined when offline. */
  connectedName(userId: string): Promise<string | undefined> {
    return storeCall(this.logger, 'presence store', () => this.presence.connectedName(userId));
  }

  connectionCount(userId: string): Promise<number> {
    return storeCall(this.logger, 'presence store', () => this.presence.connectionCount(userId));
  }
}
