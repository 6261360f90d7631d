import { type StoreMembers, storeGuard } from '../common/store-guard.js';
import type { RevocationRecord } from '../auth/session-revocations.js';
import type { AuditAction, AuditEntry, Message, RoomRestriction } from '../contract.js';

export type RestrictionKind = 'ban' | 'mute';

/** A ban or mute as stored: the contract's shape and which of the two it is. */
export interface StoredRestriction extends RoomRestriction {
  kind: RestrictionKind;
}

export interface NewAuditEntry {
  at: string;
  actor: string;
  action: AuditAction;
  userId: string;
  room: string | null;
  details: AuditEntry['details'];
}

export interface RestrictionPut {
  restriction: StoredRestriction;
  audit: NewAuditEntry;
}

export interface RestrictionRemoval {
  kind: RestrictionKind;
  room: string;
  userId: string;
  /** ISO-8601 UTC: a restriction whose until is not after this has ended and counts as absent. */
  now: string;
  /** Written only when an active restriction was removed. */
  audit: NewAuditEntry;
}

export interface RoomRestrictionsQuery {
  kind: RestrictionKind;
  room: string;
  /** Only active ones: until null or after this (ISO-8601 UTC). */
  now: string;
  /** Only user ids > after (the cursor of the previous page), in byte order. */
  after?: string;
  limit: number;
}

/**
 * Tokens issued at or before revokedAt are refused (JWT mode); handshakes under this user id are
 * refused until blockedUntil (open mode). ISO-8601 UTC.
 */
export type SessionRevocation = RevocationRecord;

export interface AuditQuery {
  /** Only entries with id > after. */
  after?: number;
  limit: number;
}

export interface ErasureStepInput {
  userId: string;
  /** deletedAt of every tombstone this erasure makes. */
  deletedAt: string;
  /** From the previous step; absent on the first. Opaque: only the engine that made it reads it. */
  cursor?: string;
}

export interface ErasureStep {
  /** Room messages this step turned into tombstones, each with its new rev (to emit message:updated). */
  roomMessages: Message[];
  /** How many direct messages this step turned into tombstones. */
  directMessages: number;
  /** Pass to the next step; undefined when the erasure is complete. */
  cursor?: string;
}

/**
 * Bans, mutes, session revocations, the audit log and erasure, in the same database as the
 * messages (the engine implements MessageStore, MembershipStore and this).
 * Contract (checked by the shared moderation suite):
 * - putRestriction replaces any restriction of the same (kind, room, userId) and writes its audit
 *   entry in the same transaction; replaced is true when an active one was there.
 * - removeRestriction deletes the row; it returns the restriction only when it was active.
 * - activeRestrictions and roomRestrictions never return ended ones (until <= now).
 * - Audit ids increase; auditPage is oldest first.
 * - eraseStep turns at most a bounded number of the user's messages into tombstones (text erased
 *   from the row, as deleteRoomMessage does; each room message takes its room's next rev), and
 *   holds the event loop (SQLite) for a bounded time per step; tombstones are left as they are,
 *   so an erasure run again finds nothing.
 */
export abstract class ModerationStore {
  abstract putRestriction(put: RestrictionPut): Promise<{ replaced: boolean }>;
  abstract removeRestriction(removal: RestrictionRemoval): Promise<StoredRestriction | undefined>;
  /** Every active ban and mute of every room (what a node loads into memory). */
  abstract activeRestrictions(now: string): Promise<StoredRestriction[]>;
  /** One page of a room's active bans or mutes, by user id. */
  abstract roomRestrictions(query: RoomRestrictionsQuery): Promise<StoredRestriction[]>;
  /** Deletes up to batchSize restrictions that ended at or before now; returns how many went. */
  abstract pruneEndedRestrictions(now: string, batchSize: number): Promise<number>;
  /** Replaces the user's revocation, with its audit entry in the same transaction. */
  abstract putRevocation(revocation: SessionRevocation, audit: NewAuditEntry): Promise<void>;
  abstract revocations(): Promise<SessionRevocation[]>;
  abstract appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  abstract auditPage(query: AuditQuery): Promise<AuditEntry[]>;
  abstract eraseStep(input: ErasureStepInput): Promise<ErasureStep>;
}

export const MODERATION_STORE_MEMBERS: StoreMembers<ModerationStore> = {
  putRestriction: 'async',
  removeRestriction: 'async',
  activeRestrictions: 'async',
  roomRestrictions: 'async',
  pruneEndedRestrictions: 'async',
  putRevocation: 'async',
  revocations: 'async',
  appendAudit: 'async',
  auditPage: 'async',
  eraseStep: 'async',
};

/** What ModerationStore is provided as: the engine behind the UNAVAILABLE guard (see storeGuard). */
export const guardModerationStore = storeGuard(ModerationStore, 'moderation store', MODERATION_STORE_MEMBERS);
