import { Injectable } from '@nestjs/common';
import { instrumentAdminUi } from '../admin-ui/admin-ui.js';
import { AppConfig } from '../config/app-config.js';
import { SlowConsumerMonitor } from '../limits/slow-consumer.monitor.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { ChatEmitter } from './chat-emitter.js';
import type { ChatServer } from './chat-socket.js';
import { HandshakeService } from './handshake.service.js';
import { PresenceTracker } from './presence-tracker.js';

/**
 * Hands the socket server, once it exists and before it accepts a connection, to everything that
 * works on it: the emitter first (the rest may announce through it), then the handshake
 * middleware, the slow-consumer and metrics probes, the admin UI and presence announcements.
 */
@Injectable()
export class ChatServerSetup {
  constructor(
    private readonly emitter: ChatEmitter,
    private readonly handshake: HandshakeService,
    private readonly slowConsumers: SlowConsumerMonitor,
    private readonly metrics: ChatMetrics,
    private readonly presence: PresenceTracker,
    private readonly config: AppConfig,
  ) {}

  attach(server: ChatServer): void {
    this.emitter.attach(server);
    this.handshake.attach(server);
    this.slowConsumers.attach(server);
    this.metrics.attach(server);
    instrumentAdminUi(server, this.config);
    this.presence.start();
  }
}
