import { afterEach, expect, it } from '@jest/globals';
import request from 'supertest';
import type { DirectMessage, DirectSendResult, Message, MessagePage, MessageSendResult, RoomJoinResult } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { describeEachDurableDatabase } from './support/databases.js';

const ROOM = 'archive';
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqs = (messages: Message[]): number[] => messages.map((m) => m.seq);

describeEachDurableDatabase('history reads from the store, across a restart', (database) => {
  const clients: TestClient[] = [];
  const apps: RunningApp[] = [];

  afterEach(async () => {
    closeAll(clients.splice(0));
    for (const app of apps.splice(0)) await app.close();
  });

  async function start(databaseUrl: string): Promise<RunningApp> {
    const app = await startApp({ DATABASE_URL: databaseUrl, HISTORY_LIMIT: '20' });
    apps.push(app);
    return app;
  }

  async function client(app: RunningApp, name: string): Promise<TestClient> {
    const c = await connect(app.url, name);
    clients.push(c);
    return c;
  }

  it('serves join history, sinceSeq resume, room:history, direct:history, REST pages and lastSeq', async () => {
    const databaseUrl = await database.freshUrl();
    const first = await start(databaseUrl);
    const ada = await client(first, 'ada');
    await ada.ok('room:join', { room: ROOM });
    const sent: Message[] = [];
    for (const i of range(1, 120)) sent.push((await ada.ok<MessageSendResult>('message:send', { room: ROOM, text: `m${i}` })).message);
    const directs: DirectMessage[] = [];
    for (const i of range(1, 7)) directs.push((await ada.ok<DirectSendResult>('message:direct', { to: 'bob', text: `dm${i}` })).message);
    closeAll(clients.splice(0));
    await apps.pop()!.close();

    const second = await start(databaseUrl);
    const bob = await client(second, 'bob');
    const joined = await bob.ok<RoomJoinResult>('room:join', { room: ROOM });
    expect(joined.history).toEqual(sent.slice(100));
    const limited = await bob.ok<RoomJoinResult>('room:join', { room: ROOM, historyLimit: 5 });
    expect(seqs(limited.history)).toEqual(range(116, 120));
    const resumed = await bob.ok<RoomJoinResult>('room:join', { room: ROOM, sinceSeq: 97 });
    expect(resumed.history).toEqual(sent.slice(97));
    expect(resumed.hasMore).toBeUndefined();

    const older = await bob.ok<MessagePage<Message>>('room:history', { room: ROOM, beforeSeq: 101, limit: 100 });
    expect(older).toEqual({ messages: sent.slice(0, 100), hasMore: false });
    const newest = await bob.ok<MessagePage<Message>>('room:history', { room: ROOM, limit: 3 });
    expect(newest).toEqual({ messages: sent.slice(117), hasMore: true });

    const rest = await request(second.url).get(`/rooms/${ROOM}/messages`).query({ beforeSeq: 50, limit: 10 }).expect(200);
    expect(rest.body).toEqual({ messages: sent.slice(39, 49), hasMore: true });
    const details = await request(second.url).get(`/rooms/${ROOM}`).expect(200);
    expect(details.body).toMatchObject({ name: ROOM, lastSeq: 120 });
    // A room nobody is in still exists while it has history.
    await request(second.url).get('/rooms/never-used').expect(404);

    const dmPage = await bob.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ada', limit: 4 });
    expect(dmPage).toEqual({ messages: directs.slice(3), hasMore: true });
    const dmOlder = await bob.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ada', beforeId: dmPage.messages[0]!.id, limit: 4 });
    expect(dmOlder).toEqual({ messages: directs.slice(0, 3), hasMore: false });
    await expect(bob.request('direct:history', { with: 'ada', beforeId: 'not-a-message' })).resolves.toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });

    const next = await bob.ok<MessageSendResult>('message:send', { room: ROOM, text: 'after restart' });
    expect(next.message.seq).toBe(121);
  });

  it('pages backwards without skips or duplicates while new messages keep arriving', async () => {
    const app = await start(await database.freshUrl());
    const ada = await client(app, 'ada');
    const reader = await client(app, 'reader');
    await ada.ok('room:join', { room: ROOM });
    for (const i of range(1, 45)) await ada.ok('message:send', { room: ROOM, text: `m${i}` });
    for (const i of range(1, 13)) await ada.ok('message:direct', { to: 'reader', text: `dm${i}` });

    const seen: Message[] = [];
    const seenDirect: DirectMessage[] = [];
    let page = await reader.ok<MessagePage<Message>>('room:history', { room: ROOM, limit: 10 });
    let dmPage = await reader.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ada', limit: 4 });
    const end = seqs(page.messages).at(-1)!;
    for (let i = 0; page.hasMore || dmPage.hasMore; i += 1) {
      seen.unshift(...page.messages);
      seenDirect.unshift(...dmPage.messages);
      await ada.ok('message:send', { room: ROOM, text: `live ${i}` });
      await ada.ok('message:direct', { to: 'reader', text: `live dm ${i}` });
      if (page.hasMore) page = await reader.ok('room:history', { room: ROOM, beforeSeq: page.messages[0]!.seq, limit: 10 });
      else page = { messages: [], hasMore: false };
      if (dmPage.hasMore) dmPage = await reader.ok('direct:history', { with: 'ada', beforeId: dmPage.messages[0]!.id, limit: 4 });
      else dmPage = { messages: [], hasMore: false };
    }
    seen.unshift(...page.messages);
    seenDirect.unshift(...dmPage.messages);
    expect(seqs(seen)).toEqual(range(1, end));
    expect(seenDirect.map((m) => m.text)).toEqual(range(1, 13).map((i) => `dm${i}`));
  });
});
