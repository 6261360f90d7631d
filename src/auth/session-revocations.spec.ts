import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../common/error-code.js';
import { SessionRevocations } from './session-revocations.js';

const REVOKED_AT = '2030-01-01T12:00:00.400Z';
const revokedMs = Date.parse(REVOKED_AT);
const ada = { user: { id: 'ada', name: 'Ada' } };

function refusal(action: () => void): ErrorCode | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return (error as { code: ErrorCode }).code;
  }
}

describe('SessionRevocations', () => {
  it('JWT mode: refuses tokens issued up to the revocation, the same whole second included, and tokens without iat', () => {
    const revocations = new SessionRevocations();
    revocations.put({ userId: 'ada', revokedAt: REVOKED_AT, blockedUntil: null });
    const sameSecond = Math.floor(revokedMs / 1000) * 1000;
    for (const issuedAt of [sameSecond - 60_000, sameSecond, undefined]) {
      expect(refusal(() => revocations.assertNotRevoked({ ...ada, issuedAt }, 'jwt'))).toBe(ErrorCode.UNAUTHORIZED);
    }
    expect(refusal(() => revocations.assertNotRevoked({ ...ada, issuedAt: sameSecond + 1000 }, 'jwt'))).toBeUndefined();
    expect(refusal(() => revocations.assertNotRevoked({ user: { id: 'bob', name: 'Bob' } }, 'jwt'))).toBeUndefined();
    expect(() => revocations.assertNotRevoked({ ...ada, issuedAt: sameSecond }, 'jwt')).toThrow(
      `tokens issued up to ${REVOKED_AT} were revoked: present a newer token`,
    );
  });

  it('open mode: refuses the user id until blockedUntil, then lets it in again', () => {
    const revocations = new SessionRevocations();
    const blockedUntil = '2030-01-01T12:05:00.400Z';
    revocations.put({ userId: 'ada', revokedAt: REVOKED_AT, blockedUntil });
    const until = Date.parse(blockedUntil);
    expect(refusal(() => revocations.assertNotRevoked(ada, 'open', until - 1))).toBe(ErrorCode.UNAUTHORIZED);
    expect(() => revocations.assertNotRevoked(ada, 'open', until - 1)).toThrow(`connections as ada are blocked until ${blockedUntil}`);
    expect(refusal(() => revocations.assertNotRevoked(ada, 'open', until))).toBeUndefined();
  });

  it('keeps one revocation per user, the latest put, and replaces everything on a load', () => {
    const revocations = new SessionRevocations();
    revocations.put({ userId: 'ada', revokedAt: REVOKED_AT, blockedUntil: null });
    const later = { userId: 'ada', revokedAt: '2030-01-02T00:00:00.000Z', blockedUntil: null };
    revocations.put(later);
    expect(revocations.get('ada')).toEqual(later);
    expect(revocations.size).toBe(1);
    revocations.replaceAll([{ userId: 'bob', revokedAt: REVOKED_AT, blockedUntil: null }]);
    expect(revocations.get('ada')).toBeUndefined();
    expect(revocations.size).toBe(1);
  });
});
