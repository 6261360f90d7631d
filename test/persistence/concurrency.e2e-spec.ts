import { afterEach, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message, MessageSendResult } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { roomHistory } from '../support/suite.js';
import { describeEachDurableDatabase } from './support/databases.js';
import { describePostgres, TestSchema } from './support/postgres.js';

const ROOM = 'stampede';
const CLIENTS = 20;
const MESSAGES_EACH = 50;
const TOTAL = CLIENTS * MESSAGES_EACH;
/** 1000 sends in flight at once: the last ack may queue behind the others on a busy machine. */
const STAMPEDE_ACK_MS = 20_000;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const clients: TestClient[] = [];
const apps: RunningApp[] = [];

async function closeApps(): Promise<void> {
  closeAll(clients.splice(0));
  for (const app of apps.splice(0)) await app.close();
}

afterEach(closeApps);

async function start(databaseUrl: string): Promise<RunningApp> {
  const app = await startApp({ DATABASE_URL: databaseUrl });
  apps.push(app);
  return app;
}

/** Connects `count` clients to the app, each in the room. */
async function joinAll(app: RunningApp, names: string[]): Promise<TestClient[]> {
  const joined = await Promise.all(names.map((name) => connect(app.url, name)));
  clients.push(...joined);
  await Promise.all(joined.map((c) => c.ok('room:join', { room: ROOM, historyLimit: 0 })));
  return joined;
}

/** Every client fires all its sends at once; resolves with every ack's message. */
async function stampede(senders: TestClient[]): Promise<Message[]> {
  const acks = await Promise.all(
    senders.flatMap((sender, s) =>
      range(1, MESSAGES_EACH).map((i) =>
        sender.ok<MessageSendResult>('message:send', { room: ROOM, text: `${s}:${i}`, clientMsgId: `${s}-${i}` }, STAMPEDE_ACK_MS),
      ),
    ),
  );
  return acks.map((ack) => ack.message);
}

/** Each receiver got exactly the messages the other clients on its server sent, once each. */
async function expectDeliveries(receivers: TestClient[], sentBy: Map<TestClient, Message[]>): Promise<void> {
  await Promise.all(receivers.map((c) => c.barrier()));
  for (const receiver of receivers) {
    const expected = receivers.filter((c) => c !== receiver).flatMap((c) => sentBy.get(c)!.map((m) => m.id));
    const got = receiver.events('message:new').map((m) => m.id);
    expect(got.length).toBe(expected.length);
    expect(new Set(got)).toEqual(new Set(expected));
  }
}

function bySender(senders: TestClient[], messages: Message[]): Map<TestClient, Message[]> {
  return new Map(senders.map((c, s) => [c, messages.filter((m) => m.clientMsgId?.startsWith(`${s}-`))]));
}

describeEachDurableDatabase(`${CLIENTS} clients x ${MESSAGES_EACH} messages into one room at once`, (database) => {
  it(`stores ${TOTAL} rows with seq 1..${TOTAL}, no gap, every ack's seq unique`, async () => {
    const app = await start(await database.freshUrl());
    const senders = await joinAll(
      app,
      range(1, CLIENTS).map((i) => `user${i}`),
    );
    const acked = await stampede(senders);
    expect(acked).toHaveLength(TOTAL);
    expect(acked.map((m) => m.seq).sort((a, b) => a - b)).toEqual(range(1, TOTAL));
    const stored = await roomHistory(app.url, ROOM);
    expect(stored.map((m) => m.seq)).toEqual(range(1, TOTAL));
    expect(new Map(stored.map((m) => [m.id, m]))).toEqual(new Map(acked.map((m) => [m.id, m])));
    await request(app.url)
      .get(`/rooms/${ROOM}`)
      .expect(200)
      .expect((res) => expect(res.body.lastSeq).toBe(TOTAL));
    await expectDeliveries(senders, bySender(senders, acked));
  });
});

describePostgres('two gateways sharing one PostgreSQL', () => {
  let schema: TestSchema;
  afterEach(async () => {
    await closeApps();
    await schema?.drop();
  });

  it(`keeps seq 1..${TOTAL} gap-free when the senders are split across both`, async () => {
    schema = await TestSchema.create('cluster');
    const [east, west] = [await start(schema.url), await start(schema.url)];
    const half = CLIENTS / 2;
    const eastSenders = await joinAll(
      east,
      range(1, half).map((i) => `east${i}`),
    );
    const westSenders = await joinAll(
      west,
      range(1, half).map((i) => `west${i}`),
    );
    const senders = [...eastSenders, ...westSenders];
    const acked = await stampede(senders);
    expect(acked.map((m) => m.seq).sort((a, b) => a - b)).toEqual(range(1, TOTAL));
    const rows = await schema.query<{ seq: string }>('SELECT seq FROM room_messages WHERE room = $1 ORDER BY seq', [ROOM]);
    expect(rows.map((row) => Number(row.seq))).toEqual(range(1, TOTAL));
    expect((await roomHistory(west.url, ROOM)).map((m) => m.seq)).toEqual(range(1, TOTAL));
    // Without a Redis adapter each gateway delivers to its own sockets only.
    const sentBy = bySender(senders, acked);
    await expectDeliveries(eastSenders, sentBy);
    await expectDeliveries(westSenders, sentBy);
  });
});
