import { type IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Server } from 'socket.io';
import { AppConfig } from '../config/app-config.js';

const CHECK_INTERVAL_MS = 500;

interface EnginePacket {
  data?: unknown;
}

/** What the monitor uses of an engine.io connection (socket.io's `socket.conn`): public API only. */
export interface MonitoredConnection {
  readonly transport: { readonly name: string; readonly sid: string };
  on(event: 'packetCreate', listener: (packet: EnginePacket) => void): unknown;
  on(event: 'flush', listener: () => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  close(discard?: boolean): void;
}

type EngineMiddleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/** What the monitor uses of the engine.io server (socket.io's `server.engine`). */
export interface MonitoredEngine {
  on(event: 'connection', listener: (connection: MonitoredConnection) => void): unknown;
  use(middleware: EngineMiddleware): void;
}

interface BufferingWebSocket {
  readonly bufferedAmount: number;
  terminate(): void;
}

/**
 * The `ws` WebSocket under engine.io's websocket transport. engine.io keeps it in a field its
 * types mark private (`socket`); this is the one place that reads it, and a test pins it against
 * the installed engine.io. Undefined for long-polling.
 */
export function webSocketOf(transport: object): BufferingWebSocket | undefined {
  const socket = (transport as { socket?: Partial<BufferingWebSocket> }).socket;
  return typeof socket?.bufferedAmount === 'number' && typeof socket.terminate === 'function' ? (socket as BufferingWebSocket) : undefined;
}

/** Size of an engine.io packet's payload: characters of a string, bytes of binary. */
export function packetBytes(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

/** The session id a long-polling request names, if any. */
function sessionIdOf(url: string | undefined): string | undefined {
  return new URL(url ?? '/', 'http://engine.invalid').searchParams.get('sid') ?? undefined;
}

/** A long-polling response of a watched connection, until it has been handed to the network. */
interface PollingResponse {
  /** Payload the engine flushed into it (before any HTTP compression, which holds it as it goes). */
  bytes: number;
  /** When that payload was given to it (0: still waiting for something to send). */
  givenAt: number;
}

/**
 * One engine.io connection and the bytes the server holds for it: packets queued in engine.io's
 * write buffer, the WebSocket's unsent bytes, and long-polling responses handed to Node but not
 * yet to the network (a poller that never reads keeps its responses there indefinitely).
 */
class WatchedConnection {
  /** Bytes in engine.io's write buffer: grows per packet, emptied when the buffer goes to the transport. */
  queued = 0;
  /**
   * An upper bound of the bytes held: the last full measure plus every byte queued since (bytes
   * only enter through packets; the network only takes them away). A full measure runs only when
   * this, without the packet being queued, passes the limit: a packet costs a few additions.
   */
  bound = 0;
  closed = false;
  /** Long-polling responses not finished yet (long-polling sessions only). */
  responses?: Map<ServerResponse, PollingResponse>;
  /** The poll waiting for data: the next flush goes into it. */
  private waiting?: PollingResponse;

  constructor(
    readonly connection: MonitoredConnection,
    private readonly limit: number,
    private readonly check: (watched: WatchedConnection, packetBytes: number) => void,
  ) {}

  readonly onPacket = (packet: EnginePacket): void => {
    const bytes = packetBytes(packet.data);
    this.queued += bytes;
    this.bound += bytes;
    if (this.bound - bytes > this.limit) this.check(this, bytes);
  };

  readonly onFlush = (): void => {
    // Over long-polling the whole buffer goes into the response of the waiting poll at once.
    if (this.waiting && this.connection.transport.name === 'polling') {
      this.waiting.bytes += this.queued;
      this.waiting.givenAt = Date.now();
    }
    this.waiting = undefined;
    this.queued = 0;
  };

  track(response: ServerResponse): void {
    const entry: PollingResponse = { bytes: 0, givenAt: 0 };
    const responses = (this.responses ??= new Map());
    responses.set(response, entry);
    this.waiting = entry;
    const forget = (): void => {
      responses.delete(response);
      if (this.waiting === entry) this.waiting = undefined;
    };
    response.once('finish', forget);
    response.once('close', forget);
  }

  heldBytes(): number {
    let bytes = this.queued + (webSocketOf(this.connection.transport)?.bufferedAmount ?? 0);
    for (const entry of this.responses?.values() ?? []) bytes += entry.bytes;
    return bytes;
  }
}

/**
 * A client that stops reading must not make the server hold more than MAX_BUFFERED_BYTES plus one
 * packet for it, whatever its transport: a packet queued while the connection already holds more
 * than the limit closes the connection. Checked as packets are queued, not on a timer, because a
 * burst of large replies can queue far more than the limit between two ticks. A timer enforces
 * POLLING_WRITE_TIMEOUT_MS: a long-polling response not handed to the network that long after it
 * got its data closes its session.
 */
@Injectable()
export class SlowConsumerMonitor implements OnModuleDestroy {
  private readonly logger = new Logger(SlowConsumerMonitor.name);
  /** Sessions that started on long-polling, by id: their polls are followed until the session closes. */
  private readonly pollingSessions = new Map<string, WatchedConnection>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {}

  attach(server: Server): void {
    const engine = server.engine as unknown as MonitoredEngine;
    engine.on('connection', (connection) => this.watch(connection));
    engine.use(this.trackPollingResponse);
    this.timer = setInterval(() => this.sweep(Date.now()), CHECK_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private watch(connection: MonitoredConnection): void {
    const watched = new WatchedConnection(connection, this.config.maxBufferedBytes, this.check);
    connection.on('packetCreate', watched.onPacket);
    connection.on('flush', watched.onFlush);
    // Only a session that starts on long-polling has HTTP responses to follow and time out.
    if (connection.transport.name !== 'polling') return;
    const sessionId = connection.transport.sid;
    this.pollingSessions.set(sessionId, watched);
    connection.once('close', () => {
      watched.closed = true;
      this.pollingSessions.delete(sessionId);
    });
  }

  /** engine.io middleware: remembers each long-polling response of a known session until it is done. */
  private readonly trackPollingResponse: EngineMiddleware = (request, response, next) => {
    // Upgrades get a stand-in that is not a ServerResponse; POST answers are two bytes.
    if (request.method === 'GET' && response instanceof ServerResponse) {
      const sessionId = sessionIdOf(request.url);
      const watched = sessionId === undefined ? undefined : this.pollingSessions.get(sessionId);
      if (watched && !watched.closed) watched.track(response);
    }
    next();
  };

  /** Runs when a packet is queued and the estimate says the connection may hold more than the limit. */
  private readonly check = (watched: WatchedConnection, packetBytes: number): void => {
    if (watched.closed) return;
    const held = watched.heldBytes();
    watched.bound = held;
    if (held - packetBytes > this.config.maxBufferedBytes) {
      this.close(watched, { bufferedBytes: held, packetBytes }, 'closing the connection of a slow consumer');
    }
  };

  private sweep(now: number): void {
    for (const watched of this.pollingSessions.values()) this.enforceWriteTimeout(watched, now);
  }

  private enforceWriteTimeout(watched: WatchedConnection, now: number): void {
    for (const entry of watched.responses?.values() ?? []) {
      if (entry.givenAt === 0 || now - entry.givenAt < this.config.pollingWriteTimeoutMs) continue;
      this.close(
        watched,
        { unsentBytes: entry.bytes, givenMsAgo: now - entry.givenAt },
        'closing a long-polling session whose response is not being read',
      );
      return;
    }
  }

  /** Closes the session at once and lets go of every byte still waiting for the network. */
  private close(watched: WatchedConnection, details: Record<string, number>, message: string): void {
    watched.closed = true;
    const { connection } = watched;
    this.logger.warn({ transport: connection.transport.name, ...details }, message);
    const webSocket = webSocketOf(connection.transport);
    connection.close(true);
    webSocket?.terminate();
    for (const response of watched.responses?.keys() ?? []) {
      if (!response.writableFinished) response.destroy();
    }
    watched.responses?.clear();
  }
}
