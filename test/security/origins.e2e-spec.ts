import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { RawSocket } from './support/raw-socket.js';
import { TcpClient } from './support/tcp-websocket.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { HS_SECRET, sign } from './support/tokens.js';

const EVIL = 'https://evil.example';

/** Engine.io handshake over long-polling, as a browser page on `origin` would start it. */
function pollingHandshake(server: RunningApp, origin?: string): request.Test {
  const req = request(server.url).get('/socket.io/?EIO=4&transport=polling');
  return origin === undefined ? req : req.set('Origin', origin);
}

/** A WebSocket upgrade from `origin`; resolves with the HTTP status line. */
async function upgradeStatus(server: RunningApp, origin: string | undefined, host?: string): Promise<string> {
  const tcp = await TcpClient.open(server.url);
  try {
    const headers = origin === undefined ? [] : [`Origin: ${origin}`];
    tcp.write(TcpClient.upgradeRequest(host ?? new URL(server.url).host, headers));
    return await tcp.statusLine();
  } finally {
    tcp.destroy();
  }
}

describe('origin allow-list (CORS_ORIGINS)', () => {
  const clients: TestClient[] = [];
  afterAll(() => closeAll(clients));

  describe('default: same origin and localhost', () => {
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp();
    });
    afterAll(() => server.close());

    it.each(['http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'https://localhost'])(
      'lets %s in over REST, polling and WebSocket',
      async (origin) => {
        const rest = await request(server.url).get('/rooms').set('Origin', origin).expect(200);
        expect(rest.headers['access-control-allow-origin']).toBe(origin);
        const polling = await pollingHandshake(server, origin).expect(200);
        expect(polling.text).toMatch(/^0\{"sid":/);
        expect(await upgradeStatus(server, origin)).toBe('HTTP/1.1 101 Switching Protocols');
      },
    );

    it('lets the page of the gateway itself in (Origin matching Host)', async () => {
      const origin = 'https://chat.example.com';
      expect(await upgradeStatus(server, origin, 'chat.example.com')).toBe('HTTP/1.1 101 Switching Protocols');
      expect(await upgradeStatus(server, origin, 'chat.example.com.evil.example')).toMatch(/^HTTP\/1\.1 400/);
    });

    it.each([EVIL, 'null', 'http://localhost.evil.example', 'http://127.0.0.1.nip.io', 'not a url'])(
      'refuses %s on the handshake itself and gives it no CORS grant',
      async (origin) => {
        const rest = await request(server.url).get('/rooms').set('Origin', origin);
        expect(rest.headers['access-control-allow-origin']).toBeUndefined();
        const preflight = await request(server.url).options('/rooms').set('Origin', origin).set('Access-Control-Request-Method', 'GET');
        expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
        const polling = await pollingHandshake(server, origin);
        expect(polling.status).toBe(403);
        expect(polling.body).toEqual({ code: 4, message: 'origin not allowed' });
        expect(await upgradeStatus(server, origin)).toMatch(/^HTTP\/1\.1 400/);
      },
    );

    it('refuses a socket.io client sending a foreign Origin', async () => {
      const refused = RawSocket.attempt(server.url, { Origin: EVIL });
      await refused.waitClosed('the refused upgrade');
      expect(refused.frames.some((f) => typeof f === 'string' && f.includes('400'))).toBe(true);
    });

    it('lets requests without an Origin header (non-browser clients) through', async () => {
      await pollingHandshake(server).expect(200);
      clients.push(await connect(server.url, 'cli'));
    });
  });

  describe('an explicit list', () => {
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp({ CORS_ORIGINS: 'https://app.example, https://admin.example' });
    });
    afterAll(() => server.close());

    it('lets listed origins in and nobody else, localhost included', async () => {
      for (const origin of ['https://app.example', 'https://admin.example']) {
        const rest = await request(server.url).get('/rooms').set('Origin', origin).expect(200);
        expect(rest.headers['access-control-allow-origin']).toBe(origin);
        await pollingHandshake(server, origin).expect(200);
        expect(await upgradeStatus(server, origin)).toBe('HTTP/1.1 101 Switching Protocols');
        clients.push(await connect(server.url, 'listed', { extraHeaders: { Origin: origin } }));
      }
      for (const origin of ['http://localhost:5173', 'https://app.example.evil', 'http://app.example', EVIL]) {
        const rest = await request(server.url).get('/rooms').set('Origin', origin);
        expect(rest.headers['access-control-allow-origin']).toBeUndefined();
        await pollingHandshake(server, origin).expect(403);
        expect(await upgradeStatus(server, origin)).toMatch(/^HTTP\/1\.1 400/);
      }
    });
  });

  describe('production (NODE_ENV=production) without CORS_ORIGINS', () => {
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp({ NODE_ENV: 'production' });
    });
    afterAll(() => server.close());

    it.each(['http://localhost:5173', 'http://127.0.0.1:8080', EVIL])('refuses %s, which development lets in or not', async (origin) => {
      const rest = await request(server.url).get('/rooms').set('Origin', origin);
      expect(rest.headers['access-control-allow-origin']).toBeUndefined();
      await pollingHandshake(server, origin).expect(403);
      expect(await upgradeStatus(server, origin)).toMatch(/^HTTP\/1\.1 400/);
    });

    it('infers nothing from Host: a DNS-rebinding page (Origin matching Host) is refused', async () => {
      const rebound = 'http://rebind.attacker.example:3000';
      expect(await upgradeStatus(server, rebound, 'rebind.attacker.example:3000')).toMatch(/^HTTP\/1\.1 400/);
      const polling = await pollingHandshake(server, rebound).set('Host', 'rebind.attacker.example:3000');
      expect(polling.status).toBe(403);
    });

    it('still serves clients that send no Origin (not browser pages)', async () => {
      await pollingHandshake(server).expect(200);
      clients.push(await connect(server.url, 'prod-cli'));
    });

    it('logs at start how to allow browser origins', async () => {
      const gateway = await GatewayProcess.start({ NODE_ENV: 'production', DATABASE_URL: 'sqlite::memory:' });
      try {
        const [warning] = gateway.logs(/CORS_ORIGINS/);
        expect(warning).toMatchObject({ level: 40 });
        expect(String(warning!.msg)).toContain('CORS_ORIGINS=https://');
      } finally {
        await gateway.stop();
      }
    });
  });

  describe('production with CORS_ORIGINS', () => {
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp({ NODE_ENV: 'production', CORS_ORIGINS: 'https://app.example' });
    });
    afterAll(() => server.close());

    it('lets exactly the listed origins in', async () => {
      await pollingHandshake(server, 'https://app.example').expect(200);
      expect(await upgradeStatus(server, 'https://app.example')).toBe('HTTP/1.1 101 Switching Protocols');
      await pollingHandshake(server, 'http://localhost:5173').expect(403);
    });
  });

  describe('JWT mode', () => {
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp({ JWT_SECRET: HS_SECRET });
    });
    afterAll(() => server.close());

    it('a request without an Origin header still needs valid credentials', async () => {
      const raw = await RawSocket.open(server.url);
      expect(await raw.connect({})).toMatch(/^44\{"message":"UNAUTHORIZED"/);
      raw.close();
      const ok = await RawSocket.open(server.url);
      expect(await ok.connect({ token: await sign({ sub: 'cli' }, HS_SECRET) })).toMatch(/^40\{"sid":/);
      ok.close();
    });

    it('an allowed origin does not replace credentials either', async () => {
      const raw = await RawSocket.open(server.url, { Origin: 'http://localhost:5173' });
      expect(await raw.connect({ username: 'ada' })).toMatch(/^44\{"message":"UNAUTHORIZED"/);
      raw.close();
    });
  });
});
