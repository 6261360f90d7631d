import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { migrateSqlite } from '../database/sqlite-migrator.js';
import { prepareStatements, type SqliteStatements } from './sqlite-statements.js';
import { CommittedSeqs, RoomSeqSession } from './sqlite-write-session.js';
import { writeRoomMessage } from './sqlite-writes.js';

describe('CommittedSeqs', () => {
  it('keeps at most its capacity, forgetting the least recently written room first', () => {
    const seqs = new CommittedSeqs(2);
    seqs.record('a', 1);
    seqs.record('b', 1);
    seqs.record('a', 2); // a is now the most recent
    seqs.record('c', 1);
    expect(seqs.size).toBe(2);
    expect(seqs.get('b')).toBeUndefined();
    expect(seqs.get('a')).toBe(2);
    expect(seqs.get('c')).toBe(1);
  });
});

describe('RoomSeqSession with a bounded counter cache', () => {
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

  /** One group-commit transaction of sends, as the batcher runs it; returns the seqs handed out. */
  function commitSends(seqs: CommittedSeqs, rooms: string[]): number[] {
    const session = new RoomSeqSession(statements, seqs);
    const handedOut = db.transaction(() =>
      rooms.map((room) => {
        counter += 1;
        const input = { id: `m-${counter}`, room, from: { id: 'ada', name: 'Ada' }, text: 't', sentAt: new Date().toISOString() };
        return writeRoomMessage(statements, session, input).message.seq;
      }),
    )();
    session.committed();
    return handedOut;
  }

  it('continues every room gap-free when its counter was forgotten and read back', () => {
    const seqs = new CommittedSeqs(2);
    expect(commitSends(seqs, ['a', 'a', 'b'])).toEqual([1, 2, 1]);
    expect(commitSends(seqs, ['c', 'd'])).toEqual([1, 1]); // a and b forgotten
    expect(seqs.get('a')).toBeUndefined();
    expect(commitSends(seqs, ['a', 'b', 'c', 'a'])).toEqual([3, 2, 2, 4]);
    expect(seqs.size).toBe(2);
  });
});
