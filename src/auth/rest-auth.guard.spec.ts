import { beforeAll, describe, expect, it } from '@jest/globals';
import { type ExecutionContext, Logger } from '@nestjs/common';
import { SignJWT } from 'jose';
import { ErrorCode } from '../common/error-code.js';
import { type AppConfig, loadConfig } from '../config/app-config.js';
import type { Authenticator } from './credentials.js';
import { JwtAuthenticator } from './jwt.authenticator.js';
import { OpenAuthenticator } from './open.authenticator.js';
import { AdminGuard, API_KEY_ACTOR, type AuthenticatedRequest, OwnerOrAdminGuard, ReaderGuard } from './rest-auth.guard.js';

// The classes under test log through Nest's Logger; their messages are not what is tested here.
beforeAll(() => Logger.overrideLogger(false));

const SECRET = 'unit-test-secret-that-is-long-enough-0123';
const jwtConfig = loadConfig({ JWT_SECRET: SECRET, ADMIN_API_KEY: 'api-key' });
const openConfig = loadConfig({ ADMIN_API_KEY: 'api-key' });
const jwt = new JwtAuthenticator(jwtConfig);
const open = new OpenAuthenticator(openConfig);

function token(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ exp: Math.floor(Date.now() / 1000) + 60, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
}

function context(
  headers: Record<string, string>,
  params: Record<string, string> = {},
): { ctx: ExecutionContext; request: AuthenticatedRequest } {
  const request = { headers, params } as unknown as AuthenticatedRequest;
  const ctx = { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  return { ctx, request };
}

async function outcome(guard: ReaderGuard | AdminGuard, headers: Record<string, string>): Promise<true | ErrorCode> {
  try {
    return (await guard.canActivate(context(headers).ctx)) as true;
  } catch (error) {
    return (error as { code: ErrorCode }).code;
  }
}

const reader = (auth: Authenticator, config: AppConfig) => new ReaderGuard(auth, config);
const admin = (auth: Authenticator, config: AppConfig) => new AdminGuard(auth, config);

describe('ReaderGuard', () => {
  it('lets everyone read in open mode', async () => {
    await expect(outcome(reader(open, openConfig), {})).resolves.toBe(true);
  });

  it('needs a valid Bearer token in JWT mode and keeps the identity for access checks', async () => {
    const guard = reader(jwt, jwtConfig);
    await expect(outcome(guard, {})).resolves.toBe(ErrorCode.UNAUTHORIZED);
    await expect(outcome(guard, { 'x-api-key': 'api-key' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
    await expect(outcome(guard, { authorization: 'Bearer nope' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
    const { ctx, request } = context({ authorization: `Bearer ${await token({ sub: 'ada', rooms: ['a'] })}` });
    await expect(guard.canActivate(ctx)).resolves.toBe(true);
    expect(request.identity).toMatchObject({ user: { id: 'ada' }, allowedRooms: ['a'] });
  });
});

describe('AdminGuard', () => {
  it('accepts the exact X-Api-Key in both modes', async () => {
    for (const [auth, config] of [
      [jwt, jwtConfig],
      [open, openConfig],
    ] as const) {
      const guard = admin(auth, config);
      await expect(outcome(guard, { 'x-api-key': 'api-key' })).resolves.toBe(true);
      await expect(outcome(guard, { 'x-api-key': 'api-kez' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
      await expect(outcome(guard, {})).resolves.toBe(ErrorCode.UNAUTHORIZED);
    }
  });

  it('accepts ADMIN_API_KEY as the Bearer token in both modes, for clients that only send Authorization', async () => {
    for (const [auth, config] of [
      [jwt, jwtConfig],
      [open, openConfig],
    ] as const) {
      const guard = admin(auth, config);
      await expect(outcome(guard, { authorization: 'Bearer api-key' })).resolves.toBe(true);
      await expect(outcome(guard, { authorization: 'Bearer api-kez' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
      await expect(outcome(guard, { authorization: 'Basic api-key' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
    }
    const noKey = loadConfig({});
    await expect(outcome(admin(new OpenAuthenticator(noKey), noKey), { authorization: 'Bearer undefined' })).resolves.toBe(
      ErrorCode.UNAUTHORIZED,
    );
  });

  it('accepts a role admin token in JWT mode and refuses other tokens with FORBIDDEN', async () => {
    const guard = admin(jwt, jwtConfig);
    await expect(outcome(guard, { authorization: `Bearer ${await token({ sub: 'boss', role: 'admin' })}` })).resolves.toBe(true);
    await expect(outcome(guard, { authorization: `Bearer ${await token({ sub: 'ada' })}` })).resolves.toBe(ErrorCode.FORBIDDEN);
    await expect(outcome(guard, { authorization: 'Bearer forged' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
  });

  it("names the actor for the audit log: the admin token's user, or the API key", async () => {
    const guard = admin(jwt, jwtConfig);
    const byToken = context({ authorization: `Bearer ${await token({ sub: 'boss', role: 'admin' })}` });
    await expect(guard.canActivate(byToken.ctx)).resolves.toBe(true);
    expect(byToken.request.actor).toBe('boss');
    const byKey = context({ 'x-api-key': 'api-key' });
    await expect(guard.canActivate(byKey.ctx)).resolves.toBe(true);
    expect(byKey.request.actor).toBe(API_KEY_ACTOR);
  });

  it('ignores Bearer tokens in open mode and refuses everything without a configured key', async () => {
    await expect(
      outcome(admin(open, openConfig), { authorization: `Bearer ${await token({ sub: 'boss', role: 'admin' })}` }),
    ).resolves.toBe(ErrorCode.UNAUTHORIZED);
    const noKey = loadConfig({});
    await expect(outcome(admin(new OpenAuthenticator(noKey), noKey), { 'x-api-key': '' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
    await expect(outcome(admin(new OpenAuthenticator(noKey), noKey), { 'x-api-key': 'undefined' })).resolves.toBe(ErrorCode.UNAUTHORIZED);
  });
});

describe('OwnerOrAdminGuard (/users/:id/...)', () => {
  async function ownerOutcome(auth: Authenticator, config: AppConfig, headers: Record<string, string>, id = 'ada') {
    const { ctx, request } = context(headers, { id });
    try {
      await new OwnerOrAdminGuard(auth, config).canActivate(ctx);
      return { allowed: true, identity: request.identity };
    } catch (error) {
      return { allowed: false, code: (error as { code: ErrorCode }).code };
    }
  }

  it('lets admin credentials through in both modes, without an identity (nothing is narrowed)', async () => {
    for (const [auth, config] of [
      [jwt, jwtConfig],
      [open, openConfig],
    ] as const) {
      await expect(ownerOutcome(auth, config, { 'x-api-key': 'api-key' })).resolves.toEqual({ allowed: true, identity: undefined });
      await expect(ownerOutcome(auth, config, { authorization: 'Bearer api-key' })).resolves.toEqual({
        allowed: true,
        identity: undefined,
      });
      await expect(ownerOutcome(auth, config, {})).resolves.toEqual({ allowed: false, code: ErrorCode.UNAUTHORIZED });
      await expect(ownerOutcome(auth, config, { 'x-api-key': 'api-kez' })).resolves.toEqual({
        allowed: false,
        code: ErrorCode.UNAUTHORIZED,
      });
    }
    const adminToken = await token({ sub: 'root', role: 'admin' });
    await expect(ownerOutcome(jwt, jwtConfig, { authorization: `Bearer ${adminToken}` })).resolves.toEqual({
      allowed: true,
      identity: undefined,
    });
  });

  it("in JWT mode lets the user through with their own token and keeps the identity; another user's token is FORBIDDEN", async () => {
    const own = await token({ sub: 'ada', rooms: ['team-*'] });
    await expect(ownerOutcome(jwt, jwtConfig, { authorization: `Bearer ${own}` })).resolves.toEqual({
      allowed: true,
      identity: expect.objectContaining({ user: expect.objectContaining({ id: 'ada' }), allowedRooms: ['team-*'] }),
    });
    await expect(ownerOutcome(jwt, jwtConfig, { authorization: `Bearer ${own}` }, 'bob')).resolves.toEqual({
      allowed: false,
      code: ErrorCode.FORBIDDEN,
    });
    await expect(ownerOutcome(jwt, jwtConfig, { authorization: 'Bearer not-a-token' })).resolves.toEqual({
      allowed: false,
      code: ErrorCode.UNAUTHORIZED,
    });
  });

  it('in open mode knows no user token: only admin credentials', async () => {
    await expect(ownerOutcome(open, openConfig, { authorization: 'Bearer ada' })).resolves.toEqual({
      allowed: false,
      code: ErrorCode.UNAUTHORIZED,
    });
  });
});
