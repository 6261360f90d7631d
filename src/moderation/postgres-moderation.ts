import type { AuditEntry, Message } from '../contract.js';
import type { Queryable, TransactionRunner } from '../memberships/postgres-memberships.js';
import { isoTime, ROOM_MESSAGE_COLUMNS, roomMessageFromRow, type RoomMessageRow } from '../messages/message-rows.js';
import { qualified } from '../messages/postgres-statements.js';
import { ERASURE_STEP_MAX_MESSAGES } from './erasure-limits.js';
import type {
  AuditQuery,
  ErasureStep,
  ErasureStepInput,
  NewAuditEntry,
  RestrictionKind,
  RestrictionPut,
  RestrictionRemoval,
  RoomRestrictionsQuery,
  SessionRevocation,
  StoredRestriction,
} from './moderation-store.js';

/**
 * Rows read per erasure step when few of them are the user's: no index leads from a sender to
 * their messages, so an erasure walks each table in key order, this many rows at a time.
 */
export const ERASURE_SCAN_ROWS = 10_000;

const RESTRICTION_COLUMNS = 'kind, room, user_id, reason, created_at, until, created_by';
const AUDIT_COLUMNS = 'id, at, actor, action, user_id, room, details';

/** Advisory lock keys, apart from the conversation keys and membership caps of the message store. */
const AUDIT_LOCK_KEY = 'audit_log\n';
const RESTRICTION_LOCK_PREFIX = 'room_restrictions\n';

/**
 * Appends one audit entry. Identity values are taken when a row is inserted but become visible
 * when their transaction commits, so two writers could commit ids 8 and 7 in that order, and a
 * reader paging `id > 7` between the two commits would skip 7 for good. The transaction-level
 * lock (held to COMMIT) is taken before the id is, so ids are taken and committed one writer at a
 * time, in order. Every transaction takes it as its last lock, so it never closes a deadlock cycle.
 */
const APPEND_AUDIT = `WITH turn AS (SELECT pg_advisory_xact_lock(hashtextextended('${AUDIT_LOCK_KEY}', 0)))
  INSERT INTO audit_log (at, actor, action, user_id, room, details)
  SELECT $1, $2, $3, $4, $5, $6::jsonb FROM turn
  RETURNING ${AUDIT_COLUMNS}`;

export const PG_MODERATION = {
  /** $1 at, $2 actor, $3 action, $4 user id, $5 room, $6 details (JSON). */
  appendAudit: { name: 'chat_append_audit', text: APPEND_AUDIT },
  /** $1 after, $2 limit. */
  auditPage: {
    name: 'chat_audit_page',
    text: `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`,
  },
  /**
   * One (kind, room, user) at a time across processes: the statement after this one reads the
   * row another put or removal inserted just before, which a snapshot taken earlier would miss.
   */
  lockRestriction: {
    name: 'chat_lock_restriction',
    text: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
  },
  /**
   * $1 kind, $2 room, $3 user id, $4 createdAt of the new one: whether one is there that is still
   * active then. The row stays locked to the upsert, so pruning cannot take it in between.
   */
  previousRestriction: {
    name: 'chat_previous_restriction',
    text: `SELECT (until IS NULL OR until > $4) AS active FROM room_restrictions
           WHERE kind = $1 AND room = $2 AND user_id = $3 FOR UPDATE`,
  },
  /** $1 kind, $2 room, $3 user id, $4 reason, $5 createdAt, $6 until, $7 by. */
  putRestriction: {
    name: 'chat_put_restriction',
    text: `INSERT INTO room_restrictions AS restriction (${RESTRICTION_COLUMNS})
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (kind, room, user_id) DO UPDATE
           SET reason = EXCLUDED.reason, created_at = EXCLUDED.created_at, until = EXCLUDED.until, created_by = EXCLUDED.created_by`,
  },
  /** $1 kind, $2 room, $3 user id: the row as it was, ended or not. */
  removeRestriction: {
    name: 'chat_remove_restriction',
    text: `DELETE FROM room_restrictions WHERE kind = $1 AND room = $2 AND user_id = $3 RETURNING ${RESTRICTION_COLUMNS}`,
  },
  /** $1 now. */
  activeRestrictions: {
    name: 'chat_active_restrictions',
    text: `SELECT ${RESTRICTION_COLUMNS} FROM room_restrictions WHERE until IS NULL OR until > $1
           ORDER BY kind, room, user_id`,
  },
  /** $1 kind, $2 room, $3 now, $4 after (null: from the start), $5 limit; user ids in byte order. */
  roomRestrictions: {
    name: 'chat_room_restrictions',
    text: `SELECT ${RESTRICTION_COLUMNS} FROM room_restrictions
           WHERE kind = $1 AND room = $2 AND (until IS NULL OR until > $3) AND ($4::text IS NULL OR user_id > $4)
           ORDER BY user_id LIMIT $5`,
  },
  /**
   * $1 now, $2 batch size. Rows a put holds are skipped, not waited for; the outer `until` test is
   * checked again against the newest row version, so a restriction a put renewed meanwhile stays.
   */
  pruneEndedRestrictions: {
    name: 'chat_prune_ended_restrictions',
    text: `DELETE FROM room_restrictions
           WHERE until <= $1 AND (kind, room, user_id) IN (
             SELECT kind, room, user_id FROM room_restrictions WHERE until <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  },
  /** $1 user id, $2 revokedAt, $3 blockedUntil. */
  putRevocation: {
    name: 'chat_put_revocation',
    text: `INSERT INTO session_revocations (user_id, revoked_at, blocked_until) VALUES ($1, $2, $3)
           ON CONFLICT (user_id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at, blocked_until = EXCLUDED.blocked_until`,
  },
  revocations: {
    name: 'chat_revocations',
    text: 'SELECT user_id, revoked_at, blocked_until FROM session_revocations ORDER BY user_id',
  },
  /**
   * $1 room, $2 seq (exclusive start), $3 rows to read, $4 user id, $5 most to take. Reads the next
   * rows in primary-key order and names the user's live ones among them, and the last key read.
   */
  scanRoomMessages: {
    name: 'chat_erasure_scan_rooms',
    text: `WITH scanned AS MATERIALIZED (
             SELECT room, seq, sender_id, deleted_at FROM room_messages
             WHERE (room, seq) > ($1, $2) ORDER BY room, seq LIMIT $3
           ), mine AS (
             SELECT room, seq FROM scanned WHERE sender_id = $4 AND deleted_at IS NULL ORDER BY room, seq LIMIT $5
           ), last AS (
             SELECT room, seq FROM scanned ORDER BY room DESC, seq DESC LIMIT 1
           )
           SELECT (SELECT count(*) FROM scanned) AS scanned,
                  (SELECT room FROM last) AS last_room, (SELECT seq FROM last) AS last_seq,
                  COALESCE((SELECT array_agg(room ORDER BY room, seq) FROM mine), '{}') AS rooms,
                  COALESCE((SELECT array_agg(seq ORDER BY room, seq) FROM mine), '{}') AS seqs`,
  },
  /**
   * $1 rooms. The counter rows of every room a step changes, locked in one order (the sort runs
   * before the locks are taken) so two steps never deadlock, and before any message row: an edit,
   * deletion or send in these rooms waits for the step, one in any other room does not.
   */
  lockErasureRooms: {
    name: 'chat_erasure_lock_rooms',
    text: 'SELECT room FROM room_seqs WHERE room = ANY($1::text[]) ORDER BY room FOR NO KEY UPDATE',
  },
  /**
   * $1 rooms, $2 seqs, $3 user id, $4 deletedAt; runs after lockErasureRooms, so its snapshot has
   * the newest counters and no edit or deletion of these rooms can commit meanwhile. The message
   * rows are locked first (retention skips locked rows; one it deleted first is skipped here), so
   * every row numbered is written: revs stay gap-free. The text is erased as a deletion erases it.
   */
  eraseRoomMessages: {
    name: 'chat_erasure_erase_rooms',
    text: `WITH locked AS MATERIALIZED (
             SELECT room, seq FROM room_messages
             WHERE (room, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[])) AND sender_id = $3 AND deleted_at IS NULL
             ORDER BY room, seq FOR NO KEY UPDATE
           ), numbered AS (
             SELECT locked.room, locked.seq, counter.last_rev + row_number() OVER (PARTITION BY locked.room ORDER BY locked.seq) AS rev
             FROM locked JOIN room_seqs AS counter ON counter.room = locked.room
           ), erased AS (
             UPDATE room_messages AS message SET text = '', deleted_at = $4, rev = numbered.rev
             FROM numbered WHERE message.room = numbered.room AND message.seq = numbered.seq
             RETURNING ${qualified('message', ROOM_MESSAGE_COLUMNS)}
           ), bump AS (
             UPDATE room_seqs SET last_rev = top.rev
             FROM (SELECT room, max(rev) AS rev FROM erased GROUP BY room) AS top
             WHERE room_seqs.room = top.room
           )
           SELECT ${ROOM_MESSAGE_COLUMNS} FROM erased ORDER BY room, seq`,
  },
  /**
   * $1 pk (exclusive start), $2 rows to read, $3 user id, $4 most to take, $5 deletedAt. The rows
   * are locked in pk order, so two erasures of one user queue instead of deadlocking; retention
   * skips locked rows.
   */
  eraseDirectMessages: {
    name: 'chat_erasure_erase_directs',
    text: `WITH scanned AS MATERIALIZED (
             SELECT pk, sender_id, deleted_at FROM direct_messages WHERE pk > $1 ORDER BY pk LIMIT $2
           ), mine AS MATERIALIZED (
             SELECT pk FROM scanned WHERE sender_id = $3 AND deleted_at IS NULL ORDER BY pk LIMIT $4
           ), locked AS MATERIALIZED (
             SELECT pk FROM direct_messages
             WHERE pk IN (SELECT pk FROM mine) AND sender_id = $3 AND deleted_at IS NULL
             ORDER BY pk FOR NO KEY UPDATE
           ), erased AS (
             UPDATE direct_messages AS message SET text = '', deleted_at = $5
             FROM locked WHERE message.pk = locked.pk
             RETURNING message.pk
           )
           SELECT (SELECT count(*) FROM erased) AS erased, (SELECT count(*) FROM scanned) AS scanned,
                  (SELECT count(*) FROM mine) AS taken, (SELECT max(pk) FROM scanned) AS last_scanned,
                  (SELECT max(pk) FROM mine) AS last_taken`,
  },
} as const;

interface RestrictionRow {
  kind: string;
  room: string;
  user_id: string;
  reason: string | null;
  created_at: string | Date;
  until: string | Date | null;
  created_by: string;
}

interface AuditRow {
  id: string | number;
  at: string | Date;
  actor: string;
  action: string;
  user_id: string;
  room: string | null;
  details: AuditEntry['details'];
}

interface RevocationRow {
  user_id: string;
  revoked_at: string | Date;
  blocked_until: string | Date | null;
}

interface RoomScanRow {
  scanned: string;
  last_room: string | null;
  last_seq: string | null;
  rooms: string[];
  seqs: string[];
}

interface DirectEraseRow {
  erased: string;
  scanned: string;
  taken: string;
  last_scanned: string | null;
  last_taken: string | null;
}

/**
 * Where an erasure goes on: the next room message key after (room, seq), or the next direct
 * message after pk. Room messages come first.
 */
type ErasureCursor = { rooms: { room: string; seq: number } } | { directs: number };

/** Before every key: room names are not empty, and seqs start at 1. */
const FIRST_ROOM_KEY = { room: '', seq: 0 };

/** The ModerationStore half of the PostgreSQL engine (see PostgresMessageStore). */
export class PostgresModeration {
  constructor(
    private readonly pool: () => Queryable,
    private readonly transaction: TransactionRunner,
  ) {}

  putRestriction({ restriction, audit }: RestrictionPut): Promise<{ replaced: boolean }> {
    const { kind, room, userId } = restriction;
    return this.transaction(async (client) => {
      await client.query({ ...PG_MODERATION.lockRestriction, values: [restrictionLockKey(kind, room, userId)] });
      const { rows } = await client.query<{ active: boolean }>({
        ...PG_MODERATION.previousRestriction,
        values: [kind, room, userId, restriction.createdAt],
      });
      await client.query({
        ...PG_MODERATION.putRestriction,
        values: [kind, room, userId, restriction.reason, restriction.createdAt, restriction.until, restriction.by],
      });
      await appendAuditWith(client, audit);
      return { replaced: rows[0]?.active === true };
    });
  }

  removeRestriction({ kind, room, userId, now, audit }: RestrictionRemoval): Promise<StoredRestriction | undefined> {
    return this.transaction(async (client) => {
      await client.query({ ...PG_MODERATION.lockRestriction, values: [restrictionLockKey(kind, room, userId)] });
      const { rows } = await client.query<RestrictionRow>({ ...PG_MODERATION.removeRestriction, values: [kind, room, userId] });
      const removed = rows[0] ? restrictionFromRow(rows[0]) : undefined;
      if (!removed || !activeAt(removed, now)) return undefined;
      await appendAuditWith(client, audit);
      return removed;
    });
  }

  async activeRestrictions(now: string): Promise<StoredRestriction[]> {
    const { rows } = await this.pool().query<RestrictionRow>({ ...PG_MODERATION.activeRestrictions, values: [now] });
    return rows.map(restrictionFromRow);
  }

  async roomRestrictions({ kind, room, now, after, limit }: RoomRestrictionsQuery): Promise<StoredRestriction[]> {
    const { rows } = await this.pool().query<RestrictionRow>({
      ...PG_MODERATION.roomRestrictions,
      values: [kind, room, now, after ?? null, limit],
    });
    return rows.map(restrictionFromRow);
  }

  async pruneEndedRestrictions(now: string, batchSize: number): Promise<number> {
    const { rowCount } = await this.pool().query({ ...PG_MODERATION.pruneEndedRestrictions, values: [now, batchSize] });
    return rowCount ?? 0;
  }

  putRevocation(revocation: SessionRevocation, audit: NewAuditEntry): Promise<void> {
    return this.transaction(async (client) => {
      await client.query({
        ...PG_MODERATION.putRevocation,
        values: [revocation.userId, revocation.revokedAt, revocation.blockedUntil],
      });
      await appendAuditWith(client, audit);
    });
  }

  async revocations(): Promise<SessionRevocation[]> {
    const { rows } = await this.pool().query<RevocationRow>({ ...PG_MODERATION.revocations });
    return rows.map((row) => ({
      userId: row.user_id,
      revokedAt: isoTime(row.revoked_at),
      blockedUntil: row.blocked_until === null ? null : isoTime(row.blocked_until),
    }));
  }

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return appendAuditWith(this.pool(), entry);
  }

  async auditPage({ after, limit }: AuditQuery): Promise<AuditEntry[]> {
    const { rows } = await this.pool().query<AuditRow>({ ...PG_MODERATION.auditPage, values: [after ?? 0, limit] });
    return rows.map(auditFromRow);
  }

  /**
   * Room messages first, then direct messages, each table in key order (see ERASURE_SCAN_ROWS).
   * A step changes at most ERASURE_STEP_MAX_MESSAGES messages of one table in one short transaction.
   * The old row versions keep the text until VACUUM reclaims them (see the README).
   */
  eraseStep({ userId, deletedAt, cursor }: ErasureStepInput): Promise<ErasureStep> {
    const at = parseCursor(cursor);
    return 'rooms' in at ? this.eraseRoomStep(userId, deletedAt, at.rooms) : this.eraseDirectStep(userId, deletedAt, at.directs);
  }

  private async eraseRoomStep(userId: string, deletedAt: string, after: { room: string; seq: number }): Promise<ErasureStep> {
    const { rows } = await this.pool().query<RoomScanRow>({
      ...PG_MODERATION.scanRoomMessages,
      values: [after.room, after.seq, ERASURE_SCAN_ROWS, userId, ERASURE_STEP_MAX_MESSAGES],
    });
    const scan = rows[0]!;
    const seqs = scan.seqs.map(Number);
    const roomMessages = seqs.length === 0 ? [] : await this.eraseRoomMessages(scan.rooms, seqs, userId, deletedAt);
    let next: ErasureCursor;
    if (seqs.length === ERASURE_STEP_MAX_MESSAGES) {
      next = { rooms: { room: scan.rooms[seqs.length - 1]!, seq: seqs[seqs.length - 1]! } };
    } else if (Number(scan.scanned) === ERASURE_SCAN_ROWS) {
      next = { rooms: { room: scan.last_room!, seq: Number(scan.last_seq) } };
    } else {
      next = { directs: 0 };
    }
    return { roomMessages, directMessages: 0, cursor: JSON.stringify(next) };
  }

  private eraseRoomMessages(rooms: string[], seqs: number[], userId: string, deletedAt: string): Promise<Message[]> {
    return this.transaction(async (client) => {
      await client.query({ ...PG_MODERATION.lockErasureRooms, values: [[...new Set(rooms)]] });
      const { rows } = await client.query<RoomMessageRow>({ ...PG_MODERATION.eraseRoomMessages, values: [rooms, seqs, userId, deletedAt] });
      return rows.map(roomMessageFromRow);
    });
  }

  private async eraseDirectStep(userId: string, deletedAt: string, afterPk: number): Promise<ErasureStep> {
    const { rows } = await this.pool().query<DirectEraseRow>({
      ...PG_MODERATION.eraseDirectMessages,
      values: [afterPk, ERASURE_SCAN_ROWS, userId, ERASURE_STEP_MAX_MESSAGES, deletedAt],
    });
    const step = rows[0]!;
    const directMessages = Number(step.erased);
    if (Number(step.taken) === ERASURE_STEP_MAX_MESSAGES) {
      return { roomMessages: [], directMessages, cursor: JSON.stringify({ directs: Number(step.last_taken) }) };
    }
    if (Number(step.scanned) === ERASURE_SCAN_ROWS) {
      return { roomMessages: [], directMessages, cursor: JSON.stringify({ directs: Number(step.last_scanned) }) };
    }
    return { roomMessages: [], directMessages };
  }
}

async function appendAuditWith(client: Queryable, entry: NewAuditEntry): Promise<AuditEntry> {
  const { rows } = await client.query<AuditRow>({
    ...PG_MODERATION.appendAudit,
    values: [entry.at, entry.actor, entry.action, entry.userId, entry.room, JSON.stringify(entry.details)],
  });
  return auditFromRow(rows[0]!);
}

function restrictionLockKey(kind: RestrictionKind, room: string, userId: string): string {
  return `${RESTRICTION_LOCK_PREFIX}${kind}\n${room}\n${userId}`;
}

function activeAt(restriction: StoredRestriction, now: string): boolean {
  return restriction.until === null || Date.parse(restriction.until) > Date.parse(now);
}

function restrictionFromRow(row: RestrictionRow): StoredRestriction {
  return {
    kind: row.kind as RestrictionKind,
    room: row.room,
    userId: row.user_id,
    reason: row.reason,
    createdAt: isoTime(row.created_at),
    until: row.until === null ? null : isoTime(row.until),
    by: row.created_by,
  };
}

function auditFromRow(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    at: isoTime(row.at),
    actor: row.actor,
    action: row.action as AuditEntry['action'],
    userId: row.user_id,
    room: row.room,
    details: row.details,
  };
}

function parseCursor(cursor: string | undefined): ErasureCursor {
  if (cursor === undefined) return { rooms: FIRST_ROOM_KEY };
  const parsed = JSON.parse(cursor) as Partial<{ rooms: { room: unknown; seq: unknown }; directs: unknown }>;
  if (parsed.rooms && typeof parsed.rooms.room === 'string' && Number.isSafeInteger(parsed.rooms.seq)) {
    return { rooms: { room: parsed.rooms.room, seq: parsed.rooms.seq as number } };
  }
  if (Number.isSafeInteger(parsed.directs)) return { directs: parsed.directs as number };
  throw new Error(`not a PostgreSQL erasure cursor: ${cursor}`);
}
