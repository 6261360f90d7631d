import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../common/error-code.js';
import { AppError } from '../common/app-error.js';
import type { SocketData } from '../contract.js';
import { Authenticator, type Credentials } from './credentials.js';
import { RevocationCheckingAuthenticator } from './revocation-checking.authenticator.js';
import { SessionRevocations } from './session-revocations.js';

class Fixed extends Authenticator {
  calls = 0;
  constructor(private readonly identity: SocketData | AppError) {
    super();
  }

  async authenticate(_credentials: Credentials): Promise<SocketData> {
    this.calls += 1;
    if (this.identity instanceof AppError) throw this.identity;
    return this.identity;
  }
}

const credentials: Credentials = { auth: {}, headers: {} };
const issuedAt = Date.parse('2030-01-01T12:00:00.000Z');
const ada: SocketData = { user: { id: 'ada', name: 'Ada' }, isAdmin: false, issuedAt, expiresAt: issuedAt + 3_600_000 };

describe('RevocationCheckingAuthenticator', () => {
  it("returns the mode's identity while nothing is revoked", async () => {
    const inner = new Fixed(ada);
    await expect(new RevocationCheckingAuthenticator(inner, new SessionRevocations(), 'jwt').authenticate(credentials)).resolves.toBe(ada);
    expect(inner.calls).toBe(1);
  });

  it('refuses a revoked token with UNAUTHORIZED, and accepts one issued a second after the revocation', async () => {
    const revocations = new SessionRevocations();
    revocations.put({ userId: 'ada', revokedAt: new Date(issuedAt + 999).toISOString(), blockedUntil: null });
    const checking = new RevocationCheckingAuthenticator(new Fixed(ada), revocations, 'jwt');
    await expect(checking.authenticate(credentials)).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    const newer = new RevocationCheckingAuthenticator(new Fixed({ ...ada, issuedAt: issuedAt + 1000 }), revocations, 'jwt');
    await expect(newer.authenticate(credentials)).resolves.toMatchObject({ user: ada.user });
  });

  it("passes the mode's own refusal through unchanged", async () => {
    const refused = AppError.unauthorized('token is invalid or expired');
    const checking = new RevocationCheckingAuthenticator(new Fixed(refused), new SessionRevocations(), 'jwt');
    await expect(checking.authenticate(credentials)).rejects.toBe(refused);
  });

  it('checks again on demand, seeing a revocation applied after authenticate', async () => {
    const revocations = new SessionRevocations();
    const checking = new RevocationCheckingAuthenticator(new Fixed(ada), revocations, 'open');
    const identity = await checking.authenticate(credentials);
    revocations.put({ userId: 'ada', revokedAt: new Date().toISOString(), blockedUntil: new Date(Date.now() + 60_000).toISOString() });
    expect(() => checking.assertNotRevoked(identity)).toThrow('connections as ada are blocked until');
  });
});
