import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { Server } from 'socket.io';
import { AppConfig } from '../config/app-config.js';
import { clientAddress } from './client-address.js';

interface EngineConnection {
  request: IncomingMessage;
  once(event: 'close', listener: () => void): void;
}

/**
 * Open engine.io connections per client address on this node. Counted at the transport level,
 * where every connection reliably reports its close, so the counts cannot leak.
 */
@Injectable()
export class AddressConnectionCounter {
  private readonly counts = new Map<string, number>();

  constructor(private readonly config: AppConfig) {}

  attach(server: Server): void {
    if (this.config.maxConnectionsPerAddress === 0) return;
    server.engine.on('connection', (connection: EngineConnection) => {
      const address = clientAddress(connection.request, this.config.trustProxy);
      this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
      connection.once('close', () => this.release(address));
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
    return cap === 0 || this.countOf(request) < cap;
  }

  /**
   * For the socket.io handshake of a connection already counted: true when the address holds
   * more than the cap (transports admitted together can pass allowRequest before any is counted).
   */
  overCap(request: IncomingMessage): boolean {
    const cap = this.config.maxConnectionsPerAddress;
    return cap !== 0 && this.countOf(request) > cap;
  }

  private countOf(request: IncomingMessage): number {
    return this.count(clientAddress(request, this.config.trustProxy));
  }

  private release(address: string): void {
    const left = (this.counts.get(address) ?? 1) - 1;
    if (left > 0) this.counts.set(address, left);
    else this.counts.delete(address);
  }
}
