import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { Message } from '../../src/contract.js';
import { PG_MEMBERSHIPS } from '../../src/memberships/postgres-memberships.js';
import type { MessageChange } from '../../src/messages/message-store.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { PG } from '../../src/messages/postgres-statements.js';
import { eventually } from '../support/wait.js';
import { ADA, BOB, CAROL, roomInput } from './support/message-store-contract.js';
import { describePostgres, TestSchema } from './support/postgres.js';

Logger.overrideLogger(false);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const now = (): string => new Date().toISOString();

/**
 * Two stores on one schema, each with its own pool: two gateway processes sharing the database.
 * Sends, edits, deletions, joins and marker writes from both must keep rev gap-free and every
 * rule atomic, which in PostgreSQL rests on row and advisory locks, not on one process's order.
 */
describePostgres('PostgreSQL chat state: two processes on one database', () => {
  let schema: TestSchema;
  let first: PostgresMessageStore;
  let second: PostgresMessageStore;
  /** Holds locks the stores must wait for, so a race is staged rather than hoped for. */
  let holder: pg.Client;

  beforeAll(async () => {
    schema = await TestSchema.create('chatstate');
    first = new PostgresMessageStore({ connectionString: schema.url, poolSize: 4 });
    second = new PostgresMessageStore({ connectionString: schema.url, poolSize: 4 });
    await first.open();
    await second.open();
    holder = new pg.Client({ connectionString: schema.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder.end();
    await first.close();
    await second.close();
    await schema.drop();
  });

  /** Resolves once `count` backends wait on a lock while running `statement` (compared by its start: the view cuts long texts). */
  async function waitersOn(statement: string, count: number, what: string): Promise<void> {
    await eventually(async () => {
      const rows = await schema.query<{ waiting: number }>(
        "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND left(query, 500) = left($1, 500)",
        [statement],
      );
      return rows[0]!.waiting >= count;
    }, what);
  }

  it('keeps rev gap-free and counts every change once while both send, edit and delete in one room', async () => {
    const room = 'busy';
    const seeded: Message[] = [];
    for (let i = 0; i < 20; i += 1) {
      seeded.push((await (i % 2 ? first : second).appendRoomMessage(roomInput(room, i % 2 ? ADA : BOB, `seed ${i}`))).message);
    }
    expect(seeded.map((m) => m.rev)).toEqual(range(1, 20));
    const authorOf = (seq: number): string => seeded[seq - 1]!.from.id;

    const written: Message[] = [];
    const outcomes: MessageChange['outcome'][] = [];
    const keep = (change: MessageChange): void => {
      outcomes.push(change.outcome);
      if (change.outcome === 'changed') written.push(change.message);
    };
    const duplicates: Array<{ created: boolean; message: Message }> = [];
    const work = (store: PostgresMessageStore, name: string): Array<Promise<void>> =>
      range(0, 29).map(async (k) => {
        const seq = (k % 20) + 1;
        switch (k % 4) {
          case 0: {
            const sent = await store.appendRoomMessage(roomInput(room, CAROL, `${name} sends ${k}`));
            written.push(sent.message);
            return;
          }
          case 1:
            return keep(await store.editRoomMessage({ room, seq, authorId: authorOf(seq), text: `${name} edits ${k}`, editedAt: now() }));
          case 2:
            // seq k % 20: the messages other rounds edit, so edits and deletions contend.
            return keep(await store.deleteRoomMessage({ room, seq: k % 20, deletedAt: now() }));
          default: {
            // Both processes send the same (sender, clientMsgId) at once: one message, one seq, one rev.
            const sent = await store.appendRoomMessage(roomInput(room, ADA, `retry ${k}`, { clientMsgId: `same-${k}` }));
            duplicates.push(sent);
            if (sent.created) written.push(sent.message);
          }
        }
      });
    await Promise.all([...work(first, 'first'), ...work(second, 'second')]);

    expect(written.map((m) => m.rev).sort((a, b) => a - b)).toEqual(range(21, 20 + written.length));
    expect(outcomes.filter((outcome) => outcome === 'changed').length).toBeGreaterThan(0);
    const byClientId = new Map<string, Array<{ created: boolean; message: Message }>>();
    for (const sent of duplicates) byClientId.set(sent.message.clientMsgId!, [...(byClientId.get(sent.message.clientMsgId!) ?? []), sent]);
    for (const pair of byClientId.values()) {
      expect(pair.map((sent) => sent.created).sort()).toEqual([false, true]);
      expect(pair[0]!.message.seq).toBe(pair[1]!.message.seq);
    }

    const sends = written.filter((m) => m.editedAt === undefined && m.deletedAt === undefined && m.seq > 20);
    const lastSeq = 20 + sends.length;
    for (const store of [first, second]) {
      await expect(store.roomState(room)).resolves.toEqual({ lastSeq, rev: 20 + written.length });
    }
    // Every message as its last change left it (its highest rev), once, in rev order.
    const latest = new Map<number, Message>(seeded.map((m) => [m.seq, m]));
    for (const message of written) if (message.rev > latest.get(message.seq)!.rev) latest.set(message.seq, message);
    const expected = [...latest.values()].sort((a, b) => a.rev - b.rev);
    expect([...latest.keys()].sort((a, b) => a - b)).toEqual(range(1, lastSeq));
    await expect(second.roomSinceRev({ room, sinceRev: 0, limit: 500 })).resolves.toEqual({ messages: expected, hasMore: false });
    const history = (await first.roomPage({ room, limit: 500 })).messages;
    expect(history).toEqual([...expected].sort((a, b) => a.seq - b.seq));
    expect(history.filter((m) => m.deletedAt !== undefined).every((m) => m.text === '')).toBe(true);
  });

  it('gives an edit that waited behind a send the rev after it, and a repeated edit nothing', async () => {
    const room = 'queued';
    await first.appendRoomMessage(roomInput(room, ADA, 'draft'));
    // A send of another process holds the room's counter row, uncommitted.
    await holder.query('BEGIN');
    await holder.query(PG.insertRoomMessage.text, [room, 'held-send', 'bob', 'Bob', 'in between', now(), null]);
    const edit = { room, seq: 1, authorId: 'ada', text: 'final', editedAt: now() };
    const fromFirst = first.editRoomMessage(edit);
    const fromSecond = second.editRoomMessage(edit);
    fromFirst.catch((error: unknown) => error);
    fromSecond.catch((error: unknown) => error);
    await waitersOn(PG.editRoomMessage.text, 2, 'both edits wait for the held send');
    await holder.query('COMMIT');

    // Both read the message before either wrote it; only one may take a rev for it.
    const outcomes = await Promise.all([fromFirst, fromSecond]);
    expect(outcomes.map((change) => change.outcome).sort()).toEqual(['changed', 'unchanged']);
    const [one, other] = outcomes.map((change) => ('message' in change ? change.message : undefined));
    expect(one).toEqual(other);
    expect(one).toMatchObject({ seq: 1, rev: 3, text: 'final' });
    await expect(second.roomState(room)).resolves.toEqual({ lastSeq: 2, rev: 3 });
  });

  it('lets one of a deletion and an edit that race win, and never both write over a tombstone', async () => {
    const room = 'contested';
    await first.appendRoomMessage(roomInput(room, ADA, 'words'));
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM room_seqs WHERE room = $1 FOR UPDATE', [room]);
    const deletion = first.deleteRoomMessage({ room, seq: 1, deletedAt: now() });
    deletion.catch((error: unknown) => error);
    await waitersOn(PG.deleteRoomMessage.text, 1, 'the deletion waits for the counter row');
    const edit = second.editRoomMessage({ room, seq: 1, authorId: 'ada', text: 'too late', editedAt: now() });
    edit.catch((error: unknown) => error);
    await waitersOn(PG.editRoomMessage.text, 1, 'the edit waits behind the deletion');
    await holder.query('COMMIT');

    await expect(deletion).resolves.toMatchObject({ outcome: 'changed', message: { rev: 2, text: '' } });
    await expect(edit).resolves.toEqual({ outcome: 'not-found' });
    const stored = await second.roomMessage(room, 1);
    expect(stored).toMatchObject({ rev: 2, text: '' });
    expect(stored!.deletedAt).toBeDefined();
    expect(stored!.editedAt).toBeUndefined();
    await expect(first.roomState(room)).resolves.toEqual({ lastSeq: 1, rev: 2 });
  });

  it('never lets joins of one user on two processes pass the membership cap', async () => {
    for (const room of ['j1', 'j2']) await first.join({ room, user: ADA, joinedAt: now(), maxMemberships: 10 });
    // Another join of Ada's holds her turn; both stores' joins read her count only after it commits.
    await holder.query('BEGIN');
    await holder.query(PG_MEMBERSHIPS.lockUserMemberships.text, [`room_members\nada`]);
    await holder.query(PG_MEMBERSHIPS.join.text, ['j3', 'ada', 'Ada', now(), 10]);
    const joins = [
      first.join({ room: 'j4', user: ADA, joinedAt: now(), maxMemberships: 4 }),
      second.join({ room: 'j5', user: ADA, joinedAt: now(), maxMemberships: 4 }),
    ];
    for (const join of joins) join.catch((error: unknown) => error);
    await waitersOn(PG_MEMBERSHIPS.lockUserMemberships.text, 2, "both joins wait for Ada's turn");
    await holder.query('COMMIT');

    const outcomes = (await Promise.all(joins)).map((join) => join.outcome);
    expect(outcomes.sort()).toEqual(['created', 'limit']);
    expect(await second.userRooms('ada')).toHaveLength(4);
    // Another user's joins are not held back by Ada's cap.
    await expect(first.join({ room: 'j4', user: BOB, joinedAt: now(), maxMemberships: 1 })).resolves.toMatchObject({ outcome: 'created' });
  });

  it('moves overlapping markers from both processes without deadlock, forward only', async () => {
    const rooms = range(1, 6).map((i) => `markers-${i}`);
    for (const room of rooms) {
      for (const user of [ADA, BOB]) await first.join({ room, user, joinedAt: now(), maxMemberships: 100 });
    }
    const moves = rooms.flatMap((room) => [ADA, BOB].map((user) => ({ room, userId: user.id })));
    // Opposite orders in the two processes: without a fixed lock order these would deadlock.
    await Promise.all(
      range(1, 20).flatMap((round) => [
        first.moveMarkers(moves.map((move) => ({ ...move, readSeq: round }))),
        second.moveMarkers([...moves].reverse().map((move) => ({ ...move, readSeq: 21 - round }))),
      ]),
    );
    for (const room of rooms) {
      const members = await second.roomMembers({ room, limit: 10 });
      expect(members.map((member) => [member.user.id, member.readSeq])).toEqual([
        ['ada', 20],
        ['bob', 20],
      ]);
    }
    // A late marker write does not bring a forgotten membership back.
    await first.forget(rooms[0]!, 'ada');
    await second.moveMarkers([{ room: rooms[0]!, userId: 'ada', readSeq: 30 }]);
    await expect(first.membershipState(rooms[0]!, 'ada')).resolves.toBeUndefined();
  });
});
