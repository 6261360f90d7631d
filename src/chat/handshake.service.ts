import { Injectable, Logger } from '@nestjs/common';
import type { ExtendedError } from 'socket.io';
import { Authenticator } from '../auth/credentials.js';
import { AppError } from '../common/app-error.js';
import { mapError } from '../common/error-mapper.js';
import { AppConfig } from '../config/app-config.js';
import { DrainState } from '../health/drain-state.js';
import type { ConnectErrorData } from '../contract.js';
import { AddressConnectionCounter } from '../limits/address-connection-counter.js';
import { UsersService } from '../users/users.service.js';
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
    private readonly authenticator: Authenticator,
    private readonly users: UsersService,
    private readonly addresses: AddressConnectionCounter,
    private readonly drain: DrainState,
    private readonly config: AppConfig,
  ) {}

  attach(server: ChatServer): void {
    server.use(this.middleware);
    this.addresses.attach(server);
  }

  private readonly middleware = (socket: ChatSocket, next: (err?: ExtendedError) => void): void => {
    this.admit(socket).then(
      () => next(),
      (error: unknown) => next(this.toConnectError(error, socket)),
    );
  };

  private async admit(socket: ChatSocket): Promise<void> {
    if (this.drain.draining) throw AppError.unavailable('this node is shutting down, connect to another one');
    if (this.addresses.overCap(socket.request)) {
      throw AppError.forbidden(`an address may hold at most ${this.config.maxConnectionsPerAddress} connections`);
    }
    const { auth, headers } = socket.handshake;
    const identity = await this.authenticator.authenticate({ auth: auth ?? {}, headers });
    const userId = identity.user.id;
    const connections = await this.users.connectionCount(userId);
    // Cluster-wide count from presence, exact local count from this node: the larger one binds.
    const local = this.admitted.get(userId)?.size ?? 0;
    if (Math.max(connections, local) >= this.config.maxConnectionsPerUser) {
      throw AppError.forbidden(`a user may hold at most ${this.config.maxConnectionsPerUser} connections`);
    }
    this.holdSlot(socket, userId);
    socket.data = identity;
  }

  /** Counts the socket until it disconnects or its transport closes (also when it never connected). */
  private holdSlot(socket: ChatSocket, userId: string): void {
    // The client left during authentication: socket.io drops this socket and 'close' has fired.
    if (socket.conn.readyState === 'closed') return;
    let sockets = this.admitted.get(userId);
    if (!sockets) {
      sockets = new Set();
      this.admitted.set(userId, sockets);
    }
    sockets.add(socket.id);
    const release = (): void => {
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
    return Object.assign(new Error(body.code), { data });
  }
}
