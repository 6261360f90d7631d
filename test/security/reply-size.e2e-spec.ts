import { afterAll, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Ack, DirectMessage, Message, MessagePage, RoomJoinResult } from '../../src/contract.js';
import { MESSAGE_OVERHEAD_BYTES } from '../../src/messages/reply-budget.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { describeEachDurableDatabase } from '../persistence/support/databases.js';

/** A small budget so a few dozen messages of the longest length (4000, the default) span many replies. */
const MAX_REPLY_BYTES = 64 * 1024;
const ROOM_MESSAGES = 60;
const DIRECT_MESSAGES = 40;
const LONG_TEXT = 'x'.repeat(4000);
/** At most this many of those messages fit in one reply (each is counted 4000 + 3 bytes + the overhead). */
const PER_REPLY = Math.floor(MAX_REPLY_BYTES / (4000 + 3 + MESSAGE_OVERHEAD_BYTES));

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (messages: Message[]): number[] => messages.map((m) => m.seq);
/** What the reply weighs as JSON, which is what socket.io and express put on the wire. */
const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

describeEachDurableDatabase('reply size: every history reply stops at MAX_REPLY_BYTES', (database) => {
  let server: RunningApp;
  const clients: TestClient[] = [];
  let ada: TestClient;
  let bob: TestClient;

  beforeAll(async () => {
    // Twenty concurrent joins may all be answered in one turn (a first join's membership write is
    // group-committed for all of them): 20 x 64 KiB is past the default 1 MiB of unsent bytes, and
    // the slow-consumer bound (tested on its own) would close the socket. This suite measures replies.
    server = await startApp({
      DATABASE_URL: await database.freshUrl(),
      MAX_REPLY_BYTES: String(MAX_REPLY_BYTES),
      MAX_BUFFERED_BYTES: String(4 * 1024 * 1024),
    });
    ada = await connect(server.url, 'ada');
    bob = await connect(server.url, 'bob');
    clients.push(ada, bob);
    await ada.ok('room:join', { room: 'big' });
    for (let i = 0; i < ROOM_MESSAGES; i += 1) await ada.ok('message:send', { room: 'big', text: LONG_TEXT });
    for (let i = 0; i < DIRECT_MESSAGES; i += 1) await ada.ok('message:direct', { to: 'bob', text: LONG_TEXT });
  });

  afterAll(async () => {
    closeAll(clients);
    await server?.close();
  });

  it('answers twenty concurrent room:join { sinceSeq: 0 } with acks each under the budget, with hasMore', async () => {
    const acks = await Promise.all(range(1, 20).map(() => bob.request<RoomJoinResult>('room:join', { room: 'big', sinceSeq: 0 })));
    for (const ack of acks) {
      expect(jsonBytes(ack)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
      expect(ack).toMatchObject({ ok: true, data: { room: 'big', hasMore: true } });
      expect(seqs((ack as Extract<Ack<RoomJoinResult>, { ok: true }>).data.history)).toEqual(range(1, PER_REPLY));
    }
  });

  it('resumes page by page with sinceSeq, reaching every message exactly once', async () => {
    const seen: number[] = [];
    let sinceSeq = 0;
    for (;;) {
      const ack = await bob.request<RoomJoinResult>('room:join', { room: 'big', sinceSeq });
      expect(jsonBytes(ack)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
      if (!ack.ok) throw new Error(`resume failed: ${JSON.stringify(ack.error)}`);
      expect(ack.data.history.length).toBeGreaterThan(0);
      seen.push(...seqs(ack.data.history));
      if (!ack.data.hasMore) break;
      sinceSeq = ack.data.history.at(-1)!.seq;
    }
    expect(seen).toEqual(range(1, ROOM_MESSAGES));
  });

  it('cuts a plain join short with hasMore, and room:history pages back from it reaching every message once', async () => {
    const joined = await bob.request<RoomJoinResult>('room:join', { room: 'big', historyLimit: 100 });
    expect(jsonBytes(joined)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
    if (!joined.ok) throw new Error(`join failed: ${JSON.stringify(joined.error)}`);
    expect(seqs(joined.data.history)).toEqual(range(ROOM_MESSAGES - PER_REPLY + 1, ROOM_MESSAGES));
    expect(joined.data.hasMore).toBe(true);
    // A join whose history fits says nothing, as in v1.
    expect((await bob.ok<RoomJoinResult>('room:join', { room: 'big', historyLimit: 2 })).hasMore).toBeUndefined();

    const seen = seqs(joined.data.history);
    let beforeSeq = seen[0]!;
    for (;;) {
      const ack = await bob.request<MessagePage<Message>>('room:history', { room: 'big', beforeSeq, limit: 100 });
      expect(jsonBytes(ack)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
      if (!ack.ok) throw new Error(`room:history failed: ${JSON.stringify(ack.error)}`);
      seen.unshift(...seqs(ack.data.messages));
      if (!ack.data.hasMore) break;
      beforeSeq = ack.data.messages[0]!.seq;
    }
    expect(seen).toEqual(range(1, ROOM_MESSAGES));
  });

  it('pages GET /rooms/:name/messages within the budget, reaching every message once', async () => {
    const seen: number[] = [];
    let query: Record<string, number> = { limit: 100 };
    for (;;) {
      const res = await request(server.url).get('/rooms/big/messages').query(query).expect(200);
      expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
      const page = res.body as MessagePage<Message>;
      expect(page.messages.length).toBe(page.hasMore ? PER_REPLY : ROOM_MESSAGES % PER_REPLY || PER_REPLY);
      seen.unshift(...seqs(page.messages));
      if (!page.hasMore) break;
      query = { limit: 100, beforeSeq: page.messages[0]!.seq };
    }
    expect(seen).toEqual(range(1, ROOM_MESSAGES));
  });

  it('pages direct:history within the budget, reaching every message once', async () => {
    const seen: DirectMessage[] = [];
    let beforeId: string | undefined;
    for (;;) {
      const ack = await bob.request<MessagePage<DirectMessage>>('direct:history', { with: 'ada', limit: 100, beforeId });
      expect(jsonBytes(ack)).toBeLessThanOrEqual(MAX_REPLY_BYTES);
      if (!ack.ok) throw new Error(`direct:history failed: ${JSON.stringify(ack.error)}`);
      expect(ack.data.messages.length).toBeGreaterThan(0);
      seen.unshift(...ack.data.messages);
      if (!ack.data.hasMore) break;
      beforeId = ack.data.messages[0]!.id;
    }
    expect(seen).toHaveLength(DIRECT_MESSAGES);
    expect(new Set(seen.map((m) => m.id)).size).toBe(DIRECT_MESSAGES);
    expect(seen.every((m) => m.from.id === 'ada' && m.text === LONG_TEXT)).toBe(true);
  });
});
