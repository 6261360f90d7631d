import { afterEach, beforeAll, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Ack, Message, MessagePage, MessageSendResult, RoomJoinResult } from '../../src/contract.js';
import { closeAll, connect, type TestClient, within } from '../support/clients.js';
import { ensureBuilt } from '../support/dist.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { describeEachDurableDatabase } from './support/databases.js';

const ROOM = 'crash';
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(ensureBuilt, 120_000);

describeEachDurableDatabase('crash recovery: SIGKILL of a real server process', (database) => {
  const clients: TestClient[] = [];
  const servers: GatewayProcess[] = [];

  afterEach(async () => {
    closeAll(clients.splice(0));
    for (const server of servers.splice(0)) await server.stop();
  });

  async function start(databaseUrl: string): Promise<GatewayProcess> {
    const server = await GatewayProcess.start({ DATABASE_URL: databaseUrl });
    servers.push(server);
    return server;
  }

  async function client(server: GatewayProcess, name: string): Promise<TestClient> {
    const c = await connect(server.url, name);
    clients.push(c);
    return c;
  }

  async function storedHistory(server: GatewayProcess): Promise<Message[]> {
    const page = await request(server.url).get(`/rooms/${ROOM}/messages`).query({ limit: 100 }).expect(200);
    return (page.body as MessagePage<Message>).messages;
  }

  it('keeps every acknowledged message with its seq, and a resuming client gets exactly the missed ones', async () => {
    const databaseUrl = await database.freshUrl();
    const first = await start(databaseUrl);
    const ada = await client(first, 'ada');
    const bob = await client(first, 'bob');
    await ada.ok('room:join', { room: ROOM });
    await bob.ok('room:join', { room: ROOM });

    const acked: Message[] = [];
    const send = async (i: number): Promise<Ack<MessageSendResult>> =>
      ada.request<MessageSendResult>('message:send', { room: ROOM, text: `message ${i}`, clientMsgId: `m-${i}` });
    for (const i of range(1, 10)) {
      const ack = await send(i);
      if (!ack.ok) throw new Error(`send ${i} failed: ${JSON.stringify(ack.error)}`);
      acked.push(ack.data.message);
    }
    await bob.waitFor('message:new', 10);
    const lastSeen = bob.events('message:new').at(-1)!.seq;
    bob.close();

    // Sends keep flowing without waiting for acks; the process dies right after the 40th ack.
    // Once the client sees the connection drop, every ack that will ever arrive has arrived.
    const dropped = within(new Promise((resolve) => ada.socket.once('disconnect', resolve)), 'ada to lose the killed server');
    let killed: Promise<unknown> | undefined;
    for (const i of range(11, 90)) {
      void send(i).then(
        (ack) => {
          if (!ack.ok) return;
          acked.push(ack.data.message);
          if (acked.length === 40) killed ??= first.kill();
        },
        (error: unknown) => error,
      );
    }
    await dropped;
    expect(killed).toBeDefined();
    await expect(killed).resolves.toMatchObject({ signal: 'SIGKILL' });

    const second = await start(databaseUrl);
    const stored = await storedHistory(second);
    const storedById = new Map(stored.map((message) => [message.id, message]));
    for (const message of acked) expect(storedById.get(message.id)).toEqual(message);
    expect(stored.map((m) => m.seq)).toEqual(range(1, stored.length));
    expect(stored.length).toBeGreaterThanOrEqual(acked.length);
    const details = await request(second.url).get(`/rooms/${ROOM}`).expect(200);
    expect(details.body).toMatchObject({ lastSeq: stored.length });

    const bobAgain = await client(second, 'bob');
    const resumed = await bobAgain.ok<RoomJoinResult>('room:join', { room: ROOM, sinceSeq: lastSeen });
    expect(resumed.history).toEqual(stored.filter((message) => message.seq > lastSeen));
    expect(resumed.history.map((m) => m.seq)).toEqual(range(lastSeen + 1, stored.length));
    expect(resumed.hasMore).toBeUndefined();

    // Ada retries every send she never saw acknowledged, with the same clientMsgIds.
    const adaAgain = await client(second, 'ada');
    await adaAgain.ok('room:join', { room: ROOM, historyLimit: 0 });
    const ackedIds = new Set(acked.map((m) => m.clientMsgId));
    const unacked = range(11, 90).filter((i) => !ackedIds.has(`m-${i}`));
    const storedClientIds = new Set(stored.map((m) => m.clientMsgId));
    const retried: Message[] = [];
    for (const i of unacked) {
      retried.push(
        (await adaAgain.ok<MessageSendResult>('message:send', { room: ROOM, text: `message ${i}`, clientMsgId: `m-${i}` })).message,
      );
    }
    for (const message of retried) {
      if (storedClientIds.has(message.clientMsgId)) expect(message).toEqual(stored.find((m) => m.clientMsgId === message.clientMsgId));
    }
    await bobAgain.barrier();
    const newlyCreated = retried.filter((m) => !storedClientIds.has(m.clientMsgId));
    expect(bobAgain.events('message:new')).toEqual(newlyCreated);

    const final = await storedHistory(second);
    expect(final.map((m) => m.seq)).toEqual(range(1, 90));
    expect(new Set(final.map((m) => m.clientMsgId)).size).toBe(90);
  });
});
