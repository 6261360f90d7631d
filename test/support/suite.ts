import { afterAll, afterEach, beforeAll } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { Ack, Message, MessagePage } from '../../src/contract.js';
import { type RunningApp, startApp } from './app.js';
import { type ConnectOptions, connect, refusedConnect, type TestClient } from './clients.js';
import { eventually, WAIT_MS, within } from './wait.js';

export { eventually } from './wait.js';

export const ADMIN_KEY = 'test-admin-key';

/** A room's whole history over REST, paging backwards with beforeSeq, in seq order. */
export async function roomHistory(url: string, room: string): Promise<Message[]> {
  const all: Message[] = [];
  let beforeSeq: number | undefined;
  for (;;) {
    const query = beforeSeq === undefined ? { limit: 100 } : { limit: 100, beforeSeq };
    const page = (await request(url).get(`/rooms/${room}/messages`).query(query).expect(200)).body as MessagePage<Message>;
    all.unshift(...page.messages);
    if (!page.hasMore || page.messages.length === 0) return all;
    beforeSeq = page.messages[0]!.seq;
  }
}

/** Emits with any arguments (the ack callback is added last) and resolves with the ack. */
export function emitRaw<T = unknown>(client: TestClient, event: string, ...args: unknown[]): Promise<Ack<T>> {
  const socket = client.socket as unknown as { timeout(ms: number): { emitWithAck(e: string, ...a: unknown[]): Promise<Ack<T>> } };
  return within(socket.timeout(WAIT_MS).emitWithAck(event, ...args), `ack of raw ${event} on ${client.label}`, WAIT_MS + 500);
}

/** Emits without an ack callback, with any arguments: failures then come back as `exception`. */
export function emitNoAck(client: TestClient, event: string, ...args: unknown[]): void {
  (client.socket as unknown as { emit(e: string, ...a: unknown[]): void }).emit(event, ...args);
}

export interface E2eApp {
  readonly url: string;
  readonly app: INestApplication;
  /** Connects and tracks the client; every tracked client is closed after each test. */
  connect(username: string, options?: ConnectOptions): Promise<TestClient>;
  refuse: (options: ConnectOptions) => ReturnType<typeof refusedConnect>;
  http(): ReturnType<typeof request>;
}

/**
 * Registers the hooks for one e2e file: a real app on port 0 for the whole file, and after each
 * test every client closed and the server back to no connected user, so the events of one test
 * never reach the next.
 */
export function e2eApp(env: Record<string, string | undefined> = {}): E2eApp {
  let running: RunningApp | undefined;
  const clients: TestClient[] = [];
  const current = (): RunningApp => {
    if (!running) throw new Error('the app is not running yet');
    return running;
  };

  beforeAll(async () => {
    running = await startApp(env);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    if (!running) return;
    const url = running.url;
    await eventually(async () => (await request(url).get('/users')).body.users.length === 0, 'every user is disconnected');
  });

  afterAll(async () => {
    for (const client of clients.splice(0)) client.close();
    await running?.close();
  });

  return {
    get url() {
      return current().url;
    },
    get app() {
      return current().app;
    },
    async connect(username, options) {
      const client = await connect(current().url, username, options);
      clients.push(client);
      return client;
    },
    refuse: (options) => refusedConnect(current().url, options),
    http: () => request(current().url),
  };
}
