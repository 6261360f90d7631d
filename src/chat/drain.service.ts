import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { DrainState } from '../health/drain-state.js';
import { MembershipsService } from '../memberships/memberships.service.js';
import { ChatEmitter } from './chat-emitter.js';
import { ChatInboundPolicy } from './inbound-event.policy.js';
import { PresenceTracker } from './presence-tracker.js';

const POLL_MS = 100;
const MAX_RECONNECT_SPREAD_MS = 5000;
const MIN_RECONNECT_AFTER_MS = 250;

/**
 * Graceful shutdown of one node: stop taking connections, tell clients to reconnect elsewhere at
 * spread-out times, let in-flight writes finish, then close whatever is left after the grace.
 */
@Injectable()
export class DrainService {
  private readonly logger = new Logger(DrainService.name);

  constructor(
    private readonly state: DrainState,
    private readonly emitter: ChatEmitter,
    private readonly presence: PresenceTracker,
    private readonly inbound: ChatInboundPolicy,
    private readonly memberships: MembershipsService,
    private readonly config: AppConfig,
  ) {}

  async drain(): Promise<void> {
    if (this.state.draining) return;
    this.state.begin();
    // A signal can arrive before the socket server exists (during start-up): nothing to drain.
    if (!this.emitter.attached) return;
    const deadline = Date.now() + this.config.shutdownGraceMs;
    const sockets = this.emitter.localSockets;
    this.logger.log({ sockets: sockets.size, graceMs: this.config.shutdownGraceMs }, 'draining');
    const spread = Math.min(MAX_RECONNECT_SPREAD_MS, Math.max(this.config.shutdownGraceMs / 2, MIN_RECONNECT_AFTER_MS));
    // Each local socket gets its own delay, so clients do not all reconnect at the same instant.
    for (const socket of sockets.values()) {
      this.emitter.serverDraining(socket, { reconnectAfterMs: MIN_RECONNECT_AFTER_MS + Math.floor(Math.random() * spread) });
    }
    await this.inbound.whenIdle(Math.max(0, deadline - Date.now()));
    while (sockets.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const remaining = sockets.size;
    this.emitter.disconnectLocalSockets();
    await this.presence.settled();
    // The last room:read moves of the closed sockets, before the process is let go.
    await this.memberships.flushMarkers();
    this.logger.log({ closedByServer: remaining }, 'drained');
  }
}
