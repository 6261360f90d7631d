import { describe, expect, it } from '@jest/globals';
import type { AuditEntry } from '../contract.js';
import { AUDIT_PAGE_DEFAULT, AuditService } from './audit.service.js';
import type { AuditQuery, ModerationStore, NewAuditEntry } from './moderation-store.js';

function storeOf(count: number) {
  const entries: AuditEntry[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    at: '2030-01-01T00:00:00.000Z',
    actor: 'boss',
    action: 'ban',
    userId: `u${i}`,
    room: 'lobby',
    details: {},
  }));
  const queries: AuditQuery[] = [];
  const store = {
    async auditPage(query: AuditQuery) {
      queries.push(query);
      return entries.filter((entry) => entry.id > (query.after ?? 0)).slice(0, query.limit);
    },
    async appendAudit(entry: NewAuditEntry) {
      const stored = { id: entries.length + 1, ...entry };
      entries.push(stored);
      return stored;
    },
  } as unknown as ModerationStore;
  return { store, queries };
}

describe('AuditService', () => {
  it('pages oldest first, with next the last id while more follow and null on the last page', async () => {
    const { store } = storeOf(5);
    const audit = new AuditService(store);
    const first = await audit.page({ limit: 2 });
    expect(first.entries.map((entry) => entry.id)).toEqual([1, 2]);
    expect(first.next).toBe(2);
    const second = await audit.page({ after: 2, limit: 3 });
    expect(second).toEqual({ entries: expect.any(Array), next: null });
    expect(second.entries.map((entry) => entry.id)).toEqual([3, 4, 5]);
    expect(await audit.page({ after: 5 })).toEqual({ entries: [], next: null });
  });

  it(`asks the store for one more than the page (default ${AUDIT_PAGE_DEFAULT}) to know whether another follows`, async () => {
    const { store, queries } = storeOf(0);
    await new AuditService(store).page({});
    expect(queries).toEqual([{ after: undefined, limit: AUDIT_PAGE_DEFAULT + 1 }]);
  });

  it('stamps a recorded entry with the time', async () => {
    const { store } = storeOf(0);
    const before = Date.now();
    const entry = await new AuditService(store).record({ actor: 'boss', action: 'erase', userId: 'ada', room: null, details: {} });
    expect(entry).toMatchObject({ id: 1, actor: 'boss', action: 'erase' });
    expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(before);
  });
});
