import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import BetterSqlite3, { type Database, type Statement } from 'better-sqlite3';
import { prepareMembershipStatements, type SqliteMembershipStatements } from '../memberships/sqlite-memberships.js';
import { migrateSqlite } from '../database/sqlite-migrator.js';
import { prepareStatements, type SqliteStatements } from './sqlite-statements.js';

/** What SQLite plans for a statement: one line per step, as EXPLAIN QUERY PLAN words them. */
function planOf(db: Database, statement: Statement<never[]>): string[] {
  return db
    .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${statement.source}`)
    .all(...Array.from({ length: statement.source.split('?').length - 1 }, () => null))
    .map((row) => row.detail);
}

// The chat-state reads must find their rows through an index; a table scan would grow with history.
describe('SQLite chat-state query plans', () => {
  let db: Database;
  let statements: SqliteStatements;
  let members: SqliteMembershipStatements;

  beforeAll(() => {
    db = new BetterSqlite3(':memory:');
    migrateSqlite(db);
    statements = prepareStatements(db);
    members = prepareMembershipStatements(db);
  });
  afterAll(() => {
    db.close();
  });

  const plan = (statement: Statement<never[]>): string => planOf(db, statement).join('\n');

  it('reads changed messages through the partial index and unchanged ones through (room, seq)', () => {
    expect(plan(statements.changedSinceRev as Statement<never[]>)).toMatch(/USING INDEX room_messages_changed_idx \(room=\? AND rev>\?\)/);
    expect(plan(statements.unchangedSinceRev as Statement<never[]>)).toMatch(
      /USING INDEX room_messages_room_seq_key \(room=\? AND seq>\?\)/,
    );
  });

  it("finds a room's counters without scanning its messages", () => {
    const counters = plan(statements.roomCounters as Statement<never[]>);
    expect(counters).toMatch(/room_messages_changed_idx/);
    expect(counters).not.toMatch(/SCAN room_messages/);
  });

  it('moves a marker, edits and reads memberships by key', () => {
    expect(plan(statements.moveMarker as Statement<never[]>)).toMatch(/USING PRIMARY KEY \(room=\? AND user_id=\?\)/);
    expect(plan(statements.editRoomMessage as Statement<never[]>)).toMatch(/USING INDEX room_messages_room_seq_key \(room=\? AND seq=\?\)/);
    expect(plan(members.membershipCount as Statement<never[]>)).toMatch(/USING COVERING INDEX room_members_user_idx \(user_id=\?\)/);
    const userRooms = plan(members.userRooms as Statement<never[]>);
    expect(userRooms).toMatch(/room_members_user_idx \(user_id=\?\)/);
    expect(userRooms).not.toMatch(/SCAN room_messages/);
    expect(plan(members.membersAfter as Statement<never[]>)).toMatch(/USING PRIMARY KEY \(room=\? AND user_id>\?\)/);
  });
});
