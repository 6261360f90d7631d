import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Announcement, DirectMessage, Message } from '../../src/contract.js';
import { closeAll, connect, type TestClient, within } from '../support/clients.js';
import { CLUSTER_ADMIN_KEY, type Cluster, startCluster } from '../support/cluster.js';
import { missingServices } from '../support/services.js';

const missing = await missingServices();
const describeCluster = missing ? describe.skip : describe;
if (missing) process.stderr.write(`cluster delivery tests skipped: ${missing}\n`);

describeCluster('cluster of three gateway nodes on Redis and PostgreSQL', () => {
  let cluster: Cluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster(3);
  }, 60_000);

  afterAll(async () => {
    closeAll(clients);
    await cluster?.stop();
  }, 30_000);

  function url(node: number): string {
    return cluster.nodes[node]!.url;
  }

  async function client(node: number, name: string, auth?: Record<string, unknown>): Promise<TestClient> {
    const c = await connect(url(node), name, auth ? { auth } : {});
    clients.push(c);
    return c;
  }

  it('delivers room messages across nodes exactly once, with one gap-free seq', async () => {
    const ada = await client(0, 'x-ada');
    const bob = await client(1, 'x-bob');
    const cat = await client(2, 'x-cat');
    for (const c of [ada, bob, cat]) await c.ok('room:join', { room: 'x-lobby' });
    const sent = await Promise.all([
      ada.ok<{ message: Message }>('message:send', { room: 'x-lobby', text: 'from a' }),
      bob.ok<{ message: Message }>('message:send', { room: 'x-lobby', text: 'from b' }),
      cat.ok<{ message: Message }>('message:send', { room: 'x-lobby', text: 'from c' }),
    ]);
    expect(sent.map((s) => s.message.seq).sort()).toEqual([1, 2, 3]);
    // Each receives the two messages of the others; a final marker proves nothing else is in flight.
    const marker = await ada.ok<{ message: Message }>('message:send', { room: 'x-lobby', text: 'marker' });
    await bob.waitFor('message:new', 3);
    await cat.waitFor('message:new', 3);
    const textsOf = (c: TestClient): string[] =>
      c
        .events('message:new')
        .map((m) => m.text)
        .sort();
    expect(textsOf(bob)).toEqual(['from a', 'from c', 'marker']);
    expect(textsOf(cat)).toEqual(['from a', 'from b', 'marker']);
    await ada.barrier();
    expect(textsOf(ada)).toEqual(['from b', 'from c']);
    expect(marker.message.seq).toBe(4);
  });

  it('keeps seq gap-free while three nodes write into one room concurrently', async () => {
    const writers = await Promise.all([client(0, 'x-w0'), client(1, 'x-w1'), client(2, 'x-w2')]);
    for (const w of writers) await w.ok('room:join', { room: 'x-busy', historyLimit: 0 });
    const acks = await Promise.all(
      writers.flatMap((w, i) =>
        Array.from({ length: 40 }, (_, n) => w.ok<{ message: Message }>('message:send', { room: 'x-busy', text: `${i}-${n}` })),
      ),
    );
    const seqs = acks.map((a) => a.message.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    const res = await request(url(2)).get('/rooms/x-busy').expect(200);
    expect(res.body.lastSeq).toBe(120);
  });

  it('delivers a direct message to every socket of the recipient and the sender on any node', async () => {
    const danA = await client(0, 'x-dan');
    const danB = await client(1, 'x-dan');
    const eveC = await client(2, 'x-eve');
    const eveA = await client(0, 'x-eve');
    const { message, delivered } = await eveC.ok<{ message: DirectMessage; delivered: boolean }>('message:direct', {
      to: 'x-dan',
      text: 'psst',
    });
    expect(delivered).toBe(true);
    await expect(danA.waitFor('message:direct')).resolves.toEqual(message);
    await expect(danB.waitFor('message:direct')).resolves.toEqual(message);
    await expect(eveA.waitFor('message:direct')).resolves.toEqual(message);
    await Promise.all([danA, danB, eveA, eveC].map((c) => c.barrier()));
    for (const c of [danA, danB, eveA]) expect(c.events('message:direct')).toHaveLength(1);
    expect(eveC.events('message:direct')).toHaveLength(0);
    const history = await danB.ok<{ messages: DirectMessage[] }>('direct:history', { with: 'x-eve' });
    expect(history.messages.map((m) => m.id)).toEqual([message.id]);
  });

  it('announces to every socket on every node, the admin sender included', async () => {
    const admin = await client(1, 'x-admin', { username: 'x-admin', adminKey: CLUSTER_ADMIN_KEY });
    const others = [await client(0, 'x-l1'), await client(2, 'x-l2')];
    const { announcement } = await admin.ok<{ announcement: Announcement }>('announce', { text: 'maintenance at noon' });
    for (const c of [admin, ...others]) await expect(c.waitFor('announcement')).resolves.toEqual(announcement);
    const rest = await request(url(2)).post('/announcements').set('X-Api-Key', CLUSTER_ADMIN_KEY).send({ text: 'via REST' }).expect(201);
    for (const c of [admin, ...others]) await expect(c.waitFor('announcement', 2)).resolves.toEqual(rest.body.announcement);
  });

  it('relays typing across nodes to the other members only', async () => {
    const typer = await client(0, 'x-typer');
    const typerTab = await client(1, 'x-typer');
    const reader = await client(2, 'x-reader');
    for (const c of [typer, typerTab, reader]) await c.ok('room:join', { room: 'x-typing' });
    await typer.ok('typing', { room: 'x-typing', typing: true });
    await expect(reader.waitFor('typing')).resolves.toEqual({ room: 'x-typing', user: { id: 'x-typer', name: 'x-typer' }, typing: true });
    // A message after the typing event travels the same path; once it is in, typing has arrived too.
    await typer.ok('message:send', { room: 'x-typing', text: 'done typing' });
    await typerTab.waitFor('message:new');
    expect(typerTab.events('typing')).toHaveLength(0);
  });

  it('sends presence and membership per user when one user has tabs on two nodes', async () => {
    const watcher = await client(2, 'x-watcher');
    await watcher.ok('room:join', { room: 'x-tabs' });
    const tab1 = await client(0, 'x-tabbed');
    await watcher.waitFor('presence:online');
    const tab2 = await client(1, 'x-tabbed');
    await tab1.ok('room:join', { room: 'x-tabs' });
    await watcher.waitFor('room:member-joined');
    await tab2.ok('room:join', { room: 'x-tabs' });
    await tab1.ok('room:leave', { room: 'x-tabs' });
    tab2.close();
    await watcher.waitFor('room:member-left');
    tab1.close();
    await watcher.waitFor('presence:offline');
    // A later user's arrival is the marker: anything due before it has been delivered.
    await client(0, 'x-marker');
    await watcher.waitFor('presence:online', 2);
    const about = (event: 'presence:online' | 'presence:offline' | 'room:member-joined' | 'room:member-left'): number =>
      watcher.events(event).filter((e) => e.user.id === 'x-tabbed').length;
    expect([about('presence:online'), about('room:member-joined'), about('room:member-left'), about('presence:offline')]).toEqual([
      1, 1, 1, 1,
    ]);
  });

  it('answers REST lookups the same on every node', async () => {
    const a = await client(0, 'x-look-a');
    const b = await client(1, 'x-look-b');
    await a.ok('room:join', { room: 'x-look' });
    await b.ok('room:join', { room: 'x-look' });
    for (const path of ['/rooms', '/users', '/rooms/x-look', '/users/x-look-a', '/rooms/x-look/messages']) {
      const bodies = await Promise.all([0, 1, 2].map(async (n) => (await request(url(n)).get(path).expect(200)).body));
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[2]).toEqual(bodies[0]);
    }
    const users = (await request(url(2)).get('/users/x-look-b').expect(200)).body;
    expect(users).toEqual({ id: 'x-look-b', name: 'x-look-b', connections: 1, rooms: ['x-look'] });
  });

  it('kicks a user everywhere through the admin REST API of a third node', async () => {
    const onA = await client(0, 'x-kicked');
    const onB = await client(1, 'x-kicked');
    const closed = [onA, onB].map((c) =>
      within(new Promise<string>((resolve) => c.socket.once('disconnect', resolve)), `${c.label} to be disconnected`),
    );
    const res = await request(url(2)).delete('/users/x-kicked/connections').set('X-Api-Key', CLUSTER_ADMIN_KEY).expect(200);
    expect(res.body).toEqual({ disconnected: 2 });
    await expect(Promise.all(closed)).resolves.toEqual(['io server disconnect', 'io server disconnect']);
  });
});
