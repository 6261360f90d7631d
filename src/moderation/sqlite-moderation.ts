import type { Database, Statement } from 'better-sqlite3';
import type { AuditAction, AuditEntry } from '../contract.js';
import type {
  AuditQuery,
  NewAuditEntry,
  RestrictionKind,
  RestrictionPut,
  RestrictionRemoval,
  RoomRestrictionsQuery,
  SessionRevocation,
  StoredRestriction,
} from './moderation-store.js';

interface RestrictionRow {
  kind: RestrictionKind;
  room: string;
  user_id: string;
  reason: string | null;
  created_at: string;
  until: string | null;
  created_by: string;
}

interface RevocationRow {
  user_id: string;
  revoked_at: string;
  blocked_until: string | null;
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: AuditAction;
  user_id: string;
  room: string | null;
  details: string;
}

type Nullable = string | null;

/** The moderation statements of the SQLite store, prepared once per connection. */
export interface SqliteModerationStatements {
  restriction: Statement<[RestrictionKind, string, string], RestrictionRow>;
  putRestriction: Statement<[RestrictionKind, string, string, Nullable, string, Nullable, string]>;
  deleteRestriction: Statement<[RestrictionKind, string, string]>;
  activeRestrictions: Statement<[string], RestrictionRow>;
  firstRoomRestrictions: Statement<[RestrictionKind, string, string, number], RestrictionRow>;
  roomRestrictionsAfter: Statement<[RestrictionKind, string, string, string, number], RestrictionRow>;
  pruneEnded: Statement<[string, number]>;
  putRevocation: Statement<[string, string, Nullable]>;
  revocations: Statement<[], RevocationRow>;
  insertAudit: Statement<[string, string, AuditAction, string, Nullable, string]>;
  firstAudit: Statement<[number], AuditRow>;
  auditAfter: Statement<[number, number], AuditRow>;
}

const RESTRICTION_COLUMNS = 'kind, room, user_id, reason, created_at, until, created_by';
const AUDIT_COLUMNS = 'id, at, actor, action, user_id, room, details';
/** ISO-8601 UTC texts of one format compare as the times they name. */
const ACTIVE = '(until IS NULL OR until > ?)';

export function prepareModerationStatements(db: Database): SqliteModerationStatements {
  return {
    restriction: db.prepare(`SELECT ${RESTRICTION_COLUMNS} FROM room_restrictions WHERE kind = ? AND room = ? AND user_id = ?`),
    putRestriction: db.prepare(
      `INSERT INTO room_restrictions (${RESTRICTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, room, user_id) DO UPDATE SET
         reason = excluded.reason, created_at = excluded.created_at, until = excluded.until, created_by = excluded.created_by`,
    ),
    deleteRestriction: db.prepare('DELETE FROM room_restrictions WHERE kind = ? AND room = ? AND user_id = ?'),
    activeRestrictions: db.prepare(`SELECT ${RESTRICTION_COLUMNS} FROM room_restrictions WHERE ${ACTIVE}`),
    // The primary key (kind, room, user_id) serves these in byte order (BINARY collation).
    firstRoomRestrictions: db.prepare(
      `SELECT ${RESTRICTION_COLUMNS} FROM room_restrictions WHERE kind = ? AND room = ? AND ${ACTIVE} ORDER BY user_id LIMIT ?`,
    ),
    roomRestrictionsAfter: db.prepare(
      `SELECT ${RESTRICTION_COLUMNS} FROM room_restrictions
       WHERE kind = ? AND room = ? AND user_id > ? AND ${ACTIVE} ORDER BY user_id LIMIT ?`,
    ),
    pruneEnded: db.prepare(
      `DELETE FROM room_restrictions WHERE (kind, room, user_id) IN
         (SELECT kind, room, user_id FROM room_restrictions WHERE until IS NOT NULL AND until <= ? LIMIT ?)`,
    ),
    putRevocation: db.prepare(
      `INSERT INTO session_revocations (user_id, revoked_at, blocked_until) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET revoked_at = excluded.revoked_at, blocked_until = excluded.blocked_until`,
    ),
    revocations: db.prepare('SELECT user_id, revoked_at, blocked_until FROM session_revocations'),
    insertAudit: db.prepare('INSERT INTO audit_log (at, actor, action, user_id, room, details) VALUES (?, ?, ?, ?, ?, ?)'),
    firstAudit: db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY id LIMIT ?`),
    auditAfter: db.prepare(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE id > ? ORDER BY id LIMIT ?`),
  };
}

// ---- writes: each runs inside a group-commit transaction, so a change and its audit entry commit together ----

export function writeRestriction(statements: SqliteModerationStatements, { restriction, audit }: RestrictionPut): { replaced: boolean } {
  const { kind, room, userId, reason, createdAt, until, by } = restriction;
  const previous = statements.restriction.get(kind, room, userId);
  statements.putRestriction.run(kind, room, userId, reason, createdAt, until, by);
  writeAudit(statements, audit);
  return { replaced: previous !== undefined && isActive(previous, createdAt) };
}

/** Deletes an ended restriction too, but answers and audits only an active one. */
export function writeRestrictionRemoval(
  statements: SqliteModerationStatements,
  { kind, room, userId, now, audit }: RestrictionRemoval,
): StoredRestriction | undefined {
  const row = statements.restriction.get(kind, room, userId);
  if (row === undefined) return undefined;
  statements.deleteRestriction.run(kind, room, userId);
  if (!isActive(row, now)) return undefined;
  writeAudit(statements, audit);
  return restrictionFromRow(row);
}

export function writeRevocation(statements: SqliteModerationStatements, revocation: SessionRevocation, audit: NewAuditEntry): void {
  statements.putRevocation.run(revocation.userId, revocation.revokedAt, revocation.blockedUntil);
  writeAudit(statements, audit);
}

export function writeAudit(statements: SqliteModerationStatements, entry: NewAuditEntry): AuditEntry {
  const { at, actor, action, userId, room, details } = entry;
  const { lastInsertRowid } = statements.insertAudit.run(at, actor, action, userId, room, JSON.stringify(details));
  return { id: Number(lastInsertRowid), at, actor, action, userId, room, details: { ...details } };
}

export function writePruneEnded(statements: SqliteModerationStatements, now: string, batchSize: number): number {
  return statements.pruneEnded.run(now, batchSize).changes;
}

// ---- reads ----

export function readActiveRestrictions(statements: SqliteModerationStatements, now: string): StoredRestriction[] {
  return statements.activeRestrictions.all(now).map(restrictionFromRow);
}

export function readRoomRestrictions(statements: SqliteModerationStatements, query: RoomRestrictionsQuery): StoredRestriction[] {
  const { kind, room, now, after, limit } = query;
  const rows =
    after === undefined
      ? statements.firstRoomRestrictions.all(kind, room, now, limit)
      : statements.roomRestrictionsAfter.all(kind, room, after, now, limit);
  return rows.map(restrictionFromRow);
}

export function readRevocations(statements: SqliteModerationStatements): SessionRevocation[] {
  return statements.revocations.all().map((row) => ({ userId: row.user_id, revokedAt: row.revoked_at, blockedUntil: row.blocked_until }));
}

export function readAuditPage(statements: SqliteModerationStatements, { after, limit }: AuditQuery): AuditEntry[] {
  const rows = after === undefined ? statements.firstAudit.all(limit) : statements.auditAfter.all(after, limit);
  return rows.map(auditFromRow);
}

function restrictionFromRow(row: RestrictionRow): StoredRestriction {
  return {
    kind: row.kind,
    room: row.room,
    userId: row.user_id,
    reason: row.reason,
    createdAt: row.created_at,
    until: row.until,
    by: row.created_by,
  };
}

function auditFromRow(row: AuditRow): AuditEntry {
  const details = JSON.parse(row.details) as AuditEntry['details'];
  return { id: row.id, at: row.at, actor: row.actor, action: row.action, userId: row.user_id, room: row.room, details };
}

function isActive(row: Pick<RestrictionRow, 'until'>, now: string): boolean {
  return row.until === null || row.until > now;
}
