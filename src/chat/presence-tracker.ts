import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import type { User } from '../contract.js';
import type { DisconnectResult } from '../presence/presence-store.js';
import { PresenceService } from '../presence/presence.service.js';
import { ChatEmitter } from './chat-emitter.js';
import type { ChatSocket } from './chat-socket.js';

/**
 * Keeps cluster presence in step with this node's sockets and announces what that changes:
 * presence:online for a user's first connection, room:member-left and presence:offline for
 * departures (of this node's sockets, and of sockets the presence store finds gone elsewhere).
 */
@Injectable()
export class PresenceTracker {
  private readonly logger = new Logger(PresenceTracker.name);
  private readonly departures = new Set<Promise<void>>();

  constructor(
    private readonly presence: PresenceService,
    private readonly emitter: ChatEmitter,
    private readonly config: AppConfig,
  ) {}

  /** Announces what the presence store settles by itself; called once the emitter can reach sockets. */
  start(): void {
    this.presence.onExpired((departures) => departures.forEach((departure) => this.announceDeparture(departure)));
    this.presence.onOfflineDue((user) => this.announceOffline(user));
  }

  /**
   * Registers the socket synchronously, before anything awaits, so presence sees it before any of
   * its events. Never rejects: a presence failure is logged and the connection carries on.
   */
  async arrived(socket: ChatSocket): Promise<void> {
    const { user } = socket.data;
    const registered = this.presence.connect(socket.id, user);
    try {
      const { firstConnection, resumed } = await registered;
      // A resumed user came back within PRESENCE_GRACE_MS: nobody was told it had gone.
      if (firstConnection && !resumed && this.config.presenceBroadcast) this.emitter.presenceOnline(socket, { user });
    } catch (error) {
      this.logger.warn({ err: error, socketId: socket.id }, 'presence registration failed');
    }
  }

  /** Never rejects; settled() waits for it. */
  departed(socketId: string): Promise<void> {
    const departure = this.depart(socketId);
    this.departures.add(departure);
    void departure.finally(() => this.departures.delete(departure));
    return departure;
  }

  /** Resolves when every disconnect seen so far has been recorded in presence (for draining). */
  async settled(): Promise<void> {
    await Promise.all(this.departures);
  }

  private async depart(socketId: string): Promise<void> {
    try {
      const result = await this.presence.disconnect(socketId);
      if (result) this.announceDeparture(result);
    } catch (error) {
      this.logger.warn({ err: error, socketId }, 'presence removal failed');
    }
  }

  /**
   * Member-left and offline for a socket that is gone (here or on a node that died). A pending
   * offline (PRESENCE_GRACE_MS) is announced later, by announceOffline, if still due.
   */
  private announceDeparture({ user, lastConnection, leftRooms, pendingOffline }: DisconnectResult): void {
    for (const room of leftRooms) this.emitter.memberLeft({ room, user });
    if (lastConnection && pendingOffline === undefined) this.announceOffline(user);
  }

  private announceOffline(user: User): void {
    if (this.config.presenceBroadcast) this.emitter.presenceOffline({ user });
  }
}
