import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { storeCall } from '../common/store-call.js';
import type { User } from '../contract.js';
import { type ConnectResult, type DisconnectResult, type ExpiryListener, PresenceStore, type UserSummary } from './presence-store.js';

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

  list(): Promise<UserSummary[]> {
    return storeCall(this.logger, 'presence store', () => this.presence.users());
  }

  find(id: string): Promise<UserSummary | undefined> {
    return storeCall(this.logger, 'presence store', () => this.presence.user(id));
  }

  async get(id: string): Promise<UserSummary> {
    const user = await this.find(id);
    if (!user) throw AppError.notFound(`user ${id} is not connected`);
    return user;
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
