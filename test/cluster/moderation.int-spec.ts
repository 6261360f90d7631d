import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message, RoomRestriction } from '../../src/contract.js';
import { ErrorCode, failure } from '../support/acks.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { type Cluster, CLUSTER_ADMIN_KEY, startCluster } from '../support/cluster.js';
import type { GatewayProcess } from '../support/gateway-process.js';
import { missingServices, REDIS_URL } from '../support/services.js';
import { eventually, within } from '../support/wait.js';

const missing = await missingServices();
const describeCluster = missing ? describe.skip : describe;
if (missing) process.stderr.write(`moderation cluster tests skipped: ${missing}\n`);

const admin = { 'X-Api-Key': CLUSTER_ADMIN_KEY };
/** A reconnect takes ioredis's retry delay (up to 2 s) and the reload after it. */
const RECOVERY_MS = 15_000;

/**
 * A TCP relay between one node and Redis that the test can cut: that node alone loses Redis (its
 * subscriber drops out of the cluster's channels) while the others keep theirs.
 */
class RedisRelay {
  private server?: Server;
  private readonly open = new Set<Socket>();
  private up = true;
  port = 0;

  constructor(private readonly target: URL) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('the relay has no port');
    this.port = address.port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}${this.target.pathname}`;
  }

  /** Closes every relayed connection, both ends, and refuses new ones until restore(). */
  cut(): void {
    this.up = false;
    for (const socket of this.open) socket.destroy();
    this.open.clear();
  }

  restore(): void {
    this.up = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private relay(client: Socket): void {
    if (!this.up) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect(Number(this.target.port || 6379), this.target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.open.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.open.delete(from);
        to.destroy();
      });
    }
  }
}

async function readyStatus(node: GatewayProcess): Promise<number> {
  return (await request(node.url).get('/health/ready')).status;
}

async function roomMembers(node: GatewayProcess, room: string): Promise<string[]> {
  const response = await request(node.url).get(`/rooms/${room}`);
  if (response.status === 404) return [];
  return (response.body as { members: Array<{ id: string }> }).members.map((member) => member.id);
}

describeCluster('moderation across gateway processes on PostgreSQL and Redis', () => {
  const relay = new RedisRelay(new URL(REDIS_URL));
  let cluster: Cluster;
  let nodeA: GatewayProcess;
  let nodeB: GatewayProcess;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    await relay.start();
    cluster = await startCluster(1);
    nodeA = cluster.nodes[0]!;
    nodeB = await cluster.addNode('node-b', { REDIS_URL: relay.url });
  }, 90_000);

  afterAll(async () => {
    closeAll(clients);
    await cluster?.stop();
    await relay.close();
  }, 30_000);

  async function client(node: GatewayProcess, name: string): Promise<TestClient> {
    const connected = await connect(node.url, name);
    clients.push(connected);
    return connected;
  }

  /** Nobody's events have been lost in flight: a round trip on each. */
  async function settle(...all: TestClient[]): Promise<void> {
    await Promise.all(all.map((one) => one.barrier()));
  }

  it("a ban made through node a's REST is enforced by node b before the answer", async () => {
    const adaOnB = await client(nodeB, 'ada');
    const adaOnA = await client(nodeA, 'ada');
    const bob = await client(nodeA, 'bob');
    const cy = await client(nodeB, 'cy');
    for (const member of [bob, cy, adaOnA, adaOnB]) await member.ok('room:join', { room: 'enforced' });

    const answer = await request(nodeA.url).post('/rooms/enforced/bans').set(admin).send({ userId: 'ada', reason: 'spam' }).expect(201);
    const { ban } = answer.body as { ban: RoomRestriction };
    // Right after the answer, no waiting: node b refuses, and has taken ada's socket out of the room,
    // so a message sent now reaches cy on node b but not ada there.
    const refused = failure(await adaOnB.request('message:send', { room: 'enforced', text: 'still here?' }), ErrorCode.FORBIDDEN);
    expect(refused.message).toBe('you are banned from room enforced until an admin lifts it (reason: spam)');
    const after = (await bob.ok<{ message: Message }>('message:send', { room: 'enforced', text: 'after the ban' })).message;
    await expect(cy.waitFor('message:new')).resolves.toEqual(after);
    expect(await roomMembers(nodeB, 'enforced')).toEqual(['bob', 'cy']);
    failure(await adaOnB.request('room:join', { room: 'enforced' }), ErrorCode.FORBIDDEN);
    failure(await adaOnB.request('typing', { room: 'enforced', typing: true }), ErrorCode.FORBIDDEN);

    for (const tab of [adaOnA, adaOnB])
      await expect(tab.waitFor('room:banned')).resolves.toEqual({ room: 'enforced', reason: 'spam', until: null });
    for (const member of [bob, cy])
      await expect(member.waitFor('room:member-left')).resolves.toEqual({ room: 'enforced', user: { id: 'ada', name: 'ada' } });
    await settle(adaOnA, adaOnB, bob, cy);
    for (const tab of [adaOnA, adaOnB]) {
      expect(tab.events('room:banned')).toHaveLength(1);
      expect(tab.events('message:new')).toEqual([]);
    }
    for (const member of [bob, cy]) expect(member.events('room:member-left')).toHaveLength(1);
    expect((await request(nodeB.url).get('/rooms/enforced/bans').set(admin).expect(200)).body).toEqual({ bans: [ban], next: null });
  }, 60_000);

  it('a node restarted while a ban was made elsewhere enforces it once it is back', async () => {
    const ada = await client(nodeB, 'ada');
    await ada.ok('room:join', { room: 'restarted' });
    await ada.ok('room:join', { room: 'hushed' });
    await nodeB.kill();
    cluster.nodes.splice(cluster.nodes.indexOf(nodeB), 1);

    await request(nodeA.url).post('/rooms/restarted/bans').set(admin).send({ userId: 'ada', seconds: 600 }).expect(201);
    await request(nodeA.url).post('/rooms/hushed/mutes').set(admin).send({ userId: 'ada' }).expect(201);
    nodeB = await cluster.addNode('node-b', { REDIS_URL: relay.url });

    const back = await client(nodeB, 'ada');
    expect(failure(await back.request('room:join', { room: 'restarted' }), ErrorCode.FORBIDDEN).message).toMatch(
      /^you are banned from room restarted until \d{4}-\d\d-\d\dT/,
    );
    await back.ok('room:join', { room: 'hushed' });
    expect(failure(await back.request('message:send', { room: 'hushed', text: 'hello?' }), ErrorCode.FORBIDDEN).message).toBe(
      'you are muted in room hushed until an admin lifts it',
    );
  }, 90_000);

  it('a node whose Redis connection dropped applies what it missed once it reconnects', async () => {
    const adaOnB = await client(nodeB, 'ada');
    const cyOnB = await client(nodeB, 'cy');
    const bob = await client(nodeA, 'bob');
    for (const member of [bob, cyOnB, adaOnB]) await member.ok('room:join', { room: 'outage' });
    await request(nodeA.url).post('/rooms/outage/mutes').set(admin).send({ userId: 'cy' }).expect(201);
    await expect(cyOnB.waitFor('room:muted')).resolves.toEqual({ room: 'outage', reason: null, until: null });

    relay.cut();
    await eventually(async () => (await readyStatus(nodeB)) === 503, 'node b has lost Redis', RECOVERY_MS, 100);
    // Node a answers without node b, which is not subscribed to hear it.
    await within(request(nodeA.url).post('/rooms/outage/bans').set(admin).send({ userId: 'ada' }).expect(201), 'the ban during the outage');
    await within(request(nodeA.url).delete('/rooms/outage/mutes/cy').set(admin).expect(200), 'the unmute during the outage');
    // Node b has missed both: it still lets ada type there, and has told nobody anything.
    await adaOnB.ok('typing', { room: 'outage', typing: true });
    expect(adaOnB.events('room:banned')).toEqual([]);
    expect(cyOnB.events('room:unmuted')).toEqual([]);

    relay.restore();
    await expect(adaOnB.waitFor('room:banned', 1, RECOVERY_MS)).resolves.toEqual({ room: 'outage', reason: null, until: null });
    await expect(cyOnB.waitFor('room:unmuted', 1, RECOVERY_MS)).resolves.toEqual({ room: 'outage' });
    expect(failure(await adaOnB.request('message:send', { room: 'outage', text: 'missed it?' }), ErrorCode.FORBIDDEN).message).toBe(
      'you are banned from room outage until an admin lifts it',
    );
    await cyOnB.ok('message:send', { room: 'outage', text: 'unmuted' });
    await eventually(async () => (await readyStatus(nodeB)) === 200, 'node b is ready again', RECOVERY_MS, 100);
    const after = (await bob.ok<{ message: Message }>('message:send', { room: 'outage', text: 'after the outage' })).message;
    await expect(cyOnB.waitFor('message:new')).resolves.toEqual(after);
    await settle(adaOnB, cyOnB);
    // Out of the room since the reload: neither cy's message nor bob's reached ada.
    expect(adaOnB.events('message:new')).toEqual([]);
    expect(adaOnB.events('room:banned')).toHaveLength(1);
    expect(cyOnB.events('room:unmuted')).toHaveLength(1);
    expect(nodeB.logs(/could not reload moderation state/)).toEqual([]);
  }, 90_000);
});
