import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { AppConfig } from '../config/app-config.js';

const CHECK_INTERVAL_MS = 500;

/** The parts of engine.io's connection that hold bytes not yet written to the network. */
interface BufferedConnection {
  writeBuffer?: Array<{ data?: unknown }>;
  transport?: { socket?: { bufferedAmount?: number } };
}

function bufferedBytes(socket: Socket): number {
  const connection = socket.conn as unknown as BufferedConnection;
  let bytes = connection.transport?.socket?.bufferedAmount ?? 0;
  for (const packet of connection.writeBuffer ?? []) {
    const data = packet.data;
    bytes += typeof data === 'string' ? data.length : data instanceof Uint8Array ? data.byteLength : 0;
  }
  return bytes;
}

/**
 * A client that stops reading must not make the server buffer without bound: a socket whose
 * outgoing buffer passes MAX_BUFFERED_BYTES is disconnected.
 */
@Injectable()
export class SlowConsumerMonitor implements OnModuleDestroy {
  private readonly logger = new Logger(SlowConsumerMonitor.name);
  private timer?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {}

  attach(server: Server): void {
    this.timer = setInterval(() => this.check(server), CHECK_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private check(server: Server): void {
    // Local sockets only: each node watches the buffers it owns.
    for (const socket of server.of('/').sockets.values()) {
      const bytes = bufferedBytes(socket);
      if (bytes <= this.config.maxBufferedBytes) continue;
      this.logger.warn({ socketId: socket.id, bufferedBytes: bytes }, 'disconnecting a slow consumer');
      socket.disconnect(true);
    }
  }
}
