import type { Database, Statement } from 'better-sqlite3';
import type { MembershipSummary } from '../contract.js';
import type { SqliteStatements } from '../messages/sqlite-statements.js';
import {
  type MarkerMove,
  type Membership,
  type MembershipJoin,
  type NewMembership,
  compareMembershipSummaries,
} from './membership-store.js';

interface MembershipRow {
  room: string;
  user_id: string;
  user_name: string;
  joined_at: string;
  read_seq: number;
}

interface UserRoomRow {
  room: string;
  joined_at: string;
  read_seq: number;
  last_seq: number;
  last_message_at: string | null;
}

/** The membership statements of the SQLite store, prepared once per connection. */
export interface SqliteMembershipStatements {
  membership: Statement<[string, string], MembershipRow>;
  membershipCount: Statement<[string], number>;
  insertMembership: Statement<[string, string, string, string]>;
  forget: Statement<[string, string]>;
  userRooms: Statement<[string], UserRoomRow>;
  firstMembers: Statement<[string, number], MembershipRow>;
  membersAfter: Statement<[string, string, number], MembershipRow>;
}

const MEMBERSHIP_COLUMNS = 'room, user_id, user_name, joined_at, read_seq';

export function prepareMembershipStatements(db: Database): SqliteMembershipStatements {
  return {
    membership: db.prepare(`SELECT ${MEMBERSHIP_COLUMNS} FROM room_members WHERE room = ? AND user_id = ?`),
    // Counted on the (user_id, room) index alone: at most MAX_MEMBERSHIPS_PER_USER entries.
    membershipCount: db.prepare<[string], number>('SELECT COUNT(*) FROM room_members WHERE user_id = ?').pluck(),
    insertMembership: db.prepare('INSERT INTO room_members (room, user_id, user_name, joined_at, read_seq) VALUES (?, ?, ?, ?, 0)'),
    forget: db.prepare('DELETE FROM room_members WHERE room = ? AND user_id = ?'),
    // lastSeq as SqliteStatements.lastSeq reads it; lastMessageAt from the newest message left.
    userRooms: db.prepare(
      `SELECT member.room, member.joined_at, member.read_seq,
         MAX(
           IFNULL((SELECT last_seq FROM room_seqs WHERE room = member.room), 0),
           IFNULL((SELECT MAX(seq) FROM room_messages WHERE room = member.room), 0)
         ) AS last_seq,
         (SELECT sent_at FROM room_messages WHERE room = member.room ORDER BY seq DESC LIMIT 1) AS last_message_at
       FROM room_members AS member WHERE member.user_id = ?`,
    ),
    // SQLite compares TEXT with memcmp on UTF-8: byte order, as the contract asks.
    firstMembers: db.prepare(`SELECT ${MEMBERSHIP_COLUMNS} FROM room_members WHERE room = ? ORDER BY user_id LIMIT ?`),
    membersAfter: db.prepare(`SELECT ${MEMBERSHIP_COLUMNS} FROM room_members WHERE room = ? AND user_id > ? ORDER BY user_id LIMIT ?`),
  };
}

export function membershipFromRow(row: MembershipRow): Membership {
  return { room: row.room, user: { id: row.user_id, name: row.user_name }, joinedAt: row.joined_at, readSeq: row.read_seq };
}

/** Inside a write transaction, so the cap check and the insert are one atomic step. */
export function writeJoin(statements: SqliteMembershipStatements, { room, user, joinedAt, maxMemberships }: NewMembership): MembershipJoin {
  const existing = statements.membership.get(room, user.id);
  if (existing !== undefined) return { outcome: 'existing', membership: membershipFromRow(existing) };
  if (statements.membershipCount.get(user.id)! >= maxMemberships) return { outcome: 'limit' };
  statements.insertMembership.run(room, user.id, user.name, joinedAt);
  return { outcome: 'created', membership: { room, user: { id: user.id, name: user.name }, joinedAt, readSeq: 0 } };
}

export function writeForget(statements: SqliteMembershipStatements, room: string, userId: string): boolean {
  return statements.forget.run(room, userId).changes > 0;
}

/** Through the statement a send moves its sender's marker with (SqliteStatements.moveMarker). */
export function writeMarkerMoves(statements: Pick<SqliteStatements, 'moveMarker'>, moves: readonly MarkerMove[]): void {
  for (const { room, userId, readSeq } of moves) statements.moveMarker.run(readSeq, room, userId, readSeq);
}

export function readUserRooms(statements: SqliteMembershipStatements, userId: string): MembershipSummary[] {
  return statements.userRooms
    .all(userId)
    .map((row): MembershipSummary => ({
      room: row.room,
      joinedAt: row.joined_at,
      lastSeq: row.last_seq,
      readSeq: row.read_seq,
      unread: Math.max(0, row.last_seq - row.read_seq),
      lastMessageAt: row.last_message_at,
    }))
    .sort(compareMembershipSummaries);
}

export function readRoomMembers(
  statements: SqliteMembershipStatements,
  room: string,
  after: string | undefined,
  limit: number,
): Membership[] {
  const rows = after === undefined ? statements.firstMembers.all(room, limit) : statements.membersAfter.all(room, after, limit);
  return rows.map(membershipFromRow);
}
