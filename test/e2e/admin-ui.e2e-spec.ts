import { afterEach, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import request from 'supertest';
import { type RunningApp, startApp } from '../support/app.js';
import { within } from '../support/clients.js';

/** Connects to the admin namespace; resolves 'connected' or the connect_error message. */
async function adminNamespace(url: string, auth?: Record<string, string>): Promise<string> {
  const socket = io(`${url}/admin`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  try {
    return await within(
      new Promise<string>((resolve) => {
        socket.once('connect', () => resolve('connected'));
        socket.once('connect_error', (error: Error) => resolve(error.message));
      }),
      'the admin namespace handshake',
    );
  } finally {
    socket.disconnect();
  }
}

describe('socket.io admin UI (e2e)', () => {
  let server: RunningApp | undefined;

  afterEach(async () => {
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
});
