import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Message, RoomJoinResult } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAllAndSettle, connect, refusedConnect, type TestClient, within } from '../support/clients.js';
import { NGINX_BIN, nginxAvailable, type RunningNginx, startNginx } from './nginx.js';

/**
 * The compose load balancer's real configuration (deploy/nginx.conf) in front of two real
 * gateways: WebSockets are upgraded through it, the HTTP long-polling fallback works because
 * routing is sticky, and the same config without the sticky line breaks polling.
 * The gateways here do not share state (no Redis), so a request that reaches the wrong node fails.
 */
const CONFIG_PATH = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

describe('load balancer config (nginx in front of two gateways)', () => {
  const gateways: RunningApp[] = [];
  const balancers: RunningNginx[] = [];
  const clients: TestClient[] = [];
  let balancer: RunningNginx;

  beforeAll(async () => {
    if (!(await nginxAvailable())) throw new Error(`${NGINX_BIN} not found: scripts/test-container.sh fetches it, or set NGINX_BIN`);
    gateways.push(await startApp({ TRUST_PROXY: 'true' }), await startApp({ TRUST_PROXY: 'true' }));
    balancer = await startNginx(CONFIG_PATH, portsOf(gateways));
    balancers.push(balancer);
  }, 60_000);

  afterAll(async () => {
    await closeAllAndSettle(clients);
    for (const running of balancers) await running.stop();
    for (const gateway of gateways) await gateway.close();
  });

  function portsOf(apps: RunningApp[]): Record<string, number> {
    return Object.fromEntries(apps.map((app, index) => [`gateway-${index + 1}`, Number(new URL(app.url).port)]));
  }

  async function chat(url: string, transports: Array<'websocket' | 'polling'>, room: string): Promise<void> {
    const ada = await connect(url, `ada-${room}`, { transports });
    const bob = await connect(url, `bob-${room}`, { transports });
    clients.push(ada, bob);
    await ada.ok<RoomJoinResult>('room:join', { room });
    await bob.ok<RoomJoinResult>('room:join', { room });
    const { message } = await ada.ok<{ message: Message }>('message:send', { room, text: `over ${transports.join('+')}` });
    await expect(bob.waitFor('message:new')).resolves.toEqual(message);
  }

  it('upgrades WebSocket connections through to a gateway', async () => {
    await chat(balancer.url, ['websocket'], 'ws-only');
  });

  it('keeps an HTTP long-polling session on one gateway', async () => {
    await chat(balancer.url, ['polling'], 'polling-only');
  });

  it('upgrades a polling session to WebSocket, as browsers connect', async () => {
    const carol = await connect(balancer.url, 'carol', { transports: ['polling', 'websocket'] });
    clients.push(carol);
    const engine = carol.socket.io.engine;
    if (engine.transport.name !== 'websocket') {
      await within(new Promise((resolve) => engine.once('upgrade', resolve)), 'the upgrade to WebSocket');
    }
    expect(engine.transport.name).toBe('websocket');
    await carol.ok<RoomJoinResult>('room:join', { room: 'upgraded' });
  });

  it('breaks the polling fallback when the sticky line is removed (the check above can fail)', async () => {
    const roundRobin = await startNginx(CONFIG_PATH, portsOf(gateways), (conf) => conf.replace(/^\s*hash \$remote_addr consistent;$/m, ''));
    balancers.push(roundRobin);
    const error = await refusedConnect(roundRobin.url, { auth: { username: 'dave' }, transports: ['polling'] });
    expect(error).toBeInstanceOf(Error);
  });
});
