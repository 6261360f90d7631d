import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message } from '../../src/contract.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { type Cluster, startCluster } from '../support/cluster.js';
import { missingServices, reachable } from '../support/services.js';
import { eventually, WAIT_MS, within } from '../support/wait.js';

const missing = await missingServices();
const describeOutage = missing ? describe.skip : describe;
if (missing) process.stderr.write(`Redis outage tests skipped: ${missing}\n`);

/** A private redis-server for this file, so stopping it disturbs nobody else. */
class PrivateRedis {
  private process?: ChildProcess;
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) return;
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await eventually(async () => reachable('127.0.0.1', this.port), `redis-server on ${this.port} accepts connections`, WAIT_MS, 50);
  }

  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await within(exited, 'redis-server to exit');
  }
}

async function readyStatus(url: string): Promise<number> {
  return (await request(url).get('/health/ready')).status;
}

/** Outage and recovery take the nodes' reconnect and health intervals. */
const RECOVERY_MS = 15_000;

describeOutage('Redis outage and recovery', () => {
  const redis = new PrivateRedis(16_379 + Math.floor(Math.random() * 1000));
  let cluster: Cluster;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    await redis.start();
    cluster = await startCluster(2, { REDIS_URL: `redis://127.0.0.1:${redis.port}` });
  }, 60_000);

  afterAll(async () => {
    closeAll(clients);
    await redis.start().catch(() => undefined);
    await cluster?.stop();
    await redis.stop();
  }, 30_000);

  async function client(node: number, name: string): Promise<TestClient> {
    const c = await connect(cluster.nodes[node]!.url, name);
    clients.push(c);
    return c;
  }

  it('keeps same-node delivery, reports not ready, and recovers cross-node delivery and presence', async () => {
    const [nodeA, nodeB] = cluster.nodes;
    const ada = await client(0, 'r-ada');
    const cat = await client(0, 'r-cat');
    const bob = await client(1, 'r-bob');
    for (const c of [ada, cat, bob]) await c.ok('room:join', { room: 'r-room', historyLimit: 0 });

    await redis.stop();
    await eventually(async () => (await readyStatus(nodeA!.url)) === 503, 'node A reports not ready', RECOVERY_MS, 100);

    const during = await ada.ok<{ message: Message }>('message:send', { room: 'r-room', text: 'during the outage' });
    await expect(cat.waitFor('message:new')).resolves.toEqual(during.message);

    await redis.start();
    for (const node of [nodeA!, nodeB!])
      await eventually(async () => (await readyStatus(node.url)) === 200, `${node.url} is ready again`, RECOVERY_MS, 100);
    // Redis came back empty: each node re-registers its own sockets by itself.
    await eventually(
      async () => {
        const users = (await request(nodeB!.url).get('/users')).body as { users?: Array<{ id: string }> };
        return (
          (users.users ?? [])
            .map((u) => u.id)
            .sort()
            .join() === 'r-ada,r-bob,r-cat'
        );
      },
      'presence is rebuilt',
      RECOVERY_MS,
      100,
    );

    const after = await ada.ok<{ message: Message }>('message:send', { room: 'r-room', text: 'after recovery' });
    await expect(bob.waitFor('message:new')).resolves.toEqual(after.message);
    const resumed = await bob.ok<{ history: Message[] }>('room:join', { room: 'r-room', sinceSeq: 0 });
    expect(resumed.history.map((m) => m.text)).toEqual(['during the outage', 'after recovery']);

    for (const node of cluster.nodes) {
      expect(node.lines.filter((line) => /unhandled/i.test(line))).toEqual([]);
      expect(node.logs('chat gateway listening')).toHaveLength(1);
    }
  }, 60_000);
});
