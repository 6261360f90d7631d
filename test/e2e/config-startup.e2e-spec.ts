import { beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ensureBuilt } from '../support/dist.js';
import { type ExitStatus, GatewayProcess } from '../support/gateway-process.js';

/** Generous: a start loads the whole app, and other work may share the two cores. */
const PROCESS_WAIT_MS = 30_000;

/** The environment of a fresh deployment: no variable of this machine's shell leaks in. */
const FRESH: Record<string, string> = { DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'info' };

async function exitOf(env: Record<string, string>): Promise<ExitStatus & { stdout: string; stderr: string }> {
  const server = GatewayProcess.spawn({ ...FRESH, ...env }, { baseEnv: 'bare' });
  try {
    const status = await server.exit(PROCESS_WAIT_MS);
    return { ...status, stdout: server.stdout, stderr: server.stderr };
  } finally {
    await server.kill();
  }
}

describe('start-up configuration (spawns node dist/main.js)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 200_000);

  it(
    'stops with exit code 1 and names every bad variable',
    async () => {
      const bad = {
        PORT: '99999',
        HOST: 'not a host!',
        MAX_MESSAGE_LENGTH: 'lots',
        HISTORY_LIMIT: '101',
        PRESENCE_BROADCAST: 'sometimes',
        LOG_LEVEL: 'chatty',
      };
      const exit = await exitOf(bad);
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain('Invalid configuration');
      // Each variable alone is covered by the loadConfig unit tests; here the real process names them all.
      const problems = exit.stderr.split('\n').filter((line) => line.startsWith('  - '));
      expect(problems.map((line) => line.split(' ')[3]).sort()).toEqual(Object.keys(bad).sort());
      for (const [name, value] of Object.entries(bad)) {
        expect(problems.find((line) => line.startsWith(`  - ${name} `))).toContain(`"${value}"`);
      }
      expect(exit.stdout).not.toContain('listening');
    },
    2 * PROCESS_WAIT_MS,
  );

  it(
    'names a bad secret variable without printing its value',
    async () => {
      const exit = await exitOf({
        PORT: '0',
        ADMIN_API_KEY: 'admin-key-do-not-print',
        DATABASE_URL: 'mysql://chat:db-pass-do-not-print@db/chat',
        PRESENCE_BROADCAST: 'nope',
      });
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(/^ {2}- DATABASE_URL /m);
      expect(exit.stderr).toMatch(/^ {2}- PRESENCE_BROADCAST /m);
      expect(exit.stdout + exit.stderr).not.toContain('do-not-print');
    },
    2 * PROCESS_WAIT_MS,
  );

  it(
    'starts with a good configuration, serves /health and logs where it listens',
    async () => {
      const server = await GatewayProcess.start(
        { ...FRESH, PORT: '0', HOST: '127.0.0.1', ADMIN_API_KEY: 'key-not-in-logs' },
        { baseEnv: 'bare', readyTimeoutMs: PROCESS_WAIT_MS },
      );
      try {
        expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        await request(server.url).get('/health').expect(200);
        expect(server.lines.join('\n')).not.toContain('key-not-in-logs');
      } finally {
        await server.stop(PROCESS_WAIT_MS);
      }
    },
    3 * PROCESS_WAIT_MS,
  );
});
