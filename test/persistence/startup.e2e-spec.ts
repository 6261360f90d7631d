import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { LATEST_SCHEMA_VERSION } from '../../src/database/migrations.js';
import { ensureBuilt } from '../support/dist.js';
import { freePort, GatewayProcess } from '../support/gateway-process.js';

const SECRET = 'pa55-w0rd-never-printed';
const STACK_LINE = /^\s+at /m;

describe('start-up with DATABASE_URL (real process)', () => {
  let dir: string;
  const running: GatewayProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chat-startup-'));
    await ensureBuilt();
  }, 120_000);
  afterEach(async () => {
    for (const server of running.splice(0)) await server.stop();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function failedStart(databaseUrl: string): Promise<string> {
    const server = GatewayProcess.spawn({ DATABASE_URL: databaseUrl }, { cwd: dir });
    expect(await server.exit()).toEqual({ code: 1, signal: null });
    expect(server.stderr + server.stdout).not.toMatch(STACK_LINE);
    expect(server.stderr + server.stdout).not.toContain(SECRET);
    return server.stderr;
  }

  it('refuses a URL with another scheme, naming the variable but not its value', async () => {
    const stderr = await failedStart(`mysql://ada:${SECRET}@127.0.0.1:3306/chat`);
    expect(stderr).toContain('DATABASE_URL must start with sqlite: or postgres://');
  });

  it('stops with a clear message when PostgreSQL cannot be reached', async () => {
    const port = await freePort();
    const stderr = await failedStart(`postgres://ada:${SECRET}@127.0.0.1:${port}/chat`);
    expect(stderr).toContain(`cannot open the message database postgres://ada:***@127.0.0.1:${port}/chat`);
    expect(stderr).toContain('ECONNREFUSED');
  });

  it('stops with a clear message when the SQLite file cannot be created', async () => {
    const blocker = join(dir, 'not-a-directory');
    writeFileSync(blocker, '');
    const stderr = await failedStart(`sqlite:${join(blocker, 'chat.db')}`);
    expect(stderr).toContain(`cannot open the message database ${join(blocker, 'chat.db')}`);
  });

  it('defaults to ./data/chat.db in WAL mode, creating the directory, and migrates once', async () => {
    const cwd = mkdtempSync(join(dir, 'default-'));
    running.push(await GatewayProcess.start({ DATABASE_URL: undefined }, { cwd }));
    await running.pop()!.stop();
    running.push(await GatewayProcess.start({ DATABASE_URL: undefined }, { cwd }));
    const db = new BetterSqlite3(join(cwd, 'data', 'chat.db'), { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
      expect(versions).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      db.close();
    }
  });
});
