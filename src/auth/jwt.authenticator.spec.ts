import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { type JWTPayload, SignJWT } from 'jose';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { JwtAuthenticator } from './jwt.authenticator.js';

// The classes under test log through Nest's Logger; their messages are not what is tested here.
beforeAll(() => Logger.overrideLogger(false));

const SECRET = 'unit-test-secret-that-is-long-enough-0123';
const now = (): number => Math.floor(Date.now() / 1000);

function hs256(claims: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT({ exp: now() + 600, ...claims }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

const hsAuth = new JwtAuthenticator(loadConfig({ JWT_SECRET: SECRET }));
const withToken = (token: unknown) => ({ auth: { token }, headers: {} });

async function rejected(authenticator: JwtAuthenticator, token: unknown): Promise<void> {
  await expect(authenticator.authenticate(withToken(token))).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
}

describe('JwtAuthenticator (HS256)', () => {
  it('maps the claims to an identity', async () => {
    const exp = now() + 120;
    const identity = await hsAuth.authenticate(
      withToken(await hs256({ sub: 'ada', name: 'Ada', role: 'admin', rooms: ['a', 'b-*'], exp })),
    );
    expect(identity).toEqual({ user: { id: 'ada', name: 'Ada' }, isAdmin: true, allowedRooms: ['a', 'b-*'], expiresAt: exp * 1000 });
  });

  it('carries iat as issuedAt in epoch ms (whole seconds), and none when the token has no iat', async () => {
    const iat = now() - 5;
    await expect(hsAuth.authenticate(withToken(await hs256({ sub: 'ada', iat })))).resolves.toMatchObject({ issuedAt: iat * 1000 });
    const undated = await hsAuth.authenticate(withToken(await hs256({ sub: 'ada' })));
    expect(undated).not.toHaveProperty('issuedAt');
  });

  it('accepts an exp at the last date JavaScript can hold', async () => {
    const identity = await hsAuth.authenticate(withToken(await hs256({ sub: 'ada', exp: 8.64e12 })));
    expect(new Date(identity.expiresAt!).toISOString()).toBe('+275760-09-13T00:00:00.000Z');
  });

  it('defaults name to sub, admin to false and rooms to any', async () => {
    const identity = await hsAuth.authenticate(withToken(await hs256({ sub: 'bob' })));
    expect(identity).toMatchObject({ user: { id: 'bob', name: 'bob' }, isAdmin: false, allowedRooms: undefined });
  });

  it('prefers auth.token and falls back to the Authorization header', async () => {
    const header = { authorization: `Bearer ${await hs256({ sub: 'from-header' })}` };
    await expect(hsAuth.authenticate({ auth: {}, headers: header })).resolves.toMatchObject({ user: { id: 'from-header' } });
    const both = await hsAuth.authenticate({ auth: { token: await hs256({ sub: 'from-auth' }) }, headers: header });
    expect(both.user.id).toBe('from-auth');
  });

  it.each<[string, () => Promise<unknown>]>([
    ['no token', async () => undefined],
    ['a non-string token', async () => 42],
    ['an expired token', () => hs256({ sub: 'ada', exp: now() - 1 })],
    ['a token without exp', () => new SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET))],
    ['a token without sub', () => hs256({ name: 'ada' })],
    ['another secret', () => hs256({ sub: 'ada' }, `${SECRET}-other`)],
    ['alg none', async () => `${b64({ alg: 'none' })}.${b64({ sub: 'ada', exp: now() + 60 })}.`],
    ['an exp beyond the last date JavaScript can hold', () => hs256({ sub: 'ada', exp: 8.64e12 + 1 })],
    ['a sub with spaces', () => hs256({ sub: 'a b' })],
    ['a 65 character sub', () => hs256({ sub: 'a'.repeat(65) })],
    ['an empty name', () => hs256({ sub: 'ada', name: '' })],
    ['a 65 character name', () => hs256({ sub: 'ada', name: 'n'.repeat(65) })],
    ['65 astral characters as name', () => hs256({ sub: 'ada', name: '\u{1F600}'.repeat(65) })],
    ['the reserved sub system', () => hs256({ sub: 'system' })],
    ['the reserved sub in another letter case', () => hs256({ sub: 'SyStEm' })],
    ['a name with a newline', () => hs256({ sub: 'ada', name: 'Ada\nsystem: all good' })],
    ['a name with a NUL', () => hs256({ sub: 'ada', name: 'Ada\u0000' })],
    ['a name with DEL', () => hs256({ sub: 'ada', name: 'Ada\u007f' })],
    ['a name with a C1 control', () => hs256({ sub: 'ada', name: 'Ada\u009b' })],
    ['a name with a line separator', () => hs256({ sub: 'ada', name: 'Ada\u2028' })],
    ['a name with a right-to-left override', () => hs256({ sub: 'ada', name: 'Ada \u202egnp.exe' })],
    ['a name with a left-to-right embedding', () => hs256({ sub: 'ada', name: '\u202aAda' })],
    ['a name with a first-strong isolate', () => hs256({ sub: 'ada', name: 'Ada\u2068' })],
    ['a name with a lone surrogate', () => hs256({ sub: 'ada', name: 'Ada\ud800' })],
    ['an iat 90 s ahead', () => hs256({ sub: 'ada', iat: now() + 90 })],
    ['an iat a year ahead', () => hs256({ sub: 'ada', iat: now() + 365 * 86400 })],
    ['rooms as a string', () => hs256({ sub: 'ada', rooms: 'lobby' })],
    ['rooms with a non-string', () => hs256({ sub: 'ada', rooms: ['lobby', 7] })],
    ['rooms with an empty entry', () => hs256({ sub: 'ada', rooms: [''] })],
    ['more than 1000 rooms', () => hs256({ sub: 'ada', rooms: Array.from({ length: 1001 }, (_, i) => `r${i}`) })],
  ])('refuses %s', async (_name, token) => {
    await rejected(hsAuth, await token());
  });

  it('accepts names of 64 characters, astral ones included, with ordinary punctuation and right-to-left script', async () => {
    for (const name of ['n'.repeat(64), '\u{1F600}'.repeat(64), "Zoë O'Brien-Ñúñez (ops)", 'עדה לאבלייס', 'Ada\u200fL']) {
      await expect(hsAuth.authenticate(withToken(await hs256({ sub: 'ada', name })))).resolves.toMatchObject({ user: { name } });
    }
  });

  it('says why a name or a reserved sub is refused', async () => {
    await expect(hsAuth.authenticate(withToken(await hs256({ sub: 'ada', name: 'a\u202eb' })))).rejects.toMatchObject({
      code: ErrorCode.UNAUTHORIZED,
      message: 'token name must be 1-64 characters without control characters or bidirectional overrides',
    });
    await expect(hsAuth.authenticate(withToken(await hs256({ sub: 'system' })))).rejects.toMatchObject({
      code: ErrorCode.UNAUTHORIZED,
      message: 'token sub system is reserved',
    });
  });

  it('accepts an iat up to JWT_CLOCK_SKEW_SECONDS ahead and says why it refuses one beyond', async () => {
    await expect(hsAuth.authenticate(withToken(await hs256({ sub: 'ada', iat: now() + 30 })))).resolves.toBeDefined();
    await expect(hsAuth.authenticate(withToken(await hs256({ sub: 'ada', iat: now() - 86400 })))).resolves.toBeDefined();
    await expect(hsAuth.authenticate(withToken(await hs256({ sub: 'ada', iat: now() + 3600 })))).rejects.toMatchObject({
      code: ErrorCode.UNAUTHORIZED,
      message: 'token iat lies more than 60 s in the future',
    });
    const strict = new JwtAuthenticator(loadConfig({ JWT_SECRET: SECRET, JWT_CLOCK_SKEW_SECONDS: '0' }));
    await rejected(strict, await hs256({ sub: 'ada', iat: now() + 5 }));
    await expect(strict.authenticate(withToken(await hs256({ sub: 'ada', iat: now() })))).resolves.toBeDefined();
    const lenient = new JwtAuthenticator(loadConfig({ JWT_SECRET: SECRET, JWT_CLOCK_SKEW_SECONDS: '600' }));
    await expect(lenient.authenticate(withToken(await hs256({ sub: 'ada', iat: now() + 300 })))).resolves.toBeDefined();
  });

  it('treats only role "admin" as admin', async () => {
    for (const role of ['Admin', 'admin ', ['admin'], true, { admin: true }]) {
      const identity = await hsAuth.authenticate(withToken(await hs256({ sub: 'x', role })));
      expect(identity.isAdmin).toBe(false);
    }
  });

  it('checks issuer and audience when configured', async () => {
    const strict = new JwtAuthenticator(loadConfig({ JWT_SECRET: SECRET, JWT_ISSUER: 'idp', JWT_AUDIENCE: 'chat' }));
    await expect(strict.authenticate(withToken(await hs256({ sub: 'a', iss: 'idp', aud: 'chat' })))).resolves.toBeDefined();
    await rejected(strict, await hs256({ sub: 'a', iss: 'other', aud: 'chat' }));
    await rejected(strict, await hs256({ sub: 'a', iss: 'idp', aud: 'other' }));
    await rejected(strict, await hs256({ sub: 'a' }));
  });
});

describe.each<[string, 'rsa' | 'ec', 'RS256' | 'ES256']>([
  ['RS256', 'rsa', 'RS256'],
  ['ES256', 'ec', 'ES256'],
])('JwtAuthenticator (%s public key)', (_name, type, alg) => {
  const pair = (): { privateKey: KeyObject; publicKey: KeyObject } =>
    type === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { privateKey, publicKey } = pair();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const authenticator = new JwtAuthenticator(loadConfig({ JWT_PUBLIC_KEY: publicPem }));
  const signed = (key: KeyObject, algorithm: string = alg) =>
    new SignJWT({ sub: 'ada', exp: now() + 60 }).setProtectedHeader({ alg: algorithm }).sign(key);

  it('accepts a token of the matching private key', async () => {
    await expect(authenticator.authenticate(withToken(await signed(privateKey)))).resolves.toMatchObject({ user: { id: 'ada' } });
  });

  it('refuses algorithm confusion: HS256 keyed with the public key PEM', async () => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'ada', exp: now() + 60 })}`;
    await rejected(authenticator, `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`);
  });

  it('refuses another key pair and the other algorithm family', async () => {
    await rejected(authenticator, await signed(pair().privateKey));
    const other =
      type === 'rsa'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
        : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await rejected(authenticator, await signed(other, alg === 'RS256' ? 'ES256' : 'RS256'));
  });
});
