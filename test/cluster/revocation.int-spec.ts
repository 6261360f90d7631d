import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { ConnectErrorData, UserDisconnectResult } from '../../src/contract.js';
import { HS_SECRET, sign } from '../security/support/tokens.js';
import { ErrorCode, failure } from '../support/acks.js';
import { closeAll, connect, refusedConnect, type TestClient } from '../support/clients.js';
import { type Cluster, CLUSTER_ADMIN_KEY, startCluster } from '../support/cluster.js';
import type { GatewayProcess } from '../support/gateway-process.js';
import { missingServices } from '../support/services.js';
import { eventually } from '../support/wait.js';

const missing = await missingServices();
const describeCluster = missing ? describe.skip : describe;
if (missing) process.stderr.write(`revocation cluster tests skipped: ${missing}\n`);

const admin = { 'X-Api-Key': CLUSTER_ADMIN_KEY };

function token(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
  return sign({ sub, ...claims }, HS_SECRET);
}

async function expectRevoked(node: GatewayProcess, tokenValue: string): Promise<void> {
  const error = await refusedConnect(node.url, { auth: { token: tokenValue } });
  expect(error.message).toBe(ErrorCode.UNAUTHORIZED);
  expect((error.data as ConnectErrorData).message).toMatch(/^tokens issued up to .* were revoked: present a newer token$/);
}

/** The first whole second after the revocation: a token issued then is newer. */
function secondAfter(result: UserDisconnectResult): number {
  return Math.floor(Date.parse(result.revocation!.revokedAt) / 1000) + 1;
}

describeCluster('session revocation across gateway processes on PostgreSQL and Redis', () => {
  let cluster: Cluster;
  let nodeA: GatewayProcess;
  let nodeB: GatewayProcess;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    cluster = await startCluster(2, { JWT_SECRET: HS_SECRET });
    [nodeA, nodeB] = cluster.nodes as [GatewayProcess, GatewayProcess];
  }, 90_000);

  afterAll(async () => {
    closeAll(clients);
    await cluster?.stop();
  }, 30_000);

  async function client(node: GatewayProcess, name: string, tokenValue: string): Promise<TestClient> {
    const connected = await connect(node.url, name, { auth: { token: tokenValue } });
    clients.push(connected);
    return connected;
  }

  it("a revocation made through node a's REST refuses the old token on node b as soon as a has answered", async () => {
    const old = await token('mallory');
    const onA = await client(nodeA, 'mallory', old);
    const onB = await client(nodeB, 'mallory', old);
    const bob = await client(nodeB, 'bob', await token('bob'));

    const answer = await request(nodeA.url).delete('/users/mallory/connections?revoke=true').set(admin).expect(200);
    const result = answer.body as UserDisconnectResult;
    expect(result).toEqual({ disconnected: 2, revocation: { userId: 'mallory', revokedAt: expect.any(String), blockedUntil: null } });
    // No waiting: node b refuses the handshake and REST with the old token right away.
    await expectRevoked(nodeB, old);
    await request(nodeB.url).get('/rooms').set('Authorization', `Bearer ${old}`).expect(401);
    for (const tab of [onA, onB]) await eventually(() => !tab.socket.connected, `${tab.label} was disconnected`);
    expect(bob.socket.connected).toBe(true);

    const newer = await token('mallory', { iat: secondAfter(result) });
    const back = await client(nodeB, 'mallory', newer);
    failure(await back.request('auth:refresh', { token: old }), ErrorCode.UNAUTHORIZED);
    await request(nodeA.url).get('/rooms').set('Authorization', `Bearer ${newer}`).expect(200);
  }, 60_000);

  it('a node restarted while a revocation was made elsewhere refuses the old token once it is back', async () => {
    const old = await token('trudy');
    await client(nodeB, 'trudy', old);
    await nodeB.kill();
    cluster.nodes.splice(cluster.nodes.indexOf(nodeB), 1);

    const result = (await request(nodeA.url).delete('/users/trudy/connections?revoke=true').set(admin).expect(200))
      .body as UserDisconnectResult;
    nodeB = await cluster.addNode('node-b');

    await expectRevoked(nodeB, old);
    await client(nodeB, 'trudy', await token('trudy', { iat: secondAfter(result) }));
  }, 90_000);
});
