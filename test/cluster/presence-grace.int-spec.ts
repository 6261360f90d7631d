import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { type Cluster, startCluster } from '../support/cluster.js';
import { missingServices } from '../support/services.js';
import { eventually, within } from '../support/wait.js';

const missing = await missingServices();
const describeCluster = missing ? describe.skip : describe;
if (missing) process.stderr.write(`cluster presence grace tests skipped: ${missing}\n`);

const GRACE_MS = 1000;

function presence(observer: TestClient): string[] {
  return observer.received
    .filter(({ event }) => event.startsWith('presence:'))
    .map(({ event, payload }) => `${event.slice('presence:'.length)} ${(payload as { user: { id: string } }).user.id}`);
}

async function departed(url: string, id: string): Promise<void> {
  await eventually(async () => (await request(url).get(`/users/${id}`)).status === 404, `${id} to have no connection`);
}

describeCluster('presence grace and paged users on a cluster of two nodes', () => {
  let cluster: Cluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster(2, { PRESENCE_GRACE_MS: String(GRACE_MS) });
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

  it('keeps a user online whose reconnect lands on the other node within the grace', async () => {
    const watcher = await client(1, 'g-watcher');
    const sentinel = await client(0, 'g-sentinel');
    const ada = await client(0, 'g-ada');
    await watcher.waitFor('presence:online', 2);
    ada.close();
    await departed(cluster.nodes[1]!.url, 'g-ada');
    await client(1, 'g-ada');
    // The sentinel leaves the first node after ada did: its offline comes after ada's grace ran out there.
    sentinel.close();
    await watcher.waitFor('presence:offline', 1, GRACE_MS + 10_000);
    await watcher.barrier();
    expect(presence(watcher)).toEqual(['online g-sentinel', 'online g-ada', 'offline g-sentinel']);
    const back = (await request(cluster.nodes[0]!.url).get('/users/g-ada').expect(200)).body;
    expect(back).toEqual({ id: 'g-ada', name: 'g-ada', connections: 1, rooms: [] });
  }, 30_000);

  it('pages 250 users connected to both nodes from either node, each exactly once in id order', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `g-page-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(ids.slice(i, i + 25).map((id, j) => client((i + j) % 2, id)));
    }
    for (const node of cluster.nodes) {
      const seen: string[] = [];
      const nexts: Array<string | null> = [];
      let after: string | null = 'g-page-';
      while (after !== null && nexts.length < 10) {
        const page = (await request(node.url).get('/users').query({ after, limit: 100 }).expect(200)).body as {
          users: Array<{ id: string; connections: number }>;
          next: string | null;
        };
        seen.push(...page.users.filter((user) => user.id.startsWith('g-page-')).map((user) => user.id));
        nexts.push(page.next);
        after = page.next;
      }
      expect(seen).toEqual(ids);
      expect(nexts).toEqual(['g-page-099', 'g-page-199', null]);
    }
  }, 60_000);
});

describeCluster('presence grace when the owing node stops during the grace', () => {
  let cluster: Cluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    // A grace far longer than the test: only the sweep of the stopped node can announce the offline.
    cluster = await startCluster(2, { PRESENCE_GRACE_MS: '120000' });
  }, 60_000);

  afterAll(async () => {
    closeAll(clients);
    await cluster?.stop();
  }, 30_000);

  it('drains and exits without waiting for its grace timers; the other node announces the offline once', async () => {
    const [stopping, surviving] = cluster.nodes;
    const watcher = await connect(surviving!.url, 'h-watcher');
    clients.push(watcher);
    const ada = await connect(stopping!.url, 'h-ada');
    await watcher.waitFor('presence:online');
    ada.close();
    await departed(surviving!.url, 'h-ada');
    stopping!.signal('SIGTERM');
    await expect(within(stopping!.exited, 'the stopping node to exit', 15_000)).resolves.toEqual({ code: 0, signal: null });
    await expect(watcher.waitFor('presence:offline', 1, 30_000)).resolves.toEqual({ user: { id: 'h-ada', name: 'h-ada' } });
    // The sweep logs after announcing what it removed: past that line, the watcher has it all.
    await eventually(() => surviving!.logs(/removed the sockets and pending offlines/).length > 0, 'the sweep log line is written');
    await watcher.barrier();
    expect(presence(watcher)).toEqual(['online h-ada', 'offline h-ada']);
  }, 60_000);
});
