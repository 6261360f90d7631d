import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message, MessageSendResult } from '../../src/contract.js';
import { MESSAGE_STORE_ENGINE } from '../../src/messages/message-store.js';
import { SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { eventually } from '../support/wait.js';
import { describePostgres, POSTGRES_URL, TestSchema, withSearchPath } from './support/postgres.js';
import { TcpProxy } from './support/tcp-proxy.js';

const ROOM = 'outage';
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const RECOVERY_MS = 15_000;

const clients: TestClient[] = [];
let server: RunningApp | undefined;

afterEach(async () => {
  closeAll(clients.splice(0));
  await server?.close();
  server = undefined;
});

async function client(name: string, room = ROOM): Promise<TestClient> {
  const c = await connect(server!.url, name);
  clients.push(c);
  await c.ok('room:join', { room });
  return c;
}

async function readiness(): Promise<number> {
  return (await request(server!.url).get('/health/ready')).status;
}

async function untilReady(): Promise<void> {
  await eventually(async () => (await readiness()) === 200, 'readiness comes back after the database did', RECOVERY_MS, 100);
}

/**
 * The same story for each database: a message before the outage, UNAVAILABLE acks and 503
 * readiness during it with nothing broadcast and the process still serving, and the same send
 * succeeding with the next seq once the database is back.
 */
async function outageStory(breakDatabase: () => Promise<void>, repairDatabase: () => Promise<void>): Promise<void> {
  const ada = await client('ada');
  const bob = await client('bob');
  const before = await ada.ok<MessageSendResult>('message:send', { room: ROOM, text: 'before', clientMsgId: 'b-1' });
  await bob.waitFor('message:new', 1);

  await breakDatabase();
  const failed = await ada.request<MessageSendResult>('message:send', { room: ROOM, text: 'during', clientMsgId: 'd-1' });
  expect(failed).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: expect.any(String) } });
  const failedDirect = await ada.request('message:direct', { to: 'bob', text: 'during' });
  expect(failedDirect).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  await expect(ada.request('room:history', { room: ROOM })).resolves.toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
  const rest = await request(server!.url).get(`/rooms/${ROOM}/messages`);
  expect(rest.status).toBe(503);
  expect(rest.body).toMatchObject({ code: 'UNAVAILABLE' });
  expect(await readiness()).toBe(503);
  await request(server!.url).get('/health').expect(200);
  await bob.barrier();
  expect(bob.events('message:new')).toEqual([before.message]);
  expect(bob.events('message:direct')).toEqual([]);

  await repairDatabase();
  await untilReady();
  const retried = await ada.ok<MessageSendResult>('message:send', { room: ROOM, text: 'during', clientMsgId: 'd-1' });
  expect(retried.message).toMatchObject({ seq: 2, text: 'during', clientMsgId: 'd-1' });
  await bob.waitFor('message:new', 2);
  await bob.barrier();
  expect(bob.events('message:new')).toEqual([before.message, retried.message]);
  const history = await bob.ok<{ messages: Message[] }>('room:history', { room: ROOM });
  expect(history.messages).toEqual([before.message, retried.message]);
}

describePostgres('database outage on PostgreSQL (connections cut by a proxy)', () => {
  let schema: TestSchema;
  let proxy: TcpProxy;

  beforeAll(async () => {
    schema = await TestSchema.create('outage');
    const target = new URL(POSTGRES_URL);
    proxy = await TcpProxy.start(Number(target.port || 5432), target.hostname);
  });
  afterAll(async () => {
    await proxy.close();
    await schema.drop();
  });

  it('survives the server closing its connections (pg_terminate_backend), idle ones included', async () => {
    const applicationName = `${schema.name}_terminated`;
    const url = new URL(schema.url);
    url.searchParams.set('application_name', applicationName);
    server = await startApp({ DATABASE_URL: url.toString() });
    const ada = await client('ada', 'terminate');
    const bob = await client('bob', 'terminate');
    // One after another: concurrent sends on different pool connections may commit (and be
    // broadcast) in another order than their seq, and this test checks arrival in seq order.
    for (const i of range(1, 5)) await ada.ok('message:send', { room: 'terminate', text: `warm ${i}` });
    const terminated = await schema.query<{ done: boolean }>(
      'SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    expect(terminated.length).toBeGreaterThan(0);
    // pg_terminate_backend only signals: wait until those backends have exited (and so sent the
    // pool's idle connections their FATAL), or a send may pick a connection still being torn down.
    await eventually(
      async () => (await schema.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [applicationName])).length === 0,
      'the terminated backends exited',
    );
    // Idle pooled connections learn of it by an error event; a send right now may fail, not crash.
    const attempt = await ada.request<MessageSendResult>('message:send', { room: 'terminate', text: 'right after', clientMsgId: 'r-1' });
    if (!attempt.ok) expect(attempt.error.code).toBe('UNAVAILABLE');
    const retried = await ada.ok<MessageSendResult>('message:send', { room: 'terminate', text: 'right after', clientMsgId: 'r-1' });
    expect(retried.message.seq).toBe(6);
    await request(server.url).get('/health/ready').expect(200);
    await bob.waitFor('message:new', 6);
    await bob.barrier();
    expect(bob.events('message:new').map((m) => m.seq)).toEqual(range(1, 6));
  });

  it('answers UNAVAILABLE, broadcasts nothing, keeps serving, and recovers when the database is back', async () => {
    const viaProxy = new URL(POSTGRES_URL);
    viaProxy.port = String(proxy.port);
    server = await startApp({ DATABASE_URL: withSearchPath(viaProxy.toString(), schema.name) });
    await outageStory(
      async () => proxy.cut(),
      async () => proxy.restore(),
    );
  });
});

describe('database outage on SQLite (closed handle)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-outage-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers UNAVAILABLE, broadcasts nothing, keeps serving, and recovers when the handle is reopened', async () => {
    server = await startApp({ DATABASE_URL: `sqlite:${join(dir, 'chat.db')}` });
    const store: unknown = server.app.get(MESSAGE_STORE_ENGINE);
    if (!(store instanceof SqliteMessageStore)) throw new Error('expected the SQLite store');
    await outageStory(
      () => store.close(),
      async () => store.open(),
    );
  });
});
