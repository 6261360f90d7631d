import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import type { MembershipSummary } from '../contract.js';
import type { AuditEntry, DirectMessage, Message, MessagePage } from '../contract.js';
import type {
  MarkerMove,
  Membership,
  MembershipJoin,
  MembershipState,
  MembershipStore,
  NewMembership,
  RoomMembersQuery,
} from '../memberships/membership-store.js';
import { PostgresMemberships, type Queryable } from '../memberships/postgres-memberships.js';
import { DatabaseStartError, redactDatabaseUrl } from '../database/database-error.js';
import { migratePostgres } from '../database/postgres-migrator.js';
import { inPostgresTransaction } from '../database/postgres-transaction.js';
import { QueryGate } from '../database/query-gate.js';
import type {
  AuditQuery,
  ErasureStep,
  ErasureStepInput,
  ModerationStore,
  NewAuditEntry,
  RestrictionPut,
  RestrictionRemoval,
  RoomRestrictionsQuery,
  SessionRevocation,
  StoredRestriction,
} from '../moderation/moderation-store.js';
import { PostgresModeration } from '../moderation/postgres-moderation.js';
import { toDirectMessage, toRoomMessage } from './message-shapes.js';
import {
  directMessageFromRow,
  type DirectMessageRow,
  pageFromNewestFirst,
  pageFromOldestFirst,
  roomMessageFromRow,
  type RoomMessageRow,
} from './message-rows.js';
import {
  type Appended,
  conversationKey,
  type DirectPageQuery,
  type MessageChange,
  MessageStore,
  type NewDirectMessage,
  type NewRoomMessage,
  type RoomMessageDeletion,
  type RoomMessageEdit,
  type RoomPageQuery,
  type RoomSinceQuery,
  type RoomSinceRevQuery,
  type RoomState,
} from './message-store.js';
import { DIRECT_CLIENT_ID_CONSTRAINT, PG, ROOM_CLIENT_ID_CONSTRAINT } from './postgres-statements.js';

export interface PostgresStoreOptions {
  /** postgres://user:pass@host:5432/db; `?options=-c search_path=...` picks a schema. */
  connectionString: string;
  poolSize?: number;
}

const DEFAULT_POOL_SIZE = 10;
/** An unreachable database answers UNAVAILABLE within this, instead of leaving acks hanging. */
const CONNECT_TIMEOUT_MS = 5_000;
const QUERY_TIMEOUT_MS = 10_000;
/** How long a call may queue for a free connection under load before it is answered UNAVAILABLE. */
const QUEUE_WAIT_MS = 30_000;
const IDLE_TIMEOUT_MS = 30_000;
const UNIQUE_VIOLATION = '23505';

/** An edit or deletion that raced with other changes of its message is asked again at most this often. */
const CHANGE_ATTEMPTS = 5;
const BEYOND_ANY_KEY = Number.MAX_SAFE_INTEGER;

/**
 * The store for clusters: several gateway processes share one database. Every write is a single
 * statement (see postgres-statements.ts), so a send costs one round trip and resolves after COMMIT.
 * Rooms page by seq and DMs by an identity key; both commit in key order (room row lock,
 * per-conversation advisory lock), so a page never skips a message committed after it was read.
 */
export class PostgresMessageStore extends MessageStore implements MembershipStore, ModerationStore, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(PostgresMessageStore.name);
  private pool?: pg.Pool;
  private readonly gate = new QueryGate(this.options.poolSize ?? DEFAULT_POOL_SIZE, QUEUE_WAIT_MS);
  private readonly memberships = new PostgresMemberships(
    () => this.connected(),
    (work) => this.inTransaction(work),
  );
  private readonly moderation = new PostgresModeration(
    () => this.connected(),
    (work) => this.inTransaction(work),
  );

  constructor(private readonly options: PostgresStoreOptions) {
    super();
  }

  async onModuleInit(): Promise<void> {
    await this.open();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Connects and migrates; throws DatabaseStartError when the database cannot be reached. */
  async open(): Promise<void> {
    if (this.pool) return;
    const { connectionString } = this.options;
    const database = redactDatabaseUrl(connectionString);
    const pool = new pg.Pool({
      connectionString,
      max: this.options.poolSize ?? DEFAULT_POOL_SIZE,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      idleTimeoutMillis: IDLE_TIMEOUT_MS,
      keepAlive: true,
      application_name: 'chat-gateway',
    });
    // Without a listener, a pooled idle connection dropped by the server would crash the process.
    pool.on('error', (error) => this.logger.warn({ database, reason: error.message }, 'idle PostgreSQL connection lost'));
    try {
      const migrated = await migratePostgres(pool);
      this.pool = pool;
      this.logger.log({ database, migrated }, 'PostgreSQL message store ready');
    } catch (error) {
      await pool.end();
      throw new DatabaseStartError(connectionString, error);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  async appendRoomMessage(input: NewRoomMessage): Promise<Appended<Message>> {
    const pool = this.connected();
    const clientMsgId = input.clientMsgId ?? null;
    try {
      const { rows } = await pool.query<{ seq: string; rev: string }>({
        ...PG.insertRoomMessage,
        values: [input.room, input.id, input.from.id, input.from.name, input.text, input.sentAt, clientMsgId],
      });
      return { message: toRoomMessage(input, Number(rows[0]!.seq), Number(rows[0]!.rev)), created: true };
    } catch (error) {
      if (clientMsgId === null || !violates(error, ROOM_CLIENT_ID_CONSTRAINT)) throw error;
      const { rows } = await pool.query<RoomMessageRow>({ ...PG.roomByClientId, values: [input.from.id, clientMsgId] });
      if (!rows[0]) throw error;
      return { message: roomMessageFromRow(rows[0]), created: false };
    }
  }

  async appendDirectMessage(input: NewDirectMessage): Promise<Appended<DirectMessage>> {
    const pool = this.connected();
    const clientMsgId = input.clientMsgId ?? null;
    const { from, to } = input;
    try {
      await pool.query({
        ...PG.insertDirectMessage,
        values: [input.id, conversationKey(from.id, to.id), from.id, from.name, to.id, to.name, input.text, input.sentAt, clientMsgId],
      });
      return { message: toDirectMessage(input), created: true };
    } catch (error) {
      if (clientMsgId === null || !violates(error, DIRECT_CLIENT_ID_CONSTRAINT)) throw error;
      const { rows } = await pool.query<DirectMessageRow>({ ...PG.directByClientId, values: [from.id, clientMsgId] });
      if (!rows[0]) throw error;
      return { message: directMessageFromRow(rows[0]), created: false };
    }
  }

  async roomPage({ room, beforeSeq, ...bounds }: RoomPageQuery): Promise<MessagePage<Message>> {
    const { rows } = await this.connected().query<Sized<RoomMessageRow>>({
      ...PG.roomPage,
      values: [room, beforeSeq ?? BEYOND_ANY_KEY, bounds.limit + 1, bounds.maxBytes ?? BEYOND_ANY_KEY],
    });
    return pageFromNewestFirst(rows, bounds, replyBytesOf, roomMessageFromRow);
  }

  async roomSince({ room, sinceSeq, ...bounds }: RoomSinceQuery): Promise<MessagePage<Message>> {
    const { rows } = await this.connected().query<Sized<RoomMessageRow>>({
      ...PG.roomSince,
      values: [room, sinceSeq, bounds.limit + 1, bounds.maxBytes ?? BEYOND_ANY_KEY],
    });
    return pageFromOldestFirst(rows, bounds, replyBytesOf, roomMessageFromRow);
  }

  async lastSeq(room: string): Promise<number> {
    const { rows } = await this.connected().query<{ last_seq: string }>({ ...PG.lastSeq, values: [room] });
    return rows[0] ? Number(rows[0].last_seq) : 0;
  }

  async directPage({ userA, userB, beforeId, ...bounds }: DirectPageQuery): Promise<MessagePage<DirectMessage> | undefined> {
    const pool = this.connected();
    const conversation = conversationKey(userA, userB);
    let before: string | number = BEYOND_ANY_KEY;
    if (beforeId !== undefined) {
      const cursor = await pool.query<{ pk: string }>({ ...PG.directCursor, values: [beforeId, conversation] });
      if (!cursor.rows[0]) return undefined;
      before = cursor.rows[0].pk;
    }
    const { rows } = await pool.query<Sized<DirectMessageRow>>({
      ...PG.directPage,
      values: [conversation, before, bounds.limit + 1, bounds.maxBytes ?? BEYOND_ANY_KEY],
    });
    return pageFromNewestFirst(rows, bounds, replyBytesOf, directMessageFromRow);
  }

  async pruneOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    const pool = this.connected();
    const rooms = (await pool.query({ ...PG.pruneRoomMessages, values: [cutoff, batchSize] })).rowCount ?? 0;
    if (rooms >= batchSize) return rooms;
    const directs = await pool.query({ ...PG.pruneDirectMessages, values: [cutoff, batchSize - rooms] });
    return rooms + (directs.rowCount ?? 0);
  }

  async roomSinceRev({ room, sinceRev, ...bounds }: RoomSinceRevQuery): Promise<MessagePage<Message>> {
    const { rows } = await this.connected().query<Sized<RoomMessageRow>>({
      ...PG.roomSinceRev,
      values: [room, sinceRev, bounds.limit + 1, bounds.maxBytes ?? BEYOND_ANY_KEY],
    });
    return pageFromOldestFirst(rows, bounds, replyBytesOf, roomMessageFromRow);
  }

  async roomState(room: string): Promise<RoomState> {
    const { rows } = await this.connected().query<{ last_seq: string; last_rev: string }>({ ...PG.roomState, values: [room] });
    return rows[0] ? { lastSeq: Number(rows[0].last_seq), rev: Number(rows[0].last_rev) } : { lastSeq: 0, rev: 0 };
  }

  async roomMessage(room: string, seq: number): Promise<Message | undefined> {
    const { rows } = await this.connected().query<RoomMessageRow>({ ...PG.roomMessage, values: [room, seq] });
    return rows[0] ? roomMessageFromRow(rows[0]) : undefined;
  }

  editRoomMessage({ room, seq, authorId, text, editedAt }: RoomMessageEdit): Promise<MessageChange> {
    return this.changeRoomMessage(PG.editRoomMessage, [room, seq, authorId, text, editedAt], (message) => {
      if (message.deletedAt !== undefined) return { outcome: 'not-found' };
      if (message.from.id !== authorId) return { outcome: 'not-author', message };
      return message.text === text ? { outcome: 'unchanged', message } : undefined;
    });
  }

  deleteRoomMessage({ room, seq, authorId, deletedAt }: RoomMessageDeletion): Promise<MessageChange> {
    return this.changeRoomMessage(PG.deleteRoomMessage, [room, seq, authorId ?? null, deletedAt], (message) => {
      if (authorId !== undefined && message.from.id !== authorId) return { outcome: 'not-author', message };
      return message.deletedAt !== undefined ? { outcome: 'unchanged', message } : undefined;
    });
  }

  // ---- MembershipStore: see PostgresMemberships ----

  join(input: NewMembership): Promise<MembershipJoin> {
    return this.memberships.join(input);
  }

  forget(room: string, userId: string): Promise<boolean> {
    return this.memberships.forget(room, userId);
  }

  membershipState(room: string, userId: string): Promise<MembershipState | undefined> {
    return this.memberships.membershipState(room, userId);
  }

  userRooms(userId: string): Promise<MembershipSummary[]> {
    return this.memberships.userRooms(userId);
  }

  roomMembers(query: RoomMembersQuery): Promise<Membership[]> {
    return this.memberships.roomMembers(query);
  }

  moveMarkers(moves: readonly MarkerMove[]): Promise<void> {
    return this.memberships.moveMarkers(moves);
  }

  // ---- ModerationStore: see PostgresModeration ----

  putRestriction(put: RestrictionPut): Promise<{ replaced: boolean }> {
    return this.moderation.putRestriction(put);
  }

  removeRestriction(removal: RestrictionRemoval): Promise<StoredRestriction | undefined> {
    return this.moderation.removeRestriction(removal);
  }

  activeRestrictions(now: string): Promise<StoredRestriction[]> {
    return this.moderation.activeRestrictions(now);
  }

  roomRestrictions(query: RoomRestrictionsQuery): Promise<StoredRestriction[]> {
    return this.moderation.roomRestrictions(query);
  }

  pruneEndedRestrictions(now: string, batchSize: number): Promise<number> {
    return this.moderation.pruneEndedRestrictions(now, batchSize);
  }

  putRevocation(revocation: SessionRevocation, audit: NewAuditEntry): Promise<void> {
    return this.moderation.putRevocation(revocation, audit);
  }

  revocations(): Promise<SessionRevocation[]> {
    return this.moderation.revocations();
  }

  appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return this.moderation.appendAudit(entry);
  }

  auditPage(query: AuditQuery): Promise<AuditEntry[]> {
    return this.moderation.auditPage(query);
  }

  eraseStep(input: ErasureStepInput): Promise<ErasureStep> {
    return this.moderation.eraseStep(input);
  }

  /** Straight to the pool: readiness asks whether the database answers, not how busy we are. */
  async ping(): Promise<void> {
    if (!this.pool) throw new Error('the PostgreSQL message store is closed');
    await this.pool.query('SELECT 1');
  }

  private connected(): Queryable {
    const pool = this.pool;
    if (!pool) throw new Error('the PostgreSQL message store is closed');
    return { query: (config) => this.gate.run(() => pool.query(config)) };
  }

  /** One pooled client from BEGIN to COMMIT; it holds its place at the gate all along. */
  private inTransaction<T>(work: (client: Queryable) => Promise<T>): Promise<T> {
    const pool = this.pool;
    if (!pool) return Promise.reject(new Error('the PostgreSQL message store is closed'));
    return this.gate.run(() => inPostgresTransaction(pool, work));
  }

  /**
   * Runs an edit or deletion statement (see changeRoomMessage in postgres-statements.ts). Unless
   * it changed the row, `judge` tells from the row as the statement saw it why not; undefined
   * means that row would have changed, so another process changed it first: asking again reads
   * past that change.
   */
  private async changeRoomMessage(
    statement: { name: string; text: string },
    values: unknown[],
    judge: (message: Message) => MessageChange | undefined,
  ): Promise<MessageChange> {
    for (let attempt = 1; attempt <= CHANGE_ATTEMPTS; attempt += 1) {
      const { rows } = await this.connected().query<RoomMessageRow & { changed: boolean }>({ ...statement, values });
      const row = rows[0];
      if (!row) return { outcome: 'not-found' };
      const message = roomMessageFromRow(row);
      if (row.changed) return { outcome: 'changed', message };
      const verdict = judge(message);
      if (verdict) return verdict;
    }
    throw new Error(`message kept changing under ${CHANGE_ATTEMPTS} attempts to change it`);
  }
}

/** A page row with its counted size, computed by the query (see withinBudget in postgres-statements.ts). */
type Sized<R> = R & { reply_bytes: number | string };

function replyBytesOf(row: Sized<unknown>): number {
  return Number(row.reply_bytes);
}

function violates(error: unknown, constraint: string): boolean {
  const { code, constraint: violated } = error as { code?: unknown; constraint?: unknown };
  return code === UNIQUE_VIOLATION && violated === constraint;
}
