import { beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import request from 'supertest';
import { within } from '../support/clients.js';
import { ensureBuilt, MAIN_JS, ROOT } from '../support/dist.js';

/** Generous: a start loads the whole app, and other work may share the two cores. */
const PROCESS_WAIT_MS = 30_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a fresh deployment: no variable of this machine's shell leaks in. */
function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'info', ...env };
}

function start(env: Record<string, string>): { child: ChildProcess; exited: Promise<Exit>; output: () => string } {
  const child = spawn(process.execPath, [MAIN_JS], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, exited, output: () => stdout + stderr };
}

async function exitOf(env: Record<string, string>): Promise<Exit> {
  const { child, exited } = start(env);
  try {
    return await within(exited, 'the process to stop on bad configuration', PROCESS_WAIT_MS);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe('start-up configuration (spawns node dist/main.js)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  }, 200_000);

  it('stops with exit code 1 and names every bad variable', async () => {
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
  }, 2 * PROCESS_WAIT_MS);

  it('names a bad secret variable without printing its value', async () => {
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
  }, 2 * PROCESS_WAIT_MS);

  it('starts with a good configuration, serves /health and logs where it listens', async () => {
    const { child, exited, output } = start({ PORT: '0', HOST: '127.0.0.1', ADMIN_API_KEY: 'key-not-in-logs' });
    try {
      const url = await within(
        new Promise<string>((resolve, reject) => {
          const look = (): void => {
            const match = /"url":"(http:\/\/[^"]+)"/.exec(output());
            if (match) resolve(match[1]!.replace('[::1]', '127.0.0.1'));
          };
          child.stdout!.on('data', look);
          void exited.then((exit) => reject(new Error(`exited early with ${exit.code}: ${exit.stderr}`)));
        }),
        'the listening log line',
        PROCESS_WAIT_MS,
      );
      await request(url).get('/health').expect(200);
      expect(output()).not.toContain('key-not-in-logs');
    } finally {
      child.kill('SIGTERM');
      await within(exited, 'the process to stop on SIGTERM', PROCESS_WAIT_MS);
    }
  }, 3 * PROCESS_WAIT_MS);
});
