import { Injectable } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { SocketData } from '../contract.js';

/** As ModerationStore keeps it (ISO-8601 UTC). */
export interface RevocationRecord {
  userId: string;
  revokedAt: string;
  blockedUntil: string | null;
}

interface Entry {
  record: RevocationRecord;
  revokedAtMs: number;
  blockedUntilMs: number;
}

/**
 * This node's copy of the session revocations (DELETE /users/:id/connections?revoke=true),
 * checked on every authentication: handshakes, auth:refresh and Bearer-token REST calls. Filled
 * by ModerationSync like RoomRestrictions.
 */
@Injectable()
export class SessionRevocations {
  private readonly byUser = new Map<string, Entry>();

  put(record: RevocationRecord): void {
    const blockedUntilMs = record.blockedUntil === null ? -Infinity : Date.parse(record.blockedUntil);
    this.byUser.set(record.userId, { record, revokedAtMs: Date.parse(record.revokedAt), blockedUntilMs });
  }

  replaceAll(records: readonly RevocationRecord[]): void {
    this.byUser.clear();
    for (const record of records) this.put(record);
  }

  get(userId: string): RevocationRecord | undefined {
    return this.byUser.get(userId)?.record;
  }

  /**
   * JWT mode: a token whose iat (whole seconds) is not later than the revocation is refused, and
   * so is one without iat. Open mode: the user id is refused until blockedUntil.
   */
  assertNotRevoked(identity: Pick<SocketData, 'user' | 'issuedAt' | 'expiresAt'>, mode: 'jwt' | 'open', nowMs = Date.now()): void {
    const entry = this.byUser.get(identity.user.id);
    if (entry === undefined) return;
    if (mode === 'jwt') {
      if (identity.issuedAt === undefined || identity.issuedAt <= entry.revokedAtMs) {
        throw AppError.unauthorized(`tokens issued up to ${entry.record.revokedAt} were revoked: present a newer token`);
      }
      return;
    }
    if (nowMs < entry.blockedUntilMs) {
      throw AppError.unauthorized(`connections as ${identity.user.id} are blocked until ${entry.record.blockedUntil}`);
    }
  }

  get size(): number {
    return this.byUser.size;
  }
}
