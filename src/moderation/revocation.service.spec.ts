import { describe, expect, it } from '@jest/globals';
import type { ChatEmitter } from '../chat/chat-emitter.js';
import { loadConfig } from '../config/app-config.js';
import type { ModerationNotice } from './moderation-notice.js';
import type { ModerationStore, NewAuditEntry, SessionRevocation } from './moderation-store.js';
import type { ModerationSync } from './moderation-sync.js';
import { RevocationService } from './revocation.service.js';

const JWT = loadConfig({ JWT_SECRET: 'unit-test-secret-that-is-long-enough-0123' });
const OPEN = loadConfig({});

function harness(config = OPEN) {
  const steps: string[] = [];
  const puts: Array<{ revocation: SessionRevocation; audit: NewAuditEntry }> = [];
  const notices: ModerationNotice[] = [];
  const store = {
    async putRevocation(revocation: SessionRevocation, audit: NewAuditEntry) {
      steps.push('store');
      puts.push({ revocation, audit });
    },
  } as unknown as ModerationStore;
  const sync = {
    async publish(notice: ModerationNotice) {
      steps.push('publish');
      notices.push(notice);
    },
  } as unknown as ModerationSync;
  const emitter = {
    async disconnectUser(userId: string) {
      steps.push(`disconnect ${userId}`);
      return 2;
    },
  } as unknown as ChatEmitter;
  return { service: new RevocationService(store, sync, emitter, config), steps, puts, notices };
}

describe('RevocationService', () => {
  it('without revoke only closes the sockets, as v1 did', async () => {
    const { service, steps } = harness();
    await expect(service.disconnect({ userId: 'ada', revoke: false }, 'boss')).resolves.toEqual({ disconnected: 2 });
    expect(steps).toEqual(['disconnect ada']);
  });

  it('open mode: records, audits and publishes a block of DEFAULT seconds before the sockets close', async () => {
    const { service, steps, puts, notices } = harness();
    const before = Date.now();
    const result = await service.disconnect({ userId: 'ada', revoke: true }, 'admin-api-key');
    expect(steps).toEqual(['store', 'publish', 'disconnect ada']);
    const revocation = result.revocation!;
    expect(result).toEqual({ disconnected: 2, revocation });
    const revokedMs = Date.parse(revocation.revokedAt);
    expect(revokedMs).toBeGreaterThanOrEqual(before);
    expect(Date.parse(revocation.blockedUntil!) - revokedMs).toBe(300_000);
    expect(puts).toEqual([
      {
        revocation,
        audit: {
          at: revocation.revokedAt,
          actor: 'admin-api-key',
          action: 'revoke',
          userId: 'ada',
          room: null,
          details: { revokedAt: revocation.revokedAt, blockedUntil: revocation.blockedUntil },
        },
      },
    ]);
    expect(notices).toEqual([{ type: 'revoke', revocation }]);
  });

  it('open mode: blocks for the seconds given', async () => {
    const { service } = harness();
    const { revocation } = await service.disconnect({ userId: 'ada', revoke: true, seconds: 2 }, 'boss');
    expect(Date.parse(revocation!.blockedUntil!) - Date.parse(revocation!.revokedAt)).toBe(2000);
  });

  it('JWT mode: no block end, a newer token is the way back', async () => {
    const { service, puts } = harness(JWT);
    const { revocation } = await service.disconnect({ userId: 'ada', revoke: true, seconds: 2 }, 'boss');
    expect(revocation).toEqual({ userId: 'ada', revokedAt: expect.any(String), blockedUntil: null });
    expect(puts[0]!.audit).toMatchObject({ actor: 'boss', details: { blockedUntil: null } });
  });
});
