import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message, RoomJoinResult } from '../../src/contract.js';
import { closeAll, connect, type TestClient, within } from '../support/clients.js';
import { type Cluster, startCluster } from '../support/cluster.js';
import { missingServices } from '../support/services.js';
import { roomHistory } from '../support/suite.js';

const missing = await missingServices();
const describeCluster = missing ? describe.skip : describe;
if (missing) process.stderr.write(`cluster failover tests skipped: ${missing}\n`);

describeCluster('failover: a node is killed during a steady send load', () => {
  let cluster: Cluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster(3);
  }, 60_000);

  afterAll(async () => {
    closeAll(clients);
    await cluster?.stop();
  }, 30_000);

  async function client(node: number, name: string): Promise<TestClient> {
    const c = await connect(cluster.nodes[node]!.url, name);
    clients.push(c);
    return c;
  }

  it('loses no acknowledged message, resumes exactly the missed ones and marks the dead node offline', async () => {
    const [, survivorB, survivorC] = cluster.nodes;
    const watcher = await client(2, 'f-watcher');
    const reader = await client(0, 'f-victim');
    const gone = await client(0, 'f-gone');
    const senders = [await client(1, 'f-send-b'), await client(2, 'f-send-c')];
    for (const c of [watcher, reader, gone, ...senders]) await c.ok('room:join', { room: 'f-room', historyLimit: 0 });

    const acked: Message[] = [];
    let sending = true;
    const load = senders.map(async (sender, i) => {
      for (let n = 0; sending; n += 1) {
        const { message } = await sender.ok<{ message: Message }>('message:send', { room: 'f-room', text: `s${i}-${n}` });
        acked.push(message);
      }
    });

    await reader.waitFor('message:new', 20);
    cluster.nodes[0]!.signal('SIGKILL');
    await within(new Promise((resolve) => reader.socket.once('disconnect', resolve)), 'the victim client to notice');
    const lastSeen = Math.max(...reader.events('message:new').map((m) => m.seq));
    // Keep sending through the survivors for a while after the crash, then let the load finish.
    const ackedAtCrash = acked.length;
    await within(
      (async () => {
        while (acked.length < ackedAtCrash + 30) await senders[0]!.barrier();
      })(),
      'the survivors to keep acknowledging sends',
    );
    sending = false;
    await Promise.all(load);

    const resumed = await client(1, 'f-victim');
    const join = await resumed.ok<RoomJoinResult>('room:join', { room: 'f-room', sinceSeq: lastSeen });
    const expected = acked.filter((m) => m.seq > lastSeen).sort((a, b) => a.seq - b.seq);
    expect(join.history.map((m) => m.id)).toEqual(expected.map((m) => m.id));

    const history = await roomHistory(survivorB!.url, 'f-room');
    expect(history.map((m) => m.seq)).toEqual(history.map((_, i) => i + 1));
    const stored = new Set(history.map((m) => m.id));
    expect(acked.filter((m) => !stored.has(m.id))).toEqual([]);

    // f-gone never comes back: the sweep of the dead node announces its departure.
    const offline = await watcher.waitFor('presence:offline', 1, 30_000);
    expect(offline.user).toEqual({ id: 'f-gone', name: 'f-gone' });
    const left = watcher.events('room:member-left').map((e) => e.user.id);
    expect(left).toEqual(['f-gone']);
    await request(survivorC!.url).get('/users/f-gone').expect(404);
    // f-victim reconnected elsewhere before the sweep: still online with exactly its new socket.
    const victim = (await request(survivorC!.url).get('/users/f-victim').expect(200)).body;
    expect(victim).toEqual({ id: 'f-victim', name: 'f-victim', connections: 1, rooms: ['f-room'] });
    expect(watcher.events('presence:offline').map((e) => e.user.id)).toEqual(['f-gone']);
  }, 90_000);
});
