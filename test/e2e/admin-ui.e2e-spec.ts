import { afterEach, describe, expect, it, jest } from '@jest/globals';
import bcrypt from 'bcryptjs';
import { io } from 'socket.io-client';
import request from 'supertest';
import { type RunningApp, startApp } from '../support/app.js';
import { within } from '../support/clients.js';

interface AdminHandshake {
  /** 'connected', or the connect_error message. */
  outcome: string;
  data?: unknown;
  sessionId?: string;
}

/** Connects to the admin namespace and reports how the handshake ended. */
async function adminHandshake(url: string, auth?: Record<string, unknown>, headers?: Record<string, string>): Promise<AdminHandshake> {
  const socket = io(`${url}/admin`, { auth, extraHeaders: headers, transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    return await within(
      new Promise<AdminHandshake>((resolve) => {
        // The library emits `session` right before admitting a password login.
        let sessionId: string | undefined;
        socket.once('session', (id: string) => (sessionId = id));
        socket.once('connect', () => resolve({ outcome: 'connected', sessionId }));
        socket.once('connect_error', (error: Error & { data?: unknown }) => resolve({ outcome: error.message, data: error.data }));
      }),
      'the admin namespace handshake',
    );
  } finally {
    socket.disconnect();
  }
}

async function adminNamespace(url: string, auth?: Record<string, unknown>): Promise<string> {
  return (await adminHandshake(url, auth)).outcome;
}

describe('socket.io admin UI (e2e)', () => {
  let server: RunningApp | undefined;

  afterEach(async () => {
    jest.restoreAllMocks();
    await server?.close();
    server = undefined;
  });

  it('is off by default: no page, no namespace', async () => {
    server = await startApp();
    await request(server.url).get('/admin-ui/').expect(404);
    expect(await adminNamespace(server.url, { username: 'admin', password: 'x' })).toBe('Invalid namespace');
  });

  it('serves the page and admits only the configured basic-auth credentials', async () => {
    server = await startApp({ ADMIN_UI: 'true', ADMIN_UI_USERNAME: 'ops', ADMIN_UI_PASSWORD: 'correct horse' });
    const page = await request(server.url).get('/admin-ui/').expect(200);
    expect(page.text).toContain('<html');
    expect(await adminNamespace(server.url, { username: 'ops', password: 'wrong' })).not.toBe('connected');
    expect(await adminNamespace(server.url)).not.toBe('connected');
    expect(await adminNamespace(server.url, { username: 'ops', password: 'correct horse' })).toBe('connected');
  });

  it('refuses missing, non-string and oversized credentials with connect_error, and keeps serving', async () => {
    server = await startApp({ ADMIN_UI: 'true', ADMIN_UI_USERNAME: 'ops', ADMIN_UI_PASSWORD: 'correct horse' });
    const hostile: Array<Record<string, unknown>> = [
      { username: 'ops' },
      { username: 'ops', password: 12345 },
      { username: 'ops', password: null },
      { username: 'ops', password: true },
      { username: 'ops', password: { toString: 'correct horse' } },
      { username: 'ops', password: ['correct horse'] },
      { username: 'ops', password: 'correct horse'.padEnd(257, '!') },
      { username: 12, password: 'correct horse' },
      { username: ['ops'], password: 'correct horse' },
      { username: 'ops', password: 12345, sessionId: { $ne: null } },
      { sessionId: 42 },
      { sessionId: 'not-a-session' },
    ];
    for (const auth of hostile) {
      expect({ auth, outcome: await adminNamespace(server.url, auth) }).toEqual({ auth, outcome: 'invalid credentials' });
    }
    await request(server.url).get('/health').expect(200);
    expect(await adminNamespace(server.url, { username: 'ops', password: 'correct horse' })).toBe('connected');
  });

  it('a wrong password never reaches bcrypt; the admin UI session id still logs in again without it', async () => {
    server = await startApp({ ADMIN_UI: 'true', ADMIN_UI_USERNAME: 'ops', ADMIN_UI_PASSWORD: 'correct horse' });
    const compare = jest.spyOn(bcrypt, 'compare');
    for (let i = 0; i < 20; i++)
      expect(await adminNamespace(server.url, { username: 'ops', password: `guess ${i}` })).toBe('invalid credentials');
    // bcrypt truncates at 72 bytes; the gate compares the whole password.
    const past72 = `correct horse${' '.repeat(60)}and more`;
    const longServer = await startApp({ ADMIN_UI: 'true', ADMIN_UI_USERNAME: 'ops', ADMIN_UI_PASSWORD: past72 });
    try {
      expect(await adminNamespace(longServer.url, { username: 'ops', password: `${past72.slice(0, 72)}but not this` })).toBe(
        'invalid credentials',
      );
      expect(await adminNamespace(longServer.url, { username: 'ops', password: past72 })).toBe('connected');
    } finally {
      await longServer.close();
    }
    expect(compare).toHaveBeenCalledTimes(1);

    const login = await adminHandshake(server.url, { username: 'ops', password: 'correct horse' });
    expect(login).toMatchObject({ outcome: 'connected', sessionId: expect.any(String) });
    expect(await adminNamespace(server.url, { sessionId: login.sessionId })).toBe('connected');
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it('refuses an address after ADMIN_UI_LOGIN_FAILURES_PER_MINUTE failures without checking its password; other addresses still log in', async () => {
    server = await startApp({
      ADMIN_UI: 'true',
      ADMIN_UI_USERNAME: 'ops',
      ADMIN_UI_PASSWORD: 'correct horse',
      ADMIN_UI_LOGIN_FAILURES_PER_MINUTE: '3',
      TRUST_PROXY: 'true',
    });
    const from = (address: string) => ({ 'X-Forwarded-For': address });
    const right = { username: 'ops', password: 'correct horse' };
    for (let i = 0; i < 3; i++) {
      expect((await adminHandshake(server.url, { username: 'ops', password: `guess ${i}` }, from('203.0.113.7'))).outcome).toBe(
        'invalid credentials',
      );
    }
    for (const auth of [right, { username: 'ops', password: 'guess 4' }, { username: 'ops', password: 7 }]) {
      const refused = await adminHandshake(server.url, auth, from('203.0.113.7'));
      expect(refused).toMatchObject({ outcome: 'RATE_LIMITED', data: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) } });
      const { retryAfterMs } = refused.data as { retryAfterMs: number };
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    }
    expect((await adminHandshake(server.url, right, from('203.0.113.8'))).outcome).toBe('connected');
    // A success clears an address's earlier failures.
    for (let i = 0; i < 2; i++) await adminHandshake(server.url, { username: 'ops', password: 'nope' }, from('203.0.113.9'));
    expect((await adminHandshake(server.url, right, from('203.0.113.9'))).outcome).toBe('connected');
    for (let i = 0; i < 2; i++) {
      expect((await adminHandshake(server.url, { username: 'ops', password: 'nope' }, from('203.0.113.9'))).outcome).toBe(
        'invalid credentials',
      );
    }
    expect((await adminHandshake(server.url, right, from('203.0.113.9'))).outcome).toBe('connected');
  });
});
