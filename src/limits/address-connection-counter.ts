import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import { clientAddress } from './client-address.js';

/** The parts of an engine.io connection (socket.io's `socket.conn`) this counter uses. */
export interface EngineConnection {
  request: IncomingMessage;
  once(event: 'close', listener: () => void): unknown;
}

interface TrackedConnection {
  address: string;
  /** Namespaces with a socket on this connection whose handshake is running or that is connected. */
  readonly namespaces: Set<string>;
  closed: boolean;
}

/** The cost of a connection against its address's cap: once per socket it carries, at least once. */
function unitsOf(connection: TrackedConnection): number {
  return Math.max(1, connection.namespaces.size);
}

/**
 * Open engine.io connections per client address on this node, and the sockets each carries.
 * Counted at the transport level, where every connection reliably reports its close, so the counts
 * cannot leak. A connection counts once per socket it carries (at least once, so idle transports
 * are capped too), and carries at most one socket per namespace, pending or connected: several
 * CONNECT packets sent on one transport cannot turn it into many users.
 */
@Injectable()
export class AddressConnectionCounter {
  private readonly counts = new Map<string, number>();
  private readonly connections = new WeakMap<EngineConnection, TrackedConnection>();

  constructor(private readonly config: AppConfig) {}

  attach(server: Server): void {
    server.engine.on('connection', (connection: EngineConnection) => {
      const tracked: TrackedConnection = {
        address: clientAddress(connection.request, this.config.trustProxy),
        namespaces: new Set(),
        closed: false,
      };
      this.connections.set(connection, tracked);
      this.add(tracked.address, 1);
      connection.once('close', () => {
        tracked.closed = true;
        this.add(tracked.address, -unitsOf(tracked));
      });
    });
  }

  count(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  /**
   * For engine.io's allowRequest: refuses a new transport connection once the address holds
   * the cap, so idle connections that never reach the socket.io handshake are capped too.
   */
  admits(request: IncomingMessage): boolean {
    const cap = this.config.maxConnectionsPerAddress;
    return cap === 0 || this.count(clientAddress(request, this.config.trustProxy)) < cap;
  }

  /**
   * Claims `namespace` on the connection for a socket.io handshake, synchronously, before anything
   * asynchronous runs. Throws FORBIDDEN when the connection already has a socket of that namespace
   * (pending or connected) or when the socket would put its address over the cap (transports
   * admitted together can also pass allowRequest before any of them is counted). Returns the
   * release, which may be called any number of times.
   */
  claimSocket(connection: EngineConnection, namespace: string): () => void {
    const tracked = this.connections.get(connection);
    if (!tracked || tracked.closed) throw AppError.unavailable('the connection is closed');
    if (tracked.namespaces.has(namespace)) {
      throw AppError.forbidden('this connection already has a socket on this namespace (connected or connecting)');
    }
    const added = tracked.namespaces.size > 0 ? 1 : 0;
    const cap = this.config.maxConnectionsPerAddress;
    if (cap !== 0 && this.count(tracked.address) + added > cap) {
      throw AppError.forbidden(`an address may hold at most ${cap} connections`);
    }
    tracked.namespaces.add(namespace);
    this.add(tracked.address, added);
    return () => {
      if (tracked.closed || !tracked.namespaces.delete(namespace)) return;
      if (tracked.namespaces.size > 0) this.add(tracked.address, -1);
    };
  }

  private add(address: string, delta: number): void {
    if (delta === 0) return;
    const next = (this.counts.get(address) ?? 0) + delta;
    if (next > 0) this.counts.set(address, next);
    else this.counts.delete(address);
  }
}
