import { Injectable } from '@nestjs/common';
import type { AuditEntry, AuditPage } from '../contract.js';
import { ModerationStore, type NewAuditEntry } from './moderation-store.js';

export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 500;

/**
 * The audit log: who did what to whom, and when. Bans, mutes and revocations write their entry in
 * the transaction of the change itself (ModerationStore); actions that span many transactions,
 * like an erasure, record one entry when they are done.
 */
@Injectable()
export class AuditService {
  constructor(private readonly store: ModerationStore) {}

  record(entry: Omit<NewAuditEntry, 'at'>): Promise<AuditEntry> {
    return this.store.appendAudit({ at: new Date().toISOString(), ...entry });
  }

  /** Oldest first, from the entry after `after` (an id); next is the last id when more may follow. */
  async page(query: { after?: number; limit?: number }): Promise<AuditPage> {
    const limit = query.limit ?? AUDIT_PAGE_DEFAULT;
    const rows = await this.store.auditPage({ after: query.after, limit: limit + 1 });
    const entries = rows.slice(0, limit);
    return { entries, next: rows.length > limit ? entries[entries.length - 1]!.id : null };
  }
}
