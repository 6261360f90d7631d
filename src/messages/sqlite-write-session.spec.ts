import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrateSqlite } from '../database/sqlite-migrator.js';
import { prepareStatements, type SqliteStatements } from './sqlite-statements.js';
import { CommittedCounters, RoomCounterSession } from './sqlite-write-session.js';
import { writeRoomEdit, writeRoomMessage } from './sqlite-writes.js';

describe('CommittedCounters', () => {
  it('keeps at most its capacity, forgetting the least recently written room first', () => {
    const counters = new CommittedCounters(2);
    counters.record('a', { seq: 1, rev: 1 });
    counters.record('b', { seq: 1, rev: 1 });
    counters.record('a', { seq: 2, rev: 3 }); // a is now the most recent
    counters.record('c', { seq: 1, rev: 1 });
    expect(counters.size).toBe(2);
    expect(counters.get('b')).toBeUndefined();
    expect(counters.get('a')).toEqual({ seq: 2, rev: 3 });
    expect(counters.get('c')).toEqual({ seq: 1, rev: 1 });
  });
});

describe('RoomCounterSession with a bounded counter cache', () => {
  let db: Database;
  let statements: SqliteStatements;
  let counter = 0;

  beforeEach(() => {
    db = new BetterSqlite3(':memory:');
    migrateSqlite(db);
    statements = prepareStatements(db);
  });
  afterEach(() => {
    db.close();
  });

  /** One group-commit transaction of sends, as the batcher runs it; returns the [seq, rev] pairs handed out. */
  function commitSends(counters: CommittedCounters, rooms: string[]): Array<[number, number]> {
    const session = new RoomCounterSession(statements, counters);
    const handedOut = db.transaction(() =>
      rooms.map((room): [number, number] => {
        counter += 1;
        const input = { id: `m-${counter}`, room, from: { id: 'ada', name: 'Ada' }, text: 't', sentAt: new Date().toISOString() };
        const { message } = writeRoomMessage(statements, session, input);
        return [message.seq, message.rev];
      }),
    )();
    session.committed();
    return handedOut;
  }

  function commitEdit(counters: CommittedCounters, room: string, seq: number): number {
    const session = new RoomCounterSession(statements, counters);
    const change = db.transaction(() =>
      writeRoomEdit(
        statements,
        session,
        { room, seq, authorId: 'ada', text: `edit ${(counter += 1)}`, editedAt: new Date().toISOString() },
        (write) => write(),
      ),
    )();
    session.committed();
    if (change.outcome !== 'changed') throw new Error(`edit of ${room} ${seq}: ${change.outcome}`);
    return change.message.rev;
  }

  it('continues every room gap-free when its counters were forgotten and read back', () => {
    const counters = new CommittedCounters(2);
    expect(commitSends(counters, ['a', 'a', 'b'])).toEqual([
      [1, 1],
      [2, 2],
      [1, 1],
    ]);
    expect(commitEdit(counters, 'a', 1)).toBe(3); // the newest rev of a is on its oldest row
    expect(commitSends(counters, ['c', 'd'])).toEqual([
      [1, 1],
      [1, 1],
    ]); // a and b forgotten
    expect(counters.get('a')).toBeUndefined();
    expect(commitSends(counters, ['a', 'b', 'c', 'a'])).toEqual([
      [3, 4],
      [2, 2],
      [2, 2],
      [4, 5],
    ]);
    expect(counters.size).toBe(2);
  });

  it('takes nothing from the shared counters when the transaction rolls back', () => {
    const counters = new CommittedCounters();
    commitSends(counters, ['a']);
    const session = new RoomCounterSession(statements, counters);
    const failing = db.transaction(() => {
      writeRoomMessage(statements, session, { id: 'lost', room: 'a', from: { id: 'ada', name: 'Ada' }, text: 't', sentAt: 'x' });
      throw new Error('rolled back');
    });
    expect(failing).toThrow('rolled back');
    expect(counters.get('a')).toEqual({ seq: 1, rev: 1 });
    expect(commitSends(counters, ['a'])).toEqual([[2, 2]]);
  });
});
