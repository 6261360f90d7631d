import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ChatEmitter } from '../../src/chat/chat-emitter.js';
import { ConfigError, loadConfig } from '../../src/config/app-config.js';
import type { AuthRefreshResult } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, refusedConnect, type TestClient, within } from '../support/clients.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { RawSocket } from './support/raw-socket.js';
import {
  type Claims,
  ecKeyPair,
  hmacWithPublicKey,
  HS_SECRET,
  inSeconds,
  type KeyPair,
  rsaKeyPair,
  sign,
  unsignedToken,
} from './support/tokens.js';

const OTHER_SECRET = 'not-the-server-secret-but-long-enough-0123456789';
const NAME_RULE = 'token name must be 1-64 characters without control characters or bidirectional overrides';

async function expectUnauthorized(url: string, auth: Record<string, unknown> | undefined, headers?: Record<string, string>) {
  const error = await refusedConnect(url, { auth, extraHeaders: headers });
  expect(error.message).toBe('UNAUTHORIZED');
  expect(error.data).toMatchObject({ code: 'UNAUTHORIZED' });
}

describe('authentication', () => {
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => (clients.push(c), c);
  afterAll(() => closeAll(clients));

  describe('AUTH_MODE selection', () => {
    const base = { DATABASE_URL: 'sqlite::memory:' };

    it('defaults to open without keys and to jwt when JWT_SECRET or JWT_PUBLIC_KEY is set', () => {
      expect(loadConfig(base).authMode).toBe('open');
      expect(loadConfig({ ...base, JWT_SECRET: HS_SECRET }).authMode).toBe('jwt');
      expect(loadConfig({ ...base, JWT_PUBLIC_KEY: rsaKeyPair().publicPem }).authMode).toBe('jwt');
      expect(loadConfig({ ...base, JWT_SECRET: HS_SECRET, AUTH_MODE: 'open' }).authMode).toBe('open');
    });

    it('refuses jwt without a key, a short secret and a secret echoed into the error', () => {
      expect(() => loadConfig({ ...base, AUTH_MODE: 'jwt' })).toThrow(ConfigError);
      const short = 'short-secret';
      let problem: unknown;
      try {
        loadConfig({ ...base, JWT_SECRET: short });
      } catch (error) {
        problem = error;
      }
      expect(problem).toBeInstanceOf(ConfigError);
      expect((problem as ConfigError).message).toContain('JWT_SECRET must be at least 32 characters');
      expect((problem as ConfigError).message).not.toContain(short);
    });

    it('open mode logs a warning at start that anyone can claim any name', async () => {
      const server = await GatewayProcess.start();
      try {
        const warnings = server.entries.filter((e) => e.level === 40 && typeof e.msg === 'string' && e.msg.includes('AUTH_MODE=open'));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]!.msg).toMatch(/anyone can connect under any name/);
      } finally {
        await server.stop();
      }
    }, 60_000);
  });

  describe('HS256 (JWT_SECRET)', () => {
    let server: RunningApp;
    const token = (claims: Claims) => sign(claims, HS_SECRET);

    beforeAll(async () => {
      server = await startApp({ JWT_SECRET: HS_SECRET, MAX_CONNECTIONS_PER_USER: '100' });
    });
    afterAll(() => server.close());

    it('maps sub, name and role; name defaults to sub', async () => {
      const ada = track(await connect(server.url, 'ada', { auth: { token: await token({ sub: 'ada', name: 'Ada L.' }) } }));
      expect(ada.session?.user).toEqual({ id: 'ada', name: 'Ada L.' });
      const bare = track(await connect(server.url, 'bare', { auth: { token: await token({ sub: 'user@example.com' }) } }));
      expect(bare.session?.user).toEqual({ id: 'user@example.com', name: 'user@example.com' });
    });

    it('accepts Authorization: Bearer from non-browser clients', async () => {
      const bearer = `Bearer ${await token({ sub: 'cli' })}`;
      const cli = track(await connect(server.url, 'cli', { auth: {}, extraHeaders: { Authorization: bearer } }));
      expect(cli.session?.user.id).toBe('cli');
    });

    it('ignores open-mode credentials', async () => {
      await expectUnauthorized(server.url, { username: 'ada', adminKey: 'test-admin-key' });
      await expectUnauthorized(server.url, undefined);
    });

    it.each<[string, () => Promise<Record<string, unknown>>]>([
      ['an expired token', async () => ({ token: await token({ sub: 'ada', exp: inSeconds(-5) }) })],
      ['a token without exp', async () => ({ token: await token({ sub: 'ada', exp: undefined }) })],
      ['a token without sub', async () => ({ token: await token({ name: 'nobody' }) })],
      ['a token not yet valid (nbf)', async () => ({ token: await token({ sub: 'ada', nbf: inSeconds(600) }) })],
      ['an alg: none token', async () => ({ token: unsignedToken({ sub: 'ada', role: 'admin' }) })],
      ['a token signed with another secret', async () => ({ token: await sign({ sub: 'ada' }, OTHER_SECRET) })],
      ['an RS256 token', async () => ({ token: await sign({ sub: 'ada' }, rsaKeyPair().privateKey, 'RS256') })],
      [
        'a token whose payload was swapped',
        async () => {
          const [header, , signature] = (await token({ sub: 'ada' })).split('.');
          const payload = Buffer.from(JSON.stringify({ sub: 'root', role: 'admin', exp: inSeconds(60) })).toString('base64url');
          return { token: `${header}.${payload}.${signature}` };
        },
      ],
      ['garbage', async () => ({ token: 'not.a.jwt' })],
      ['a non-string token', async () => ({ token: 12345 })],
      ['an invalid sub', async () => ({ token: await token({ sub: 'has spaces/and slashes' }) })],
      ['a non-string name', async () => ({ token: await token({ sub: 'ada', name: { first: 'Ada' } }) })],
      ['a rooms claim that is not a list', async () => ({ token: await token({ sub: 'ada', rooms: 'lobby' }) })],
    ])('refuses %s with connect_error UNAUTHORIZED', async (_name, auth) => {
      await expectUnauthorized(server.url, await auth());
    });

    it.each<[string, Claims, string]>([
      ['the reserved sub system', { sub: 'system', role: 'admin' }, 'token sub system is reserved'],
      ['the reserved sub in capitals', { sub: 'SYSTEM' }, 'token sub SYSTEM is reserved'],
      ['a 65 character name', { sub: 'ada', name: 'n'.repeat(65) }, NAME_RULE],
      ['a name with a newline', { sub: 'ada', name: 'Ada\n[system] all good' }, NAME_RULE],
      ['a name with a C1 control', { sub: 'ada', name: 'Ada\u0085' }, NAME_RULE],
      ['a name with a right-to-left override', { sub: 'ada', name: 'Ada \u202egnp.exe' }, NAME_RULE],
      ['a name with a right-to-left isolate', { sub: 'ada', name: '\u2067Ada' }, NAME_RULE],
      ['an iat an hour ahead', { sub: 'ada', iat: inSeconds(3600) }, 'token iat lies more than 60 s in the future'],
    ])('refuses %s with connect_error UNAUTHORIZED and the reason', async (_name, claims, reason) => {
      // sign() sets iat to now unless the claims carry one.
      const token = await sign(claims, HS_SECRET);
      const error = await refusedConnect(server.url, { auth: { token } });
      expect(error.message).toBe('UNAUTHORIZED');
      expect(error.data).toEqual({ code: 'UNAUTHORIZED', message: reason });
    });

    it('accepts an iat within the clock skew and a 64 character name', async () => {
      const skewed = await sign({ sub: 'skewed', iat: inSeconds(30) }, HS_SECRET);
      track(await connect(server.url, 'skewed', { auth: { token: skewed } }));
      const name = '\u{1F600}'.repeat(64);
      const long = track(await connect(server.url, 'long-name', { auth: { token: await token({ sub: 'long-name', name }) } }));
      expect(long.session?.user).toEqual({ id: 'long-name', name });
    });

    it('refuses the same claims on REST and auth:refresh', async () => {
      const reserved = `Bearer ${await token({ sub: 'system', role: 'admin' })}`;
      await request(server.url).get('/users').set('Authorization', reserved).expect(401);
      await request(server.url).post('/announcements').set('Authorization', reserved).send({ text: 'from system' }).expect(401);
      const ada = track(await connect(server.url, 'ada', { auth: { token: await token({ sub: 'ada' }) } }));
      const refresh = await ada.request('auth:refresh', { token: await token({ sub: 'ada', name: 'Ada\u202e' }) });
      expect(refresh).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED', message: NAME_RULE } });
    });

    it('refuses a bad Bearer header the same way', async () => {
      await expectUnauthorized(server.url, {}, { Authorization: `Bearer ${unsignedToken({ sub: 'ada' })}` });
      await expectUnauthorized(server.url, {}, { Authorization: `Basic ${Buffer.from('ada:pw').toString('base64')}` });
    });

    it('does not enable connection state recovery, so every reconnect authenticates again', async () => {
      const io = server.app.get(ChatEmitter).server as unknown as { opts: Record<string, unknown> };
      expect(io.opts.connectionStateRecovery).toBeUndefined();
      // A forged recovery attempt without valid credentials is still just a refused handshake.
      const raw = await RawSocket.open(server.url);
      const answer = await raw.connect({ pid: 'previous-session', offset: '0-0', token: unsignedToken({ sub: 'ada' }) });
      expect(answer).toMatch(/^44\{"message":"UNAUTHORIZED"/);
      raw.close();
    });
  });

  describe('issuer and audience', () => {
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp({ JWT_SECRET: HS_SECRET, JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'chat' });
    });
    afterAll(() => server.close());

    it('accepts the configured issuer and audience', async () => {
      const ok = await sign({ sub: 'ada', iss: 'https://issuer.test', aud: ['other', 'chat'] }, HS_SECRET);
      track(await connect(server.url, 'ada', { auth: { token: ok } }));
    });

    it.each<[string, Claims]>([
      ['a wrong issuer', { sub: 'ada', iss: 'https://evil.test', aud: 'chat' }],
      ['no issuer', { sub: 'ada', aud: 'chat' }],
      ['a wrong audience', { sub: 'ada', iss: 'https://issuer.test', aud: 'billing' }],
      ['no audience', { sub: 'ada', iss: 'https://issuer.test' }],
    ])('refuses %s', async (_name, claims) => {
      await expectUnauthorized(server.url, { token: await sign(claims, HS_SECRET) });
    });
  });

  describe.each<[string, () => KeyPair, 'RS256' | 'ES256']>([
    ['RS256 (RSA JWT_PUBLIC_KEY)', rsaKeyPair, 'RS256'],
    ['ES256 (EC P-256 JWT_PUBLIC_KEY)', ecKeyPair, 'ES256'],
  ])('%s', (_name, keyPair, alg) => {
    const keys = keyPair();
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp({ JWT_PUBLIC_KEY: keys.publicPem });
    });
    afterAll(() => server.close());

    it('accepts a token signed with the matching private key', async () => {
      const c = track(
        await connect(server.url, 'ada', { auth: { token: await sign({ sub: 'ada', role: 'admin' }, keys.privateKey, alg) } }),
      );
      expect(c.session?.user).toEqual({ id: 'ada', name: 'ada' });
    });

    it.each<[string, () => Promise<string>]>([
      ['alg: none', async () => unsignedToken({ sub: 'ada' })],
      ['HS256 signed with the public key PEM (algorithm confusion)', async () => hmacWithPublicKey({ sub: 'ada' }, keys.publicPem)],
      ['HS256 signed with the shared test secret', () => sign({ sub: 'ada' }, HS_SECRET)],
      ['a token from another key pair', async () => sign({ sub: 'ada' }, keyPair().privateKey, alg)],
      [
        'the other asymmetric algorithm',
        async () =>
          alg === 'RS256' ? sign({ sub: 'ada' }, ecKeyPair().privateKey, 'ES256') : sign({ sub: 'ada' }, rsaKeyPair().privateKey, 'RS256'),
      ],
      ['an expired token', () => sign({ sub: 'ada', exp: inSeconds(-1) }, keys.privateKey, alg)],
    ])('refuses %s', async (_name, forge) => {
      await expectUnauthorized(server.url, { token: await forge() });
    });
  });

  describe('expiry on live connections, auth:refresh and admin disconnect', () => {
    let server: RunningApp;
    const ADMIN_KEY = 'security-admin-key';
    beforeAll(async () => {
      server = await startApp({ JWT_SECRET: HS_SECRET, ADMIN_API_KEY: ADMIN_KEY });
    });
    afterAll(() => server.close());

    async function expiring(user: string, seconds: number): Promise<TestClient> {
      return track(await connect(server.url, user, { auth: { token: await sign({ sub: user, exp: inSeconds(seconds) }, HS_SECRET) } }));
    }

    function expiry(client: TestClient): Promise<{ expired: unknown; reason: string }> {
      return new Promise((resolve) => {
        client.socket.once('session:expired', (expired) => {
          client.socket.once('disconnect', (reason) => resolve({ expired, reason }));
        });
      });
    }

    it('ends a connection whose token expires, unless a valid refresh of the same user extends it', async () => {
      const [lapsing, refreshed, badRefresh, foreignRefresh] = await Promise.all([
        expiring('lapsing', 2),
        expiring('refreshed', 2),
        expiring('bad-refresh', 2),
        expiring('foreign-refresh', 2),
      ]);
      const ends = [lapsing, badRefresh, foreignRefresh].map(expiry);

      const later = inSeconds(3600);
      const result = await refreshed.ok<AuthRefreshResult>('auth:refresh', {
        token: await sign({ sub: 'refreshed', exp: later }, HS_SECRET),
      });
      expect(result.expiresAt).toBe(new Date(later * 1000).toISOString());

      const invalid = await badRefresh.request('auth:refresh', { token: unsignedToken({ sub: 'bad-refresh', exp: later }) });
      expect(invalid).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
      const foreign = await foreignRefresh.request('auth:refresh', { token: await sign({ sub: 'someone-else', exp: later }, HS_SECRET) });
      expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });

      for (const end of await within(Promise.all(ends), 'the three unrefreshed sessions to expire', 5000)) {
        expect(end).toEqual({ expired: { reason: 'token expired' }, reason: 'io server disconnect' });
      }
      // Past the old expiry the refreshed connection is still served.
      expect(refreshed.socket.connected).toBe(true);
      await refreshed.barrier();
      expect(refreshed.events('session:expired')).toHaveLength(0);
    }, 15_000);

    it('admin DELETE /users/:id/connections closes every socket of that user only', async () => {
      const token = await sign({ sub: 'target' }, HS_SECRET);
      const [one, two, bystander] = await Promise.all([
        connect(server.url, 'target', { auth: { token } }),
        connect(server.url, 'target', { auth: { token } }),
        connect(server.url, 'bystander', { auth: { token: await sign({ sub: 'bystander' }, HS_SECRET) } }),
      ]).then((cs) => cs.map(track));
      const closed = [one!, two!].map((c) => new Promise((resolve) => c.socket.once('disconnect', resolve)));

      const userToken = await sign({ sub: 'plain' }, HS_SECRET);
      await request(server.url).delete('/users/target/connections').expect(401);
      await request(server.url).delete('/users/target/connections').set('Authorization', `Bearer ${userToken}`).expect(403);
      await request(server.url).delete('/users/target/connections').set('X-Api-Key', 'wrong').expect(401);
      const admin = await sign({ sub: 'boss', role: 'admin' }, HS_SECRET);
      const res = await request(server.url).delete('/users/target/connections').set('Authorization', `Bearer ${admin}`).expect(200);
      expect(res.body).toEqual({ disconnected: 2 });
      await expect(within(Promise.all(closed), 'both target sockets to close')).resolves.toEqual([
        'io server disconnect',
        'io server disconnect',
      ]);
      await bystander!.barrier();
      expect(bystander!.socket.connected).toBe(true);

      const again = track(await connect(server.url, 'target', { auth: { token } }));
      const closedAgain = new Promise((resolve) => again.socket.once('disconnect', resolve));
      await request(server.url).delete('/users/target/connections').set('X-Api-Key', ADMIN_KEY).expect(200, { disconnected: 1 });
      await expect(within(closedAgain, 'the reconnected socket to close')).resolves.toBe('io server disconnect');
    });

    it('REST lookups need a valid Bearer token; admin endpoints need role admin or X-Api-Key', async () => {
      const user = await sign({ sub: 'reader' }, HS_SECRET);
      const admin = await sign({ sub: 'boss', role: 'admin' }, HS_SECRET);
      for (const path of ['/rooms', '/users', '/rooms/lobby', '/rooms/lobby/messages', '/users/ada']) {
        await request(server.url).get(path).expect(401);
        await request(server.url)
          .get(path)
          .set('Authorization', `Bearer ${unsignedToken({ sub: 'reader' })}`)
          .expect(401);
        await request(server.url)
          .get(path)
          .set('Authorization', `Bearer ${await sign({ sub: 'r', exp: inSeconds(-1) }, HS_SECRET)}`)
          .expect(401);
        const res = await request(server.url).get(path).set('Authorization', `Bearer ${user}`);
        expect([200, 404]).toContain(res.status);
      }
      const body = { text: 'maintenance at noon' };
      await request(server.url).post('/announcements').send(body).expect(401);
      await request(server.url).post('/announcements').set('Authorization', `Bearer ${user}`).send(body).expect(403);
      await request(server.url).post('/announcements').set('Authorization', `Bearer ${admin}`).send(body).expect(201);
      await request(server.url).post('/announcements').set('X-Api-Key', ADMIN_KEY).send(body).expect(201);
      await request(server.url).post('/rooms/lobby/messages').set('Authorization', `Bearer ${user}`).send(body).expect(403);
      await request(server.url).post('/rooms/lobby/messages').set('X-Api-Key', ADMIN_KEY).send(body).expect(201);
    });
  });

  describe('open mode', () => {
    let server: RunningApp;
    beforeAll(async () => {
      server = await startApp({ ADMIN_API_KEY: 'open-admin-key' });
    });
    afterAll(() => server.close());

    it('answers auth:refresh with FORBIDDEN and grants admin only for the right adminKey', async () => {
      const ada = track(await connect(server.url, 'ada'));
      await expect(ada.request('auth:refresh', { token: await sign({ sub: 'ada' }, HS_SECRET) })).resolves.toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
      await expect(ada.request('announce', { text: 'hi' })).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const wrong = track(await connect(server.url, 'eve', { auth: { username: 'eve', adminKey: 'open-admin-keX' } }));
      await expect(wrong.request('announce', { text: 'hi' })).resolves.toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      const admin = track(await connect(server.url, 'root', { auth: { username: 'root', adminKey: 'open-admin-key' } }));
      await expect(admin.ok('announce', { text: 'hi' })).resolves.toMatchObject({ announcement: { text: 'hi' } });
      await expectUnauthorized(server.url, { username: 'has spaces' });
      await expectUnauthorized(server.url, { username: { toString: 'ada' } });
    });

    it('serves REST lookups without credentials', async () => {
      await request(server.url).get('/users').expect(200);
    });
  });
});
