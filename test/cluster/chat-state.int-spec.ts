import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message, MessageSendResult, RoomJoinResult, RoomReadResult, RoomsListResult } from '../../src/contract.js';
import { closeAll, connect, type TestClient, within } from '../support/clients.js';
import { CLUSTER_ADMIN_KEY, type Cluster, startCluster } from '../support/cluster.js';
import { missingServices } from '../support/services.js';
import { eventually, roomHistory } from '../support/suite.js';

const missing = await missingServices();
const describeCluster = missing ? describe.skip : describe;
if (missing) process.stderr.write(`cluster chat-state tests skipped: ${missing}\n`);

interface Changed {
  message: Message;
}

/** What a client knows of a room: the newest version of each message it saw, by seq. */
class RoomReplica {
  readonly bySeq = new Map<number, Message>();
  highestRev = 0;

  apply(message: Message): void {
    const known = this.bySeq.get(message.seq);
    if (!known || known.rev < message.rev) this.bySeq.set(message.seq, message);
    this.highestRev = Math.max(this.highestRev, message.rev);
  }

  follow(client: TestClient): void {
    client.socket.on('message:new', (message) => this.apply(message));
    client.socket.on('message:updated', (message) => this.apply(message));
  }

  messages(): Message[] {
    return [...this.bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
}

describeCluster('chat state across nodes', () => {
  let cluster: Cluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster(2);
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

  /** Every change a writer made, as its acks returned them: the revs it was given. */
  async function sendEditDelete(writer: TestClient, room: string, tag: string, acks: Message[]): Promise<void> {
    const sent: Message[] = [];
    for (let i = 0; i < 8; i += 1) {
      const { message } = await writer.ok<MessageSendResult>('message:send', { room, text: `${tag} ${i}` });
      sent.push(message);
      acks.push(message);
    }
    for (const message of sent.slice(0, 4)) {
      acks.push((await writer.ok<Changed>('message:edit', { room, seq: message.seq, text: `${tag} edited ${message.seq}` })).message);
    }
    for (const message of sent.slice(2, 5)) {
      acks.push((await writer.ok<Changed>('message:delete', { room, seq: message.seq })).message);
    }
  }

  it('keeps rev gap-free with both nodes writing, and a client resumes by rev on the other node after its node dies', async () => {
    const room = 'cs-rev';
    const writerA = await client(0, 'cs-writer-a');
    const writerB = await client(1, 'cs-writer-b');
    const reader = await client(0, 'cs-reader');
    for (const c of [writerA, writerB, reader]) await c.ok('room:join', { room, historyLimit: 0 });
    const replica = new RoomReplica();
    replica.follow(reader);

    const acks: Message[] = [];
    await Promise.all([sendEditDelete(writerA, room, 'a', acks), sendEditDelete(writerB, room, 'b', acks)]);
    // Everything so far reached the reader live (socket.io keeps order per connection).
    await reader.barrier();
    await writerB.barrier();
    const seenBeforeCrash = replica.highestRev;
    expect(seenBeforeCrash).toBe(Math.max(...acks.map((m) => m.rev)));

    cluster.nodes[0]!.signal('SIGKILL');
    await within(new Promise((resolve) => reader.socket.once('disconnect', resolve)), 'the reader to notice its node died');

    // While the reader is away: new messages, edits and deletions on the surviving node, one of
    // them an admin deletion of the dead node's writer's message.
    await sendEditDelete(writerB, room, 'b2', acks);
    const victim = acks.find((m) => m.from.id === 'cs-writer-a' && m.deletedAt === undefined && m.text.startsWith('a 7'))!;
    const adminDelete = await request(cluster.nodes[1]!.url)
      .delete(`/rooms/${room}/messages/${victim.seq}`)
      .set('X-Api-Key', CLUSTER_ADMIN_KEY)
      .expect(200);
    acks.push((adminDelete.body as Changed).message);

    const revs = acks.map((m) => m.rev).sort((a, b) => a - b);
    expect(revs).toEqual(revs.map((_, i) => i + 1));

    const resumed = await client(1, 'cs-reader');
    replica.follow(resumed);
    const join = await resumed.ok<RoomJoinResult>('room:join', { room, sinceRev: seenBeforeCrash });
    expect(join.hasMore).toBeUndefined();
    expect(join.rev).toBe(revs.length);
    for (const message of join.history) replica.apply(message);

    const server = await roomHistory(cluster.nodes[1]!.url, room);
    // The resume is every message changed since the rev the reader had, each once, in rev order.
    const changedSince = server.filter((m) => m.rev > seenBeforeCrash).sort((a, b) => a.rev - b.rev);
    expect(join.history).toEqual(changedSince);
    expect(replica.messages()).toEqual(server);
    expect(server.map((m) => m.seq)).toEqual(server.map((_, i) => i + 1));
    expect(server.find((m) => m.seq === victim.seq)).toMatchObject({ text: '', deletedAt: expect.any(String) });
  }, 90_000);

  it('sends read markers and forgets to the user on every node, and to nobody else', async () => {
    // The first test killed node a: start another in its place.
    const nodeC = cluster.nodes.length > 2 ? cluster.nodes[2]! : await cluster.addNode('node-c');
    const room = 'cs-sync';
    const tabOnB = await client(1, 'cs-multi');
    const tabOnC = await connect(nodeC.url, 'cs-multi');
    clients.push(tabOnC);
    const other = await client(1, 'cs-other');
    for (const c of [tabOnB, tabOnC, other]) await c.ok('room:join', { room, historyLimit: 0 });
    for (let i = 0; i < 3; i += 1) await other.ok('message:send', { room, text: `m${i}` });

    const read = await tabOnB.ok<RoomReadResult>('room:read', { room, seq: 2 });
    expect(read).toEqual({ room, readSeq: 2, unread: 1 });
    expect(await tabOnC.waitFor('room:read')).toEqual({ room, readSeq: 2, unread: 1 });
    // The node that took the read holds the marker up to one write window (1 s) before storing
    // it; another node's rooms:list shows it once stored, never a value past it.
    let listed: RoomsListResult['rooms'][number] | undefined;
    await eventually(
      async () => {
        listed = (await tabOnC.ok<RoomsListResult>('rooms:list', {})).rooms.find((r) => r.room === room);
        expect(listed?.readSeq === 0 || listed?.readSeq === 2).toBe(true);
        return listed?.readSeq === 2;
      },
      'the marker to be stored and listed on the other node',
      3_000,
      100,
    );
    expect(listed).toMatchObject({ readSeq: 2, unread: 1, lastSeq: 3 });

    await tabOnB.ok('room:forget', { room });
    expect(await other.waitFor('room:member-left')).toEqual({ room, user: { id: 'cs-multi', name: 'cs-multi' } });
    await other.ok('message:send', { room, text: 'after the forget' });
    for (const c of [tabOnB, tabOnC, other]) await c.barrier();
    // The tab on the other node left the room too: it got the three messages and nothing after.
    expect(tabOnC.events('message:new').map((m) => m.text)).toEqual(['m0', 'm1', 'm2']);
    expect(tabOnB.events('message:new').map((m) => m.text)).toEqual(['m0', 'm1', 'm2']);
    expect((await tabOnC.ok<RoomsListResult>('rooms:list', {})).rooms.map((r) => r.room)).not.toContain(room);
    // Exactly one marker event, to the other tab only; one member-left, to the other user only.
    expect(tabOnC.events('room:read')).toHaveLength(1);
    expect(tabOnB.events('room:read')).toHaveLength(0);
    expect(other.events('room:read')).toHaveLength(0);
    expect(other.events('room:member-left')).toHaveLength(1);
    expect(tabOnB.events('room:member-left')).toHaveLength(0);
    expect(tabOnC.events('room:member-left')).toHaveLength(0);
  }, 60_000);
});
