import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { DrainingEvent } from '../../src/contract.js';
import { connect, refusedConnect, within } from '../support/clients.js';
import { type Cluster, startCluster } from '../support/cluster.js';
import { missingServices } from '../support/services.js';

const missing = await missingServices();
const describeDrain = missing ? describe.skip : describe;
if (missing) process.stderr.write(`drain tests skipped: ${missing}\n`);

const GRACE_MS = 3000;

describeDrain('graceful drain on SIGTERM', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(1, { SHUTDOWN_GRACE_MS: String(GRACE_MS) });
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  it('turns unready at once, spreads reconnects, refuses newcomers, closes stragglers after the grace and exits 0', async () => {
    const leaver = await cluster.addNode('drain-leaver');
    const node = cluster.nodes[0]!;
    const clients = await Promise.all(['d-a', 'd-b', 'd-c', 'd-d'].map((name) => connect(node.url, name)));
    const moving = await connect(leaver.url, 'd-moving');
    await request(node.url).get('/health/ready').expect(200);

    const startedAt = Date.now();
    node.signal('SIGTERM');
    const notices = await Promise.all(clients.map((c) => c.waitFor('server:draining')));
    const delays = notices.map((n: DrainingEvent) => n.reconnectAfterMs);
    for (const delay of delays) expect(delay).toBeGreaterThan(0);
    expect(new Set(delays).size).toBeGreaterThan(1);
    await request(node.url).get('/health/ready').expect(503);

    const refused = await refusedConnect(node.url, { auth: { username: 'd-late' } });
    expect(refused.message).toBe('UNAVAILABLE');

    // One client follows the advice and leaves; the others stay until the server closes them.
    clients[0]!.close();
    const closedByServer = clients
      .slice(1)
      .map((c) =>
        within(new Promise<string>((resolve) => c.socket.once('disconnect', resolve)), `${c.label} to be closed`, GRACE_MS + 3000),
      );
    await expect(Promise.all(closedByServer)).resolves.toEqual(['io server disconnect', 'io server disconnect', 'io server disconnect']);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(GRACE_MS - 200);
    await expect(within(node.exited, 'the drained node to exit', GRACE_MS + 5000)).resolves.toEqual({ code: 0, signal: null });
    expect(node.logs('drained')).toHaveLength(1);

    // The other node was not touched by the drain.
    await expect(moving.ok('room:join', { room: 'd-room' })).resolves.toMatchObject({ room: 'd-room' });
    moving.close();
    leaver.signal('SIGTERM');
    await expect(within(leaver.exited, 'an idle node to exit', GRACE_MS + 5000)).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);
});
