import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ExtendedError } from 'socket.io';
import { Authenticator, type Credentials } from '../auth/credentials.js';
import { RevocationCheckingAuthenticator } from '../auth/revocation-checking.authenticator.js';
import { SessionRevocations } from '../auth/session-revocations.js';
import { loadConfig } from '../config/app-config.js';
import type { SocketData } from '../contract.js';
import type { DrainState } from '../health/drain-state.js';
import type { AddressConnectionCounter } from '../limits/address-connection-counter.js';
import type { HandshakeRateLimiter } from '../limits/handshake-rate-limiter.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { ChatServer, ChatSocket } from './chat-socket.js';
import { HandshakeService } from './handshake.service.js';

Logger.overrideLogger(false);

const issuedAt = Date.parse('2030-01-01T12:00:00.000Z');
const mallory: SocketData = { user: { id: 'mallory', name: 'Mallory' }, isAdmin: false, issuedAt, expiresAt: issuedAt + 3_600_000 };

class Fixed extends Authenticator {
  async authenticate(_credentials: Credentials): Promise<SocketData> {
    return mallory;
  }
}

type Middleware = (socket: ChatSocket, next: (err?: ExtendedError) => void) => void;

/** A handshake whose presence lookup (its last await) is held until released. */
function harness() {
  const revocations = new SessionRevocations();
  let release!: (count: number) => void;
  const presence = { connectionCount: () => new Promise<number>((resolve) => (release = resolve)) } as unknown as PresenceService;
  const addresses = { attach: () => undefined, claimSocket: () => () => undefined } as unknown as AddressConnectionCounter;
  const service = new HandshakeService(
    new RevocationCheckingAuthenticator(new Fixed(), revocations, 'jwt'),
    presence,
    addresses,
    { take: () => 0 } as unknown as HandshakeRateLimiter,
    { draining: false } as DrainState,
    loadConfig({ JWT_SECRET: 'unit-test-secret-that-is-long-enough-0123' }),
  );
  let middleware!: Middleware;
  service.attach({ use: (fn: Middleware) => (middleware = fn) } as unknown as ChatServer);
  const noop = (): void => undefined;
  const socket = {
    id: 'socket-1',
    nsp: { name: '/' },
    handshake: { auth: { token: 't' }, headers: {} },
    request: {},
    conn: { readyState: 'open', once: noop, off: noop },
    once: noop,
    off: noop,
  } as unknown as ChatSocket;
  const outcome = new Promise<ExtendedError | undefined>((resolve) => middleware(socket, resolve));
  return { revocations, release: (count: number) => release(count), outcome, socket };
}

describe('HandshakeService and revocations', () => {
  it('refuses a handshake when the revocation was applied while it awaited its connection count', async () => {
    const { revocations, release, outcome, socket } = harness();
    await new Promise((resolve) => setImmediate(resolve));
    revocations.put({ userId: 'mallory', revokedAt: new Date(issuedAt).toISOString(), blockedUntil: null });
    release(0);
    const error = await outcome;
    expect(error?.message).toBe('UNAUTHORIZED');
    expect((error as { data?: { message: string } }).data?.message).toContain('were revoked');
    expect(socket.data).toBeUndefined();
  });

  it('admits the same handshake when nothing was revoked', async () => {
    const { release, outcome, socket } = harness();
    await new Promise((resolve) => setImmediate(resolve));
    release(0);
    await expect(outcome).resolves.toBeUndefined();
    expect(socket.data).toBe(mallory);
  });
});
