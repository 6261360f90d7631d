import { Injectable, Logger } from '@nestjs/common';
import type { ExtendedError } from 'socket.io';
import { RevocationCheckingAuthenticator } from '../auth/revocation-checking.authenticator.js';
import { AppError } from '../common/app-error.js';
import { mapError } from '../common/error-mapper.js';
import { AppConfig } from '../config/app-config.js';
import { DrainState } from '../health/drain-state.js';
import type { ConnectErrorData } from '../contract.js';
import { ErrorCode } from '../common/error-code.js';
import { AddressConnectionCounter } from '../limits/address-connection-counter.js';
import { HandshakeRateLimiter } from '../limits/handshake-rate-limiter.js';
import { PresenceService } from '../presence/presence.service.js';
import type { ChatServer, ChatSocket } from './chat-socket.js';

/**
 * Runs as socket.io middleware, before the connection exists: a refused client gets
 * `connect_error` and none of its events is ever processed.
 */
@Injectable()
export class HandshakeService {
  private readonly logger = new Logger(HandshakeService.name);
  /**
   * Sockets admitted on this node and not closed yet, per user. The presence store only learns of
   * a socket after the handshake, so concurrent handshakes would all see the same old count;
   * this local tally is checked and updated in one synchronous step.
   */
  private readonly admitted = new Map<string, Set<string>>();

  constructor(
    private readonly authenticator: RevocationCheckingAuthenticator,
    private readonly presence: PresenceService,
    private readonly addresses: AddressConnectionCounter,
    private readonly handshakeRate: HandshakeRateLimiter,
    private readonly drain: DrainState,
    private readonly config: AppConfig,
  ) {}

  attach(server: ChatServer): void {
    server.use(this.middleware);
    this.addresses.attach(server);
  }

  private readonly middleware = (socket: ChatSocket, next: (err?: ExtendedError) => void): void => {
    let releaseClaim: () => void;
    try {
      // Synchronous, before anything awaits: a second CONNECT on this transport sees the claim.
      releaseClaim = this.addresses.claimSocket(socket.conn, socket.nsp.name);
    } catch (error) {
      return next(this.toConnectError(error, socket));
    }
    this.admit(socket, releaseClaim).then(
      () => next(),
      (error: unknown) => {
        releaseClaim();
        next(this.toConnectError(error, socket));
      },
    );
  };

  private async admit(socket: ChatSocket, releaseClaim: () => void): Promise<void> {
    if (this.drain.draining) throw AppError.unavailable('this node is shutting down, connect to another one');
    const waitMs = this.handshakeRate.take(socket.request);
    if (waitMs > 0) {
      throw new AppError(ErrorCode.RATE_LIMITED, 'too many connection attempts from this address, retry later', undefined, waitMs);
    }
    const { auth, headers } = socket.handshake;
    const identity = await this.authenticator.authenticate({ auth: auth ?? {}, headers });
    const userId = identity.user.id;
    const connections = await this.presence.connectionCount(userId);
    // Cluster-wide count from presence, exact local count from this node: the larger one binds.
    const local = this.admitted.get(userId)?.size ?? 0;
    if (Math.max(connections, local) >= this.config.maxConnectionsPerUser) {
      throw AppError.forbidden(`a user may hold at most ${this.config.maxConnectionsPerUser} connections`);
    }
    // After the last await: a revocation this node applied meanwhile refuses the handshake here.
    // From this check on, the socket joins its user room without yielding to I/O, so a kick sent
    // after every node has applied the revocation (DELETE /users/:id/connections) reaches it.
    this.authenticator.assertNotRevoked(identity);
    this.holdSlot(socket, userId, releaseClaim);
    socket.data = identity;
  }

  /**
   * Counts the socket until it disconnects or its transport closes (also when it never connected).
   * Both listeners go when either fires: a transport kept across many connect/disconnect cycles
   * must not collect one listener per cycle.
   */
  private holdSlot(socket: ChatSocket, userId: string, releaseClaim: () => void): void {
    // The client left during authentication: socket.io drops this socket and 'close' has fired.
    if (socket.conn.readyState === 'closed') return;
    let sockets = this.admitted.get(userId);
    if (!sockets) {
      sockets = new Set();
      this.admitted.set(userId, sockets);
    }
    sockets.add(socket.id);
    const release = (): void => {
      socket.off('disconnect', release);
      socket.conn.off('close', release);
      releaseClaim();
      sockets.delete(socket.id);
      if (sockets.size === 0 && this.admitted.get(userId) === sockets) this.admitted.delete(userId);
    };
    socket.once('disconnect', release);
    socket.conn.once('close', release);
  }

  private toConnectError(error: unknown, socket: ChatSocket): ExtendedError {
    const { body, unexpected } = mapError(error);
    if (unexpected) this.logger.error({ err: error, socketId: socket.id }, 'handshake failed');
    else this.logger.debug({ socketId: socket.id, code: body.code }, 'handshake refused');
    const data: ConnectErrorData = { code: body.code, message: body.message };
    if (body.retryAfterMs !== undefined) data.retryAfterMs = body.retryAfterMs;
    return Object.assign(new Error(body.code), { data });
  }
}
