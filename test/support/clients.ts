import { io, type Socket } from 'socket.io-client';
import type { Ack, ClientToServerEvents, ServerToClientEvents, SessionEvent } from '../../src/contract.js';
import { WAIT_MS, within } from './wait.js';

export { WAIT_MS, within } from './wait.js';

export type ChatClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type EventName = keyof ServerToClientEvents;
type EventPayload<E extends EventName> = Parameters<ServerToClientEvents[E]>[0];

/** A client that records every event it receives, so tests can count deliveries exactly. */
export class TestClient {
  readonly received: Array<{ event: string; payload: unknown }> = [];
  session?: SessionEvent;

  constructor(readonly socket: ChatClientSocket) {
    socket.onAny((event: string, payload: unknown) => this.received.push({ event, payload }));
  }

  get id(): string {
    return this.socket.id ?? '';
  }

  /** Events of one name received so far. */
  events<E extends EventName>(event: E): Array<EventPayload<E>> {
    return this.received.filter((r) => r.event === event).map((r) => r.payload as EventPayload<E>);
  }

  /** Resolves with the n-th (1-based) event of that name, counting ones already received. */
  async waitFor<E extends EventName>(event: E, count = 1, ms = WAIT_MS): Promise<EventPayload<E>> {
    const reached = (): boolean => this.events(event).length >= count;
    if (!reached()) {
      await within(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (reached()) {
              this.socket.offAny(check);
              resolve();
            }
          };
          this.socket.onAny(check);
        }),
        `${count} x ${event} on ${this.label}`,
        ms,
      );
    }
    return this.events(event)[count - 1]!;
  }

  /** Sends an event and resolves with its ack. */
  request<T = unknown>(event: string, payload?: unknown, ms = WAIT_MS): Promise<Ack<T>> {
    const emitter = this.socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<Ack<T>> } };
    const args = payload === undefined ? [] : [payload];
    return within(emitter.timeout(ms).emitWithAck(event, ...args), `ack of ${event} on ${this.label}`, ms + 500);
  }

  /** Like request, but fails the test unless the ack is ok; returns its data. */
  async ok<T = unknown>(event: string, payload?: unknown, ms = WAIT_MS): Promise<T> {
    const ack = await this.request<T>(event, payload, ms);
    if (!ack.ok) throw new Error(`${event} failed: ${JSON.stringify(ack.error)}`);
    return ack.data;
  }

  /**
   * A round trip through the server on this connection. socket.io keeps order per connection,
   * so anything the server emitted to this socket before handling it has arrived afterwards.
   */
  async barrier(): Promise<void> {
    await this.request('room:history', { room: 'barrier', limit: 1 });
  }

  get label(): string {
    return this.session ? `${this.session.user.id}/${this.session.socketId}` : 'client';
  }

  close(): void {
    this.socket.disconnect();
  }

  /**
   * Disconnects and resolves once the engine has closed. A polling client flushes its last
   * packets over HTTP after disconnect(); stopping the server under it first makes the engine
   * open new requests after the test has ended.
   */
  async closeAndSettle(): Promise<void> {
    await settle(this.socket, this.label);
  }
}

async function settle(socket: ChatClientSocket, label: string): Promise<void> {
  const engine = socket.io.engine;
  const closed =
    engine && engine.readyState !== 'closed' ? new Promise<void>((resolve) => engine.once('close', () => resolve())) : Promise.resolve();
  socket.disconnect();
  await within(closed, `the transport of ${label} to close`);
}

export interface ConnectOptions {
  auth?: Record<string, unknown>;
  transports?: Array<'websocket' | 'polling'>;
  extraHeaders?: Record<string, string>;
}

/** Connects and waits for `session`; rejects with the connect_error otherwise. */
export async function connect(url: string, username: string, options: ConnectOptions = {}): Promise<TestClient> {
  const socket: ChatClientSocket = io(url, {
    auth: options.auth ?? { username },
    transports: options.transports ?? ['websocket'],
    extraHeaders: options.extraHeaders,
    reconnection: false,
    forceNew: true,
  });
  const client = new TestClient(socket);
  client.session = await within(
    new Promise<SessionEvent>((resolve, reject) => {
      socket.once('session', resolve);
      socket.once('connect_error', reject);
    }),
    `session for ${username}`,
  );
  return client;
}

/** Expects the handshake to be refused; resolves with the connect_error. */
export async function refusedConnect(url: string, options: ConnectOptions): Promise<Error & { data?: unknown }> {
  const socket: ChatClientSocket = io(url, {
    auth: options.auth,
    transports: options.transports ?? ['websocket'],
    extraHeaders: options.extraHeaders,
    reconnection: false,
    forceNew: true,
  });
  try {
    return await within(
      new Promise<Error & { data?: unknown }>((resolve, reject) => {
        socket.once('connect_error', resolve);
        socket.once('connect', () => reject(new Error('handshake was accepted but should have been refused')));
      }),
      'connect_error',
    );
  } finally {
    await settle(socket, 'the refused client');
  }
}

export function closeAll(clients: TestClient[]): void {
  for (const client of clients) client.close();
}

/** closeAll for polling clients: resolves once every transport has closed. */
export async function closeAllAndSettle(clients: TestClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.closeAndSettle()));
}
