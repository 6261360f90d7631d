import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Message, RoomJoinResult } from '../../src/contract.js';
import { closeAll, connect, type TestClient, within } from '../support/clients.js';
import { type ContainerStores, containerStores } from './container-stores.js';
import { freePort } from '../support/gateway-process.js';
import { eventually } from '../support/wait.js';
import { buildArgs, podman, podmanAvailable, podmanLogged, podmanOk } from './podman.js';

/**
 * Builds the real Dockerfile with podman, runs the image on the host network and checks what an
 * orchestrator relies on: the health check, a working chat, the non-root user, a slim runtime
 * stage, and a clean exit 0 on SIGTERM within the grace period.
 * Run with `npm run test:container` (it is not part of `npm test`).
 */
const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));
const IMAGE = 'localhost/chat-gateway:test';
const SHUTDOWN_GRACE_MS = 5000;
/** Time podman needs to notice the exit and report it, on top of the app's own grace period. */
const EXIT_MARGIN_MS = 3000;
const BUILD_TIMEOUT_MS = 20 * 60_000;
const BUILD_LOG = join(REPO_DIR, '.test-results', 'container-build.log');

/** Top-level packages the lockfile marks as needed for development only. */
function devOnlyPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO_DIR, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => entry.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
    .map(([path]) => path);
}

describe('gateway container image (podman)', () => {
  const name = `chat-gateway-test-${randomBytes(4).toString('hex')}`;
  const probe = `${name}-probe`;
  const clients: TestClient[] = [];
  let stores: ContainerStores;
  let url: string;

  beforeAll(async () => {
    if (!(await podmanAvailable())) throw new Error('podman is not installed: run .ci/container-check, which installs it');
    mkdirSync(join(REPO_DIR, '.test-results'), { recursive: true });
    await podmanLogged(buildArgs(IMAGE, REPO_DIR), BUILD_LOG, BUILD_TIMEOUT_MS);
    stores = await containerStores();
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_ID: name,
      SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS),
      ...stores.env,
    };
    const envArgs = Object.entries(env).flatMap(([key, value]) => ['-e', `${key}=${value}`]);
    await podmanOk(['run', '-d', '--name', name, '--network', 'host', ...envArgs, IMAGE]);
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    closeAll(clients);
    await podman(['rm', '-f', '--ignore', '-t', '0', name, probe]);
    await stores?.drop();
  }, 60_000);

  it('declares a health check against /health that turns healthy', async () => {
    const check = await podmanOk(['image', 'inspect', IMAGE, '--format', '{{json .Config.Healthcheck.Test}}']);
    expect(JSON.parse(check).join(' ')).toContain('/health');
    await eventually(async () => (await podman(['healthcheck', 'run', name])).code === 0, 'the container health check passes', 60_000, 250);
    const status = await podmanOk(['inspect', name, '--format', '{{.State.Health.Status}}']);
    expect(status).toBe('healthy');
  }, 90_000);

  it('reports unhealthy when nothing serves /health', async () => {
    const idlePort = await freePort();
    await podmanOk([
      'run',
      '-d',
      '--name',
      probe,
      '--network',
      'host',
      '-e',
      `PORT=${idlePort}`,
      IMAGE,
      'node',
      '-e',
      'setInterval(() => {}, 1000)',
    ]);
    const result = await podman(['healthcheck', 'run', probe], 30_000);
    expect(result.code).not.toBe(0);
    await podmanOk(['rm', '-f', '-t', '0', probe]);
  }, 60_000);

  it('runs node as PID 1 under the non-root node user, with a slim runtime stage', async () => {
    await expect(podmanOk(['exec', name, 'id', '-un'])).resolves.toBe('node');
    await expect(podmanOk(['exec', name, 'sh', '-c', 'tr "\\0" " " < /proc/1/cmdline'])).resolves.toBe('node dist/main.js');
    await expect(podmanOk(['exec', name, 'stat', '-c', '%U', '/app/data'])).resolves.toBe('node');
    const buildTools = await podmanOk([
      'exec',
      name,
      'sh',
      '-c',
      'for p in src /usr/bin/g++ /usr/bin/make; do [ -e "$p" ] && echo "$p"; done; true',
    ]);
    expect(buildTools).toBe('');
    const devOnly = devOnlyPackages();
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/jest', 'node_modules/ts-jest', 'node_modules/playwright-core']));
    const present = await podmanOk([
      'exec',
      name,
      'node',
      '-e',
      'for (const p of JSON.parse(process.argv[1])) if (require("fs").existsSync(p)) console.log(p)',
      JSON.stringify(devOnly),
    ]);
    expect(present).toBe('');
    // The native addon was built for this image's Node and libc.
    const sqlite = await podmanOk([
      'exec',
      name,
      'node',
      '-e',
      'const D = require("better-sqlite3"); console.log(new D(":memory:").prepare("select 41 + 1 as n").get().n)',
    ]);
    expect(sqlite).toBe('42');
  }, 60_000);

  it('serves the demo page and the socket.io client', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/socket.io/socket.io.js');
    const client = await fetch(`${url}/socket.io/socket.io.js`);
    expect(client.status).toBe(200);
  });

  it('carries a room message between two socket.io clients', async () => {
    const ada = await connect(url, 'ada');
    const bob = await connect(url, 'bob');
    clients.push(ada, bob);
    await ada.ok<RoomJoinResult>('room:join', { room: 'lobby' });
    await bob.ok<RoomJoinResult>('room:join', { room: 'lobby' });
    const { message } = await ada.ok<{ message: Message }>('message:send', { room: 'lobby', text: 'hello from a container' });
    await expect(bob.waitFor('message:new')).resolves.toEqual(message);
    await bob.barrier();
    expect(bob.events('message:new')).toHaveLength(1);
  });

  it('exits 0 on SIGTERM within the shutdown grace period and disconnects its clients', async () => {
    expect(clients.length).toBeGreaterThan(0);
    const disconnected = Promise.all(
      clients.map((client) => new Promise<void>((resolve) => client.socket.once('disconnect', () => resolve()))),
    );
    const started = Date.now();
    await podmanOk(['kill', '--signal', 'TERM', name]);
    const exitCode = await podmanOk(['wait', name], SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS);
    const elapsedMs = Date.now() - started;
    await within(disconnected, 'clients to see the server go away', 1000);
    expect(exitCode).toBe('0');
    expect(elapsedMs).toBeLessThan(SHUTDOWN_GRACE_MS + EXIT_MARGIN_MS);
    const logs = await podman(['logs', name]);
    expect(logs.stdout + logs.stderr).not.toMatch(/"level":(50|60)/);
  }, 30_000);
});
