import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import type { AuditEntry, DirectMessage, MembershipSummary, Message, MessagePage } from '../contract.js';
import { DatabaseStartError } from '../database/database-error.js';
import { type CheckpointerOptions, SqliteCheckpointer } from '../database/sqlite-checkpointer.js';
import { migrateSqlite } from '../database/sqlite-migrator.js';
import { type BatchLimits, SqliteWriteBatcher } from '../database/sqlite-write-batcher.js';
import type {
  MarkerMove,
  Membership,
  MembershipJoin,
  MembershipState,
  MembershipStore,
  NewMembership,
  RoomMembersQuery,
} from '../memberships/membership-store.js';
import {
  membershipFromRow,
  prepareMembershipStatements,
  readRoomMembers,
  readUserRooms,
  type SqliteMembershipStatements,
  writeForget,
  writeJoin,
  writeMarkerMoves,
} from '../memberships/sqlite-memberships.js';
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
import { prepareErasureStatements, type SqliteErasureStatements, writeErasureStep } from '../moderation/sqlite-erasure.js';
import {
  prepareModerationStatements,
  writePruneEnded,
  readActiveRestrictions,
  readAuditPage,
  readRevocations,
  readRoomRestrictions,
  type SqliteModerationStatements,
  writeAudit,
  writeRestriction,
  writeRestrictionRemoval,
  writeRevocation,
} from '../moderation/sqlite-moderation.js';
import {
  directMessageFromRow,
  directRowBytes,
  pageFromNewestFirst,
  pageFromOldestFirst,
  roomMessageFromRow,
  roomRowBytes,
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
import { prepareStatements, type SqliteStatements } from './sqlite-statements.js';
import { CommittedCounters, RoomCounterSession } from './sqlite-write-session.js';
import {
  deleteOlder,
  type ErasingWrite,
  secureDeleting,
  writeDirectMessage,
  writeRoomDeletion,
  writeRoomEdit,
  writeRoomMessage,
} from './sqlite-writes.js';

export const SQLITE_MEMORY = ':memory:';

export interface SqliteStoreOptions {
  /** A file path (its directory is created) or ':memory:'. */
  location: string;
}

/**
 * Shorter checkpoint cycles than production's, so a spec sees many of them; the factory never
 * passes any. (Group commits are observed on SQLITE_FLUSH_CHANNEL, not through an option.)
 */
export type CheckpointTuning = Partial<Pick<CheckpointerOptions, 'intervalMs' | 'restartPages'>>;

/**
 * The budget caps how many writes SQLite can commit per second at budget x event-loop turns per
 * second, and a busy gateway's turns last milliseconds: a budget far shorter than a turn caps the
 * commits below the send rate near saturation and the queue grows, while a longer one only holds
 * the loop longer (docs/benchmarks.md, "Group commit bounds"). 2 ms holds it for less than a
 * young-generation GC does.
 */
const BATCH_LIMITS: BatchLimits = { maxWrites: 256, budgetMs: 2, maxWaitMs: 2 };
const CHECKPOINT_INTERVAL_MS = 100;
/**
 * 8192 pages (32 MB of WAL): then the writer pauses (acks wait, the loop does not) for a
 * checkpoint that restarts the WAL. A long WAL makes these pauses rare under a steady stream of
 * sends; the PASSIVE checkpoints before each one keep it short.
 */
const CHECKPOINT_RESTART_PAGES = 8192;
const CHECKPOINT_MAX_PAUSE_MS = 250;
/** How long a statement waits for another connection's lock before failing (blocks the loop). */
const BUSY_TIMEOUT_MS = 100;
/** The writer only checkpoints by itself if the checkpoint worker is gone (128 MB of WAL). */
const FALLBACK_AUTOCHECKPOINT_PAGES = 32_768;
/**
 * A WAL file grown beyond this is cut back when it restarts. Well above the restart point on
 * purpose: truncating and regrowing the file on every restart costs the writer milliseconds.
 */
const WAL_SIZE_LIMIT_BYTES = 160 * 1024 * 1024;
const BEYOND_ANY_SEQ = Number.MAX_SAFE_INTEGER;
/** Rows one pruning write deletes: deletes touch as many index pages as inserts, so a few at a time. */
const PRUNE_CHUNK = 5;

interface Connection {
  db: Database;
  statements: SqliteStatements;
  members: SqliteMembershipStatements;
  moderation: SqliteModerationStatements;
  erasure: SqliteErasureStatements;
  erasing: ErasingWrite;
  writes: SqliteWriteBatcher<RoomCounterSession>;
  checkpointer?: SqliteCheckpointer;
}

/**
 * The embedded default store. better-sqlite3 is synchronous, so writes are group-committed (one
 * transaction per event-loop turn, within a time budget) and WAL checkpoints run on a worker
 * thread: what holds the event loop is one budgeted commit at a time. WAL with synchronous=NORMAL: a
 * commit is in the WAL file before the promise resolves, so it survives a killed process; only a
 * power loss or OS crash can drop the last commits before a checkpoint.
 * One process per file: several gateways need PostgreSQL.
 */
export class SqliteMessageStore extends MessageStore implements MembershipStore, ModerationStore, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SqliteMessageStore.name);
  private connection?: Connection;

  constructor(
    private readonly options: SqliteStoreOptions,
    private readonly checkpointTuning: CheckpointTuning = {},
  ) {
    super();
  }

  onModuleInit(): void {
    this.open();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Opens (creating the file and directory) and migrates; throws DatabaseStartError. */
  open(): void {
    if (this.connection) return;
    const { location } = this.options;
    try {
      this.connection = this.connect(location);
    } catch (error) {
      throw new DatabaseStartError(location, error);
    }
  }

  /** Stops the checkpoint worker, commits what is queued and closes; later calls reject. */
  async close(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    // The worker goes first: a checkpoint it is running could make the final commits wait.
    await connection.checkpointer?.stop();
    connection.writes.drain();
    connection.db.close();
  }

  appendRoomMessage(input: NewRoomMessage): Promise<Appended<Message>> {
    const connection = this.connection;
    if (!connection) return Promise.reject(closedError());
    return connection.writes.submit((session) => writeRoomMessage(connection.statements, session, input));
  }

  appendDirectMessage(input: NewDirectMessage): Promise<Appended<DirectMessage>> {
    const connection = this.connection;
    if (!connection) return Promise.reject(closedError());
    return connection.writes.submit(() => writeDirectMessage(connection.statements, input));
  }

  // Pages iterate instead of reading every row at once: reading stops at the first row past the
  // byte budget, so a room of large messages costs one row more than the page, not `limit`.
  async roomPage({ room, beforeSeq, ...bounds }: RoomPageQuery): Promise<MessagePage<Message>> {
    const rows = this.statements().roomPage.iterate(room, beforeSeq ?? BEYOND_ANY_SEQ, bounds.limit + 1);
    return pageFromNewestFirst(rows, bounds, roomRowBytes, roomMessageFromRow);
  }

  async roomSince({ room, sinceSeq, ...bounds }: RoomSinceQuery): Promise<MessagePage<Message>> {
    const rows = this.statements().roomSince.iterate(room, sinceSeq, bounds.limit + 1);
    return pageFromOldestFirst(rows, bounds, roomRowBytes, roomMessageFromRow);
  }

  async lastSeq(room: string): Promise<number> {
    return this.statements().lastSeq.get(room) ?? 0;
  }

  async directPage({ userA, userB, beforeId, ...bounds }: DirectPageQuery): Promise<MessagePage<DirectMessage> | undefined> {
    const statements = this.statements();
    const conversation = conversationKey(userA, userB);
    const before = beforeId === undefined ? BEYOND_ANY_SEQ : statements.directCursor.get(beforeId, conversation);
    if (before === undefined) return undefined;
    const rows = statements.directPage.iterate(conversation, before, bounds.limit + 1);
    return pageFromNewestFirst(rows, bounds, directRowBytes, directMessageFromRow);
  }

  /**
   * Deletes in small chunks that go through the group commit like sends do: each chunk shares a
   * flush and its time budget, so pruning never holds the event loop for long, and it pauses
   * with the writer while the WAL restarts.
   */
  async pruneOlderThan(cutoff: Date, batchSize: number): Promise<number> {
    const connection = this.connection;
    if (!connection) throw closedError();
    const before = cutoff.toISOString();
    let removed = 0;
    while (removed < batchSize) {
      const chunk = Math.min(PRUNE_CHUNK, batchSize - removed);
      const deleted = await connection.writes.submit(() => deleteOlder(connection.statements, before, chunk));
      removed += deleted;
      if (deleted < chunk) break;
    }
    return removed;
  }

  /**
   * "rev > X" in two parts, merged by rev: no (room, rev) index is written per send. Changed rows
   * come from the partial index. An unchanged row still has the rev it was sent with, which is
   * its seq plus the changes made before it was sent, at most C = lastRev - lastSeq in all; so an
   * unchanged row with rev > X has seq > X - C, and the (room, seq) index starts there.
   */
  async roomSinceRev({ room, sinceRev, ...bounds }: RoomSinceRevQuery): Promise<MessagePage<Message>> {
    const statements = this.statements();
    const { last_seq: lastSeq, last_rev: lastRev } = statements.roomCounters.get(room)!;
    // Read in full first: better-sqlite3 runs nothing else on a connection while an iterator is open.
    const changed = statements.changedSinceRev.all(room, sinceRev, bounds.limit + 1);
    const fromSeq = Math.max(0, sinceRev - (lastRev - lastSeq));
    const unchanged = statements.unchangedSinceRev.iterate(room, fromSeq, sinceRev, bounds.limit + 1);
    return pageFromOldestFirst(mergeByRev(changed, unchanged), bounds, roomRowBytes, roomMessageFromRow);
  }

  async roomState(room: string): Promise<RoomState> {
    const stored = this.statements().roomCounters.get(room)!;
    return { lastSeq: stored.last_seq, rev: stored.last_rev };
  }

  async roomMessage(room: string, seq: number): Promise<Message | undefined> {
    const row = this.statements().roomMessage.get(room, seq);
    return row === undefined ? undefined : roomMessageFromRow(row);
  }

  editRoomMessage(edit: RoomMessageEdit): Promise<MessageChange> {
    const connection = this.connection;
    if (!connection) return Promise.reject(closedError());
    return connection.writes.submit((session) => writeRoomEdit(connection.statements, session, edit, connection.erasing));
  }

  deleteRoomMessage(deletion: RoomMessageDeletion): Promise<MessageChange> {
    const connection = this.connection;
    if (!connection) return Promise.reject(closedError());
    return connection.writes.submit((session) => writeRoomDeletion(connection.statements, session, deletion, connection.erasing));
  }

  // ---- MembershipStore ----

  /** A join of a room the user is already in is answered by a read: only a first join writes. */
  async join(input: NewMembership): Promise<MembershipJoin> {
    const connection = this.connected();
    const existing = connection.members.membership.get(input.room, input.user.id);
    if (existing !== undefined) return { outcome: 'existing', membership: membershipFromRow(existing) };
    return connection.writes.submit(() => writeJoin(connection.members, input));
  }

  async forget(room: string, userId: string): Promise<boolean> {
    const connection = this.connected();
    return connection.writes.submit(() => writeForget(connection.members, room, userId));
  }

  async membershipState(room: string, userId: string): Promise<MembershipState | undefined> {
    const connection = this.connected();
    const row = connection.members.membership.get(room, userId);
    if (row === undefined) return undefined;
    const counters = connection.statements.roomCounters.get(room)!;
    return { membership: membershipFromRow(row), lastSeq: counters.last_seq, rev: counters.last_rev };
  }

  async userRooms(userId: string): Promise<MembershipSummary[]> {
    return readUserRooms(this.connected().members, userId);
  }

  async roomMembers({ room, after, limit }: RoomMembersQuery): Promise<Membership[]> {
    return readRoomMembers(this.connected().members, room, after, limit);
  }

  async moveMarkers(moves: readonly MarkerMove[]): Promise<void> {
    const connection = this.connected();
    if (moves.length === 0) return;
    await connection.writes.submit(() => writeMarkerMoves(connection.statements, moves));
  }

  // ---- ModerationStore ----

  async putRestriction(put: RestrictionPut): Promise<{ replaced: boolean }> {
    const connection = this.connected();
    return connection.writes.submit(() => writeRestriction(connection.moderation, put));
  }

  async removeRestriction(removal: RestrictionRemoval): Promise<StoredRestriction | undefined> {
    const connection = this.connected();
    return connection.writes.submit(() => writeRestrictionRemoval(connection.moderation, removal));
  }

  async activeRestrictions(now: string): Promise<StoredRestriction[]> {
    return readActiveRestrictions(this.connected().moderation, now);
  }

  async roomRestrictions(query: RoomRestrictionsQuery): Promise<StoredRestriction[]> {
    return readRoomRestrictions(this.connected().moderation, query);
  }

  async pruneEndedRestrictions(now: string, batchSize: number): Promise<number> {
    const connection = this.connected();
    return connection.writes.submit(() => writePruneEnded(connection.moderation, now, batchSize));
  }

  async putRevocation(revocation: SessionRevocation, audit: NewAuditEntry): Promise<void> {
    const connection = this.connected();
    await connection.writes.submit(() => writeRevocation(connection.moderation, revocation, audit));
  }

  async revocations(): Promise<SessionRevocation[]> {
    return readRevocations(this.connected().moderation);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const connection = this.connected();
    return connection.writes.submit(() => writeAudit(connection.moderation, entry));
  }

  async auditPage(query: AuditQuery): Promise<AuditEntry[]> {
    return readAuditPage(this.connected().moderation, query);
  }

  /** One window of rows in one group-commit write: see writeErasureStep for what bounds it. */
  async eraseStep(input: ErasureStepInput): Promise<ErasureStep> {
    const connection = this.connected();
    const { erasure, erasing } = connection;
    return connection.writes.submit((session) => writeErasureStep({ erasure, session, erasing }, input));
  }

  async ping(): Promise<void> {
    this.statements().ping.get();
  }

  private statements(): SqliteStatements {
    return this.connected().statements;
  }

  /** The open connection; throws once the store is closed. */
  private connected(): Connection {
    if (!this.connection) throw closedError();
    return this.connection;
  }

  private connect(location: string): Connection {
    const isFile = location !== SQLITE_MEMORY;
    if (isFile) mkdirSync(dirname(resolve(location)), { recursive: true });
    const db = new BetterSqlite3(location, { timeout: BUSY_TIMEOUT_MS });
    try {
      if (isFile) db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
      db.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
      // Space a page frees is zeroed when the page is written anyway: otherwise a page split leaves
      // stale copies of the rows it moved, and a deleted message's text would outlive its row.
      db.pragma('secure_delete = FAST');
      const migrated = migrateSqlite(db);
      const statements = prepareStatements(db);
      const connection: Connection = {
        db,
        statements,
        members: prepareMembershipStatements(db),
        moderation: prepareModerationStatements(db),
        erasure: prepareErasureStatements(db),
        erasing: secureDeleting(db),
        writes: this.batcher(db, statements),
      };
      if (isFile) connection.checkpointer = this.startCheckpointer(location, connection.writes);
      this.logger.log({ database: location, journal: isFile ? 'wal' : 'memory', migrated }, 'SQLite message store ready');
      return connection;
    } catch (error) {
      db.close();
      throw error;
    }
  }

  private batcher(db: Database, statements: SqliteStatements): SqliteWriteBatcher<RoomCounterSession> {
    // One writer per file: each room's counters are read once, then counted in memory.
    const counters = new CommittedCounters();
    return new SqliteWriteBatcher(db, BATCH_LIMITS, () => new RoomCounterSession(statements, counters));
  }

  private startCheckpointer(file: string, writer: SqliteWriteBatcher<RoomCounterSession>): SqliteCheckpointer {
    return new SqliteCheckpointer(
      {
        file,
        intervalMs: CHECKPOINT_INTERVAL_MS,
        restartPages: CHECKPOINT_RESTART_PAGES,
        maxPauseMs: CHECKPOINT_MAX_PAUSE_MS,
        ...this.checkpointTuning,
      },
      writer,
      (reason) => this.logger.warn({ reason }, 'WAL checkpoint failed'),
    );
  }
}

function closedError(): Error {
  return new Error('the SQLite message store is closed');
}

/** Both inputs in ascending rev (revs are unique in a room): one sequence in ascending rev. */
function* mergeByRev(changed: readonly RoomMessageRow[], unchanged: Iterable<RoomMessageRow>): Generator<RoomMessageRow> {
  let next = 0;
  for (const row of unchanged) {
    while (next < changed.length && Number(changed[next]!.rev) < Number(row.rev)) yield changed[next++]!;
    yield row;
  }
  while (next < changed.length) yield changed[next++]!;
}
