import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ensureBuilt, ROOT } from '../support/dist.js';
import { POSTGRES_ADMIN_URL, REDIS_URL } from '../support/services.js';

/**
 * The PostgreSQL and Redis drivers are imported only when DATABASE_URL and REDIS_URL name them,
 * so the embedded default carries none of their code in its heap (docs/benchmarks.md). Checked
 * in a fresh process built from dist/, where Node's own module cache says what was loaded; the
 * test runner's module registry could not tell.
 */
const run = promisify(execFile);
const PROCESS_WAIT_MS = 60_000;
const dist = (file: string): string => pathToFileURL(join(ROOT, 'dist', file)).href;

interface Loaded {
  pg: boolean;
  ioredis: boolean;
}

/** Module source for the child: builds what `script` names, then reports the drivers in Node's cache. */
function probe(script: string): string {
  return `
    import { createRequire } from 'node:module';
    const { loadConfig } = await import(${JSON.stringify(dist('config/app-config.js'))});
    ${script}
    const cached = Object.keys(createRequire(import.meta.url).cache);
    const loaded = (pkg) => cached.some((file) => file.includes('/node_modules/' + pkg + '/'));
    process.stdout.write(JSON.stringify({ pg: loaded('pg'), ioredis: loaded('ioredis') }));
  `;
}

async function loadedBy(script: string): Promise<Loaded> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', probe(script)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH },
    timeout: PROCESS_WAIT_MS,
  });
  return JSON.parse(stdout) as Loaded;
}

describe('driver loading', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  it(
    'boots the whole app on SQLite without Redis and never imports pg or ioredis',
    async () => {
      const loaded = await loadedBy(`
      const { createApp } = await import(${JSON.stringify(dist('bootstrap.js'))});
      const app = await createApp(loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' }));
      await app.init();
      await app.close();
    `);
      expect(loaded).toEqual({ pg: false, ioredis: false });
    },
    PROCESS_WAIT_MS,
  );

  it(
    'imports each driver once the configuration names its service',
    async () => {
      const loaded = await loadedBy(`
      const config = loadConfig({ DATABASE_URL: ${JSON.stringify(POSTGRES_ADMIN_URL)}, REDIS_URL: ${JSON.stringify(REDIS_URL)}, LOG_LEVEL: 'silent' });
      const { createMessageStore } = await import(${JSON.stringify(dist('messages/message-store.factory.js'))});
      const { RedisConnections } = await import(${JSON.stringify(dist('redis/redis-connections.js'))});
      await createMessageStore(config);
      const redis = await RedisConnections.open(config);
      await redis.ready();
      await redis.onApplicationShutdown();
    `);
      expect(loaded).toEqual({ pg: true, ioredis: true });
    },
    PROCESS_WAIT_MS,
  );
});
