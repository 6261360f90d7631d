import type pg from 'pg';
import type { MembershipSummary } from '../contract.js';
import { isoTime } from '../messages/message-rows.js';
import type { MarkerMove, Membership, MembershipJoin, MembershipState, NewMembership, RoomMembersQuery } from './membership-store.js';

/** A pool behind the store's gate, or one client inside a transaction. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(config: pg.QueryConfig): Promise<pg.QueryResult<R>>;
}

/** Runs `work` on one pooled client between BEGIN and COMMIT (ROLLBACK when it throws). */
export type TransactionRunner = <T>(work: (client: Queryable) => Promise<T>) => Promise<T>;

const MEMBERSHIP_COLUMNS = 'room, user_id, user_name, joined_at, read_seq';

/** Advisory lock keys of membership caps, apart from the conversation keys direct messages lock. */
const MEMBERSHIP_LOCK_PREFIX = 'room_members\n';

export const PG_MEMBERSHIPS = {
  /**
   * Held until the join's transaction ends, so one user's joins take turns across processes. It is
   * a statement of its own: a READ COMMITTED statement reads the snapshot it started with, so the
   * count must be read by the next statement, which starts after the lock is ours.
   */
  lockUserMemberships: {
    name: 'chat_lock_user_memberships',
    text: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
  },
  /** $1 room, $2 user id, $3 user name, $4 joinedAt, $5 maxMemberships. */
  join: {
    name: 'chat_join_room',
    text: `WITH existing AS (
             SELECT ${MEMBERSHIP_COLUMNS} FROM room_members WHERE room = $1 AND user_id = $2
           ), created AS (
             INSERT INTO room_members (room, user_id, user_name, joined_at)
             SELECT $1, $2, $3, $4
             WHERE NOT EXISTS (SELECT FROM existing) AND (SELECT count(*) FROM room_members WHERE user_id = $2) < $5
             RETURNING ${MEMBERSHIP_COLUMNS}
           )
           SELECT true AS created, ${MEMBERSHIP_COLUMNS} FROM created
           UNION ALL
           SELECT false, ${MEMBERSHIP_COLUMNS} FROM existing`,
  },
  forget: {
    name: 'chat_forget_room',
    text: 'DELETE FROM room_members WHERE room = $1 AND user_id = $2',
  },
  membershipState: {
    name: 'chat_membership_state',
    text: `SELECT member.room, member.user_id, member.user_name, member.joined_at, member.read_seq,
                  COALESCE(counter.last_seq, 0) AS last_seq, COALESCE(counter.last_rev, 0) AS last_rev
           FROM room_members AS member LEFT JOIN room_seqs AS counter ON counter.room = member.room
           WHERE member.room = $1 AND member.user_id = $2`,
  },
  /** In the rooms:list order (see compareMembershipSummaries); the newest message is the highest seq. */
  userRooms: {
    name: 'chat_user_rooms',
    text: `SELECT member.room, member.joined_at, member.read_seq, COALESCE(counter.last_seq, 0) AS last_seq,
                  newest.sent_at AS last_message_at
           FROM room_members AS member
           LEFT JOIN room_seqs AS counter ON counter.room = member.room
           LEFT JOIN LATERAL (
             SELECT sent_at FROM room_messages WHERE room_messages.room = member.room ORDER BY seq DESC LIMIT 1
           ) AS newest ON true
           WHERE member.user_id = $1
           ORDER BY newest.sent_at DESC NULLS LAST, member.joined_at DESC, member.room COLLATE "C"`,
  },
  /** $1 room, $2 after (null: from the start), $3 limit; user ids in byte order. */
  roomMembers: {
    name: 'chat_room_members',
    text: `SELECT ${MEMBERSHIP_COLUMNS} FROM room_members
           WHERE room = $1 AND ($2::text IS NULL OR user_id > $2)
           ORDER BY user_id LIMIT $3`,
  },
  /**
   * $1 rooms, $2 user ids, $3 read seqs (parallel arrays). The rows are locked in (room, user_id)
   * order before any is written, so two processes flushing overlapping batches queue instead of
   * deadlocking. The UPDATE re-checks `read_seq <` against the newest row, so a marker never goes back.
   */
  moveMarkers: {
    name: 'chat_move_markers',
    text: `WITH moves AS (
             SELECT room, user_id, max(read_seq) AS read_seq
             FROM unnest($1::text[], $2::text[], $3::bigint[]) AS move (room, user_id, read_seq)
             GROUP BY room, user_id
           ), locked AS (
             SELECT member.room, member.user_id, moves.read_seq
             FROM room_members AS member JOIN moves ON moves.room = member.room AND moves.user_id = member.user_id
             WHERE member.read_seq < moves.read_seq
             ORDER BY member.room, member.user_id
             FOR NO KEY UPDATE OF member
           )
           UPDATE room_members AS member SET read_seq = locked.read_seq
           FROM locked
           WHERE member.room = locked.room AND member.user_id = locked.user_id AND member.read_seq < locked.read_seq`,
  },
} as const;

interface MembershipRow {
  room: string;
  user_id: string;
  user_name: string;
  joined_at: string | Date;
  read_seq: string | number;
}

interface SummaryRow {
  room: string;
  joined_at: string | Date;
  read_seq: string | number;
  last_seq: string | number;
  last_message_at: string | Date | null;
}

/** The MembershipStore half of the PostgreSQL engine (see PostgresMessageStore). */
export class PostgresMemberships {
  constructor(
    private readonly pool: () => Queryable,
    private readonly transaction: TransactionRunner,
  ) {}

  join({ room, user, joinedAt, maxMemberships }: NewMembership): Promise<MembershipJoin> {
    return this.transaction(async (client) => {
      await client.query({ ...PG_MEMBERSHIPS.lockUserMemberships, values: [MEMBERSHIP_LOCK_PREFIX + user.id] });
      const { rows } = await client.query<MembershipRow & { created: boolean }>({
        ...PG_MEMBERSHIPS.join,
        values: [room, user.id, user.name, joinedAt, maxMemberships],
      });
      const row = rows[0];
      if (!row) return { outcome: 'limit' };
      return { outcome: row.created ? 'created' : 'existing', membership: membershipFromRow(row) };
    });
  }

  async forget(room: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.pool().query({ ...PG_MEMBERSHIPS.forget, values: [room, userId] });
    return (rowCount ?? 0) > 0;
  }

  async membershipState(room: string, userId: string): Promise<MembershipState | undefined> {
    const { rows } = await this.pool().query<MembershipRow & { last_seq: string; last_rev: string }>({
      ...PG_MEMBERSHIPS.membershipState,
      values: [room, userId],
    });
    const row = rows[0];
    if (!row) return undefined;
    return { membership: membershipFromRow(row), lastSeq: Number(row.last_seq), rev: Number(row.last_rev) };
  }

  async userRooms(userId: string): Promise<MembershipSummary[]> {
    const { rows } = await this.pool().query<SummaryRow>({ ...PG_MEMBERSHIPS.userRooms, values: [userId] });
    return rows.map(summaryFromRow);
  }

  async roomMembers({ room, after, limit }: RoomMembersQuery): Promise<Membership[]> {
    const { rows } = await this.pool().query<MembershipRow>({ ...PG_MEMBERSHIPS.roomMembers, values: [room, after ?? null, limit] });
    return rows.map(membershipFromRow);
  }

  async moveMarkers(moves: readonly MarkerMove[]): Promise<void> {
    if (moves.length === 0) return;
    await this.pool().query({
      ...PG_MEMBERSHIPS.moveMarkers,
      values: [moves.map((move) => move.room), moves.map((move) => move.userId), moves.map((move) => move.readSeq)],
    });
  }
}

function membershipFromRow(row: MembershipRow): Membership {
  return {
    room: row.room,
    user: { id: row.user_id, name: row.user_name },
    joinedAt: isoTime(row.joined_at),
    readSeq: Number(row.read_seq),
  };
}

function summaryFromRow(row: SummaryRow): MembershipSummary {
  const lastSeq = Number(row.last_seq);
  const readSeq = Number(row.read_seq);
  return {
    room: row.room,
    joinedAt: isoTime(row.joined_at),
    lastSeq,
    readSeq,
    unread: Math.max(0, lastSeq - readSeq),
    lastMessageAt: row.last_message_at === null ? null : isoTime(row.last_message_at),
  };
}
