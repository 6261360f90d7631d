import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { AuditEntry, Message } from '../../src/contract.js';
import type { MessageChange } from '../../src/messages/message-store.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { PG } from '../../src/messages/postgres-statements.js';
import type { NewAuditEntry, StoredRestriction } from '../../src/moderation/moderation-store.js';
import { ERASURE_STEP_MAX_MESSAGES } from '../../src/moderation/erasure-limits.js';
import { ERASURE_SCAN_ROWS, PG_MODERATION } from '../../src/moderation/postgres-moderation.js';
import { eventually, within } from '../support/wait.js';
import { ADA, BOB, roomInput } from './support/message-store-contract.js';
import { describePostgres, TestSchema } from './support/postgres.js';

Logger.overrideLogger(false);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const now = (): string => new Date().toISOString();

function auditOf(userId: string, action: NewAuditEntry['action'] = 'ban', room: string | null = 'r'): NewAuditEntry {
  return { at: now(), actor: 'admin', action, userId, room, details: { reason: null, until: null } };
}

function ban(room: string, userId: string, createdAt: string, until: string | null): StoredRestriction {
  return { kind: 'ban', room, userId, reason: 'spam', createdAt, until, by: 'admin' };
}

/**
 * Two stores on one schema (two gateway processes) and a plain client that holds locks, so each
 * race is staged rather than hoped for: erasure against sends, edits, deletions and retention,
 * concurrent bans of one user, and audit ids against readers paging by id.
 */
describePostgres('PostgreSQL moderation: erasure, bans and the audit log under concurrency', () => {
  let schema: TestSchema;
  let first: PostgresMessageStore;
  let second: PostgresMessageStore;
  let holder: pg.Client;

  beforeAll(async () => {
    schema = await TestSchema.create('moderation');
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

  /** Resolves once `count` backends wait on a lock while running `statement`. */
  async function waitersOn(statement: string, count: number, what: string): Promise<void> {
    await eventually(async () => {
      const rows = await schema.query<{ waiting: number }>(
        "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND left(query, 500) = left($1, 500)",
        [statement],
      );
      return rows[0]!.waiting >= count;
    }, what);
  }

  /**
   * `count` messages in `room` with seq = rev = 1..count, written straight into the tables; every
   * `otherEvery`-th is Bob's, the rest Eve's. sent_at starts at `from`, one millisecond apart.
   */
  async function seedRoom(room: string, count: number, otherEvery: number, from = new Date()): Promise<void> {
    await schema.query(
      `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, rev)
       SELECT $1, n, $1 || '-' || n, CASE WHEN n % $3 = 0 THEN 'bob' ELSE 'eve' END, 'x', 'secret ' || n,
              $4::timestamptz + n * interval '1 millisecond', n
       FROM generate_series(1, $2::int) AS n`,
      [room, count, otherEvery, from.toISOString()],
    );
    await schema.query('INSERT INTO room_seqs (room, last_seq, last_rev) VALUES ($1, $2, $2)', [room, count]);
  }

  /** `count` direct messages from Eve (to Ada), every `otherEvery`-th from Bob instead. */
  async function seedDirects(count: number, otherEvery: number): Promise<void> {
    await schema.query(
      `INSERT INTO direct_messages (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at)
       SELECT 'dm-' || n, 'ada\neve', CASE WHEN n % $2 = 0 THEN 'bob' ELSE 'eve' END, 'x', 'ada', 'Ada', 'secret dm ' || n,
              now() + n * interval '1 millisecond'
       FROM generate_series(1, $1::int) AS n`,
      [count, otherEvery],
    );
  }

  interface ErasureRun {
    roomMessages: Message[];
    directMessages: number;
    steps: number;
  }

  async function eraseAll(store: PostgresMessageStore, userId: string, onStep?: () => void): Promise<ErasureRun> {
    const run: ErasureRun = { roomMessages: [], directMessages: 0, steps: 0 };
    let cursor: string | undefined;
    do {
      const step = await store.eraseStep({ userId, deletedAt: now(), cursor });
      run.roomMessages.push(...step.roomMessages);
      run.directMessages += step.directMessages;
      run.steps += 1;
      expect(step.roomMessages.length + step.directMessages).toBeLessThanOrEqual(ERASURE_STEP_MAX_MESSAGES);
      onStep?.();
      cursor = step.cursor;
    } while (cursor !== undefined);
    return run;
  }

  async function traces(userId: string): Promise<number> {
    const rows = await schema.query<{ left: number }>(
      `SELECT (SELECT count(*) FROM room_messages WHERE sender_id = $1 AND (text <> '' OR deleted_at IS NULL))
            + (SELECT count(*) FROM direct_messages WHERE sender_id = $1 AND (text <> '' OR deleted_at IS NULL)) AS left`,
      [userId],
    );
    return Number(rows[0]!.left);
  }

  it('walks past rows of others in bounded steps, erases every message of the user once and is idempotent', async () => {
    await schema.query('TRUNCATE room_seqs, room_messages, direct_messages');
    // 25,000 rows of which Eve wrote every 1000th: steps that find nothing still move on.
    await seedRoom('crowd', 25_000, 1, new Date());
    await schema.query("UPDATE room_messages SET sender_id = 'eve' WHERE room = 'crowd' AND seq % 1000 = 0");
    await seedRoom('eve-only', 1_200, 1_000_000);
    await seedDirects(12_000, 2);

    const run = await eraseAll(first, 'eve');
    const erasedKeys = run.roomMessages.map((m) => `${m.room}/${m.seq}`);
    expect(new Set(erasedKeys).size).toBe(25 + 1_200);
    expect(run.directMessages).toBe(6_000);
    // Scans of 10,000 rows: two find 10 of Eve's each in crowd; the third reads crowd's last 5,000
    // (5 of hers) and stops in eve-only at her 500th; two more take eve-only's other 700. Direct
    // messages: each step reads 1,000 rows to take 500 of hers, and one more finds the end.
    expect([ERASURE_SCAN_ROWS, ERASURE_STEP_MAX_MESSAGES]).toEqual([10_000, 500]);
    expect(run.steps).toBe(5 + 13);
    expect(run.roomMessages.every((m) => m.text === '' && m.deletedAt !== undefined && m.from.id === 'eve')).toBe(true);
    // Each room's erased messages took its next revs, in seq order.
    const crowd = run.roomMessages.filter((m) => m.room === 'crowd');
    expect(crowd.map((m) => m.rev)).toEqual(range(25_001, 25_025));
    await expect(second.roomState('crowd')).resolves.toEqual({ lastSeq: 25_000, rev: 25_025 });
    await expect(second.roomState('eve-only')).resolves.toEqual({ lastSeq: 1_200, rev: 2_400 });
    expect(await traces('eve')).toBe(0);
    const bobLeft = await schema.query<{ intact: number }>(
      "SELECT count(*)::int AS intact FROM direct_messages WHERE sender_id = 'bob' AND text LIKE 'secret%' AND deleted_at IS NULL",
    );
    expect(bobLeft[0]!.intact).toBe(6_000);

    const again = await eraseAll(second, 'eve');
    expect(again.roomMessages).toEqual([]);
    expect(again.directMessages).toBe(0);
    // Only the scans: 26,200 room rows and 12,000 direct ones, 10,000 a step.
    expect(again.steps).toBe(3 + 2);
    await expect(first.roomState('crowd')).resolves.toEqual({ lastSeq: 25_000, rev: 25_025 });
  });

  it('holds only the rooms a step changes: a send elsewhere goes through, one in an erased room waits for the step', async () => {
    await seedRoom('held-a', 10, 1_000_000);
    await first.appendRoomMessage(roomInput('held-b', ADA, 'before'));
    const eves = range(1, 10);
    // An erasure step of another process, uncommitted.
    await holder.query('BEGIN');
    await holder.query(PG_MODERATION.lockErasureRooms.text, [['held-a']]);
    await holder.query(PG_MODERATION.eraseRoomMessages.text, [eves.map(() => 'held-a'), eves, 'eve', now()]);

    const elsewhere = await within(
      second.appendRoomMessage(roomInput('held-b', BOB, 'not held')),
      'a send in a room the step does not hold',
    );
    expect(elsewhere.message).toMatchObject({ seq: 2, rev: 2 });
    const inside = first.appendRoomMessage(roomInput('held-a', BOB, 'after the step'));
    const edit = second.editRoomMessage({ room: 'held-a', seq: 3, authorId: 'eve', text: 'rewrite', editedAt: now() });
    inside.catch((error: unknown) => error);
    edit.catch((error: unknown) => error);
    await waitersOn(PG.insertRoomMessage.text, 1, 'the send in the erased room waits for the step');
    await waitersOn(PG.editRoomMessage.text, 1, 'the edit of an erased message waits for the step');
    await holder.query('COMMIT');

    await expect(inside).resolves.toMatchObject({ message: { seq: 11, rev: 21 } });
    await expect(edit).resolves.toEqual({ outcome: 'not-found' });
    await expect(first.roomState('held-a')).resolves.toEqual({ lastSeq: 11, rev: 21 });
  });

  it('lets sends in other rooms (and in the erased ones) flow during an erasure, with seq and rev gap-free', async () => {
    const erased = ['flow-e1', 'flow-e2', 'flow-e3'];
    for (const room of erased) await seedRoom(room, 2_000, 4);
    const others = ['flow-o1', 'flow-o2', 'flow-o3', 'flow-o4'];
    let erasing = true;
    let steps = 0;
    const sentDuring = new Map<string, number>();
    const sent = new Map<string, Message[]>();
    const sender = async (room: string): Promise<void> => {
      const mine: Message[] = [];
      sent.set(room, mine);
      // At least one send after the erasure's first step, then on until the erasure is done.
      while (erasing || mine.length === 0) {
        const stepsBefore = steps;
        mine.push((await second.appendRoomMessage(roomInput(room, ADA, `during ${mine.length}`))).message);
        if (erasing && steps > stepsBefore) sentDuring.set(room, (sentDuring.get(room) ?? 0) + 1);
      }
    };
    const senders = [...others, erased[0]!].map(sender);
    const run = await eraseAll(first, 'eve', () => {
      steps += 1;
    }).finally(() => {
      erasing = false;
    });
    await Promise.all(senders);

    expect(run.roomMessages).toHaveLength(3 * 1_500);
    // Sends in the rooms no step held went on between (and while) the steps.
    for (const room of others) {
      const messages = sent.get(room)!;
      expect(messages.length).toBeGreaterThan(0);
      expect(messages.map((m) => m.seq)).toEqual(range(1, messages.length));
      expect(messages.map((m) => m.rev)).toEqual(range(1, messages.length));
      await expect(first.roomState(room)).resolves.toEqual({ lastSeq: messages.length, rev: messages.length });
    }
    expect([...sentDuring.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // In a room both wrote, every rev after the seeded ones was taken once, by a send or a tombstone.
    const [busy] = erased;
    const sends = sent.get(busy!)!;
    const tombstones = run.roomMessages.filter((m) => m.room === busy);
    expect(sends.map((m) => m.seq)).toEqual(range(2_001, 2_000 + sends.length));
    expect([...sends, ...tombstones].map((m) => m.rev).sort((a, b) => a - b)).toEqual(range(2_001, 2_000 + sends.length + 1_500));
    await expect(first.roomState(busy!)).resolves.toEqual({ lastSeq: 2_000 + sends.length, rev: 2_000 + sends.length + 1_500 });
    expect(await traces('eve')).toBe(0);
  });

  it('never deadlocks an erasure with edits, deletions and retention of the same rows', async () => {
    await schema.query('TRUNCATE room_seqs, room_messages, direct_messages');
    const rooms = ['mix-1', 'mix-2', 'mix-3', 'mix-4'];
    // Old messages, so retention has rows to take while the erasure runs.
    const old = new Date(Date.now() - 10 * 24 * 60 * 60 * 1000);
    for (const room of rooms) await seedRoom(room, 1_500, 3, old);
    await seedDirects(3_000, 3);
    const cutoff = new Date(old.getTime() + 700);

    const changes: MessageChange[] = [];
    let erasing = true;
    const editor = async (store: PostgresMessageStore, offset: number): Promise<void> => {
      for (let k = 0; erasing || k < 50; k += 1) {
        const room = rooms[(k + offset) % rooms.length]!;
        const seq = 1 + ((k * 37 + offset * 101) % 1_500);
        changes.push(
          k % 2 === 0
            ? await store.editRoomMessage({ room, seq, authorId: 'eve', text: `edit ${k}`, editedAt: now() })
            : await store.deleteRoomMessage({ room, seq, deletedAt: now() }),
        );
      }
    };
    let pruned = 0;
    const retention = async (store: PostgresMessageStore): Promise<void> => {
      while (erasing) pruned += await store.pruneOlderThan(cutoff, 50);
    };
    const racers = [editor(second, 0), editor(first, 1), editor(second, 2), retention(first), retention(second)];
    const erasures = Promise.all([eraseAll(first, 'eve'), eraseAll(second, 'eve')]).finally(() => {
      erasing = false;
    });
    // A deadlock would reject one of these with 40P01.
    const [[one, other]] = await Promise.all([erasures, Promise.all(racers)]);

    expect(pruned).toBeGreaterThan(0);
    expect(await traces('eve')).toBe(0);
    const changed = changes.filter((change) => change.outcome === 'changed').length;
    for (const room of rooms) {
      const state = await first.roomState(room);
      const tombstones = [...one!.roomMessages, ...other!.roomMessages].filter((m) => m.room === room);
      const changedHere = changes.filter((change) => change.outcome === 'changed' && change.message.room === room);
      // Every rev after the seeded ones went to exactly one change: nothing taken twice or lost.
      expect(state.rev).toBe(1_500 + tombstones.length + changedHere.length);
      const revs = [...tombstones, ...changedHere.map((change) => ('message' in change ? change.message : undefined)!)].map((m) => m.rev);
      expect(revs.sort((a, b) => a - b)).toEqual(range(1_501, state.rev));
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('lets retention skip rows an erasure step holds instead of waiting for them', async () => {
    const old = new Date(Date.now() - 20 * 24 * 60 * 60 * 1000);
    await seedRoom('aged', 4, 1_000_000, old);
    await holder.query('BEGIN');
    await holder.query("SELECT 1 FROM room_messages WHERE room = 'aged' AND seq IN (1, 2) FOR NO KEY UPDATE");
    const pruned = await within(first.pruneOlderThan(new Date(old.getTime() + 60_000), 100), 'retention past held rows');
    expect(pruned).toBe(2);
    await holder.query('COMMIT');
    await expect(first.pruneOlderThan(new Date(old.getTime() + 60_000), 100)).resolves.toBe(2);
  });

  it('gives a step revs only for the rows it erased when retention deleted one of them meanwhile', async () => {
    await seedRoom('shrinking', 6, 1_000_000);
    // Retention of another process has deleted seq 2, uncommitted; the step reads it, then waits for it.
    await holder.query('BEGIN');
    await holder.query("DELETE FROM room_messages WHERE room = 'shrinking' AND seq = 2");
    const step = first.eraseStep({ userId: 'eve', deletedAt: now() });
    step.catch((error: unknown) => error);
    await waitersOn(PG_MODERATION.eraseRoomMessages.text, 1, 'the step waits for the row retention holds');
    await holder.query('COMMIT');

    const { roomMessages } = await step;
    expect(roomMessages.map((m) => [m.seq, m.rev])).toEqual([
      [1, 7],
      [3, 8],
      [4, 9],
      [5, 10],
      [6, 11],
    ]);
    await expect(second.roomState('shrinking')).resolves.toEqual({ lastSeq: 6, rev: 11 });
  });

  it('answers concurrent bans of one user in one room as one new ban and replacements, each audited', async () => {
    const createdAt = now();
    const puts = range(1, 12).map((i) =>
      (i % 2 ? first : second).putRestriction({
        restriction: { ...ban('same', 'mallory', createdAt, null), reason: `reason ${i}` },
        audit: auditOf('mallory', 'ban', 'same'),
      }),
    );
    const outcomes = await Promise.all(puts);
    expect(outcomes.filter((outcome) => !outcome.replaced)).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.replaced)).toHaveLength(11);
    const stored = await second.roomRestrictions({ kind: 'ban', room: 'same', now: now(), limit: 10 });
    expect(stored).toHaveLength(1);
    const audited = await schema.query<{ count: number }>("SELECT count(*)::int FROM audit_log WHERE user_id = 'mallory'");
    expect(audited[0]!.count).toBe(12);
  });

  it('sees a ban committed while another put waited, so the second one reports it replaced', async () => {
    const createdAt = now();
    await holder.query('BEGIN');
    await holder.query(PG_MODERATION.lockRestriction.text, ['room_restrictions\nban\nstaged\nmallory']);
    await holder.query(PG_MODERATION.putRestriction.text, ['ban', 'staged', 'mallory', null, createdAt, null, 'admin']);
    const put = first.putRestriction({
      restriction: ban('staged', 'mallory', createdAt, null),
      audit: auditOf('mallory', 'ban', 'staged'),
    });
    put.catch((error: unknown) => error);
    await waitersOn(PG_MODERATION.lockRestriction.text, 1, 'the put waits for the other ban of the same key');
    await holder.query('COMMIT');
    await expect(put).resolves.toEqual({ replaced: true });
  });

  it('keeps a ban a put renews while pruning runs, and prunes the ended one otherwise', async () => {
    const past = new Date(Date.now() - 60_000).toISOString();
    const ended = new Date(Date.now() - 30_000).toISOString();
    for (const userId of ['renewed', 'left-ended']) {
      await first.putRestriction({ restriction: ban('prune', userId, past, ended), audit: auditOf(userId, 'ban', 'prune') });
    }
    // A put renewing one of them holds its row, uncommitted, while pruning runs.
    await holder.query('BEGIN');
    await holder.query(PG_MODERATION.lockRestriction.text, ['room_restrictions\nban\nprune\nrenewed']);
    const putAt = now();
    await holder.query(PG_MODERATION.putRestriction.text, ['ban', 'prune', 'renewed', null, putAt, null, 'admin']);
    const pruning = second.pruneEndedRestrictions(now(), 100);
    await expect(within(pruning, 'pruning past the held row')).resolves.toBe(1);
    await holder.query('COMMIT');
    await expect(first.pruneEndedRestrictions(now(), 100)).resolves.toBe(0);
    const left = await first.roomRestrictions({ kind: 'ban', room: 'prune', now: now(), limit: 10 });
    expect(left.map((restriction) => [restriction.userId, restriction.until])).toEqual([['renewed', null]]);

    // The other way round: pruning deleted the ended row first (uncommitted); the put waits, then makes a new ban.
    await first.putRestriction({ restriction: ban('prune', 'pruned-first', past, ended), audit: auditOf('pruned-first', 'ban', 'prune') });
    await holder.query('BEGIN');
    await holder.query(PG_MODERATION.pruneEndedRestrictions.text, [now(), 100]);
    const put = second.putRestriction({
      restriction: ban('prune', 'pruned-first', now(), null),
      audit: auditOf('pruned-first', 'ban', 'prune'),
    });
    put.catch((error: unknown) => error);
    await waitersOn(PG_MODERATION.previousRestriction.text, 1, 'the put waits for the pruning that holds the ended row');
    await holder.query('COMMIT');
    await expect(put).resolves.toEqual({ replaced: false });
    const after = await second.roomRestrictions({ kind: 'ban', room: 'prune', now: now(), limit: 10 });
    expect(after.map((restriction) => restriction.userId)).toEqual(['pruned-first', 'renewed']);
  });

  it('makes audit ids visible in commit order: no later id commits while an earlier one is pending', async () => {
    const [before] = await schema.query<{ top: string }>('SELECT COALESCE(max(id), 0) AS top FROM audit_log');
    const start = Number(before!.top);
    await holder.query('BEGIN');
    const held = await holder.query<{ id: string }>(PG_MODERATION.appendAudit.text, [now(), 'admin', 'erase', 'held', null, '{}']);
    const later = second.appendAudit(auditOf('later', 'erase', null));
    later.catch((error: unknown) => error);
    await waitersOn(PG_MODERATION.appendAudit.text, 1, 'the second append waits for the pending one');
    await expect(first.auditPage({ after: start, limit: 10 })).resolves.toEqual([]);
    await holder.query('COMMIT');
    const appended = await later;
    expect(appended.id).toBe(Number(held.rows[0]!.id) + 1);
    const page = await first.auditPage({ after: start, limit: 10 });
    expect(page.map((entry) => entry.userId)).toEqual(['held', 'later']);
  });

  it('never lets a reader paging by id skip an audit entry while two processes append', async () => {
    const [before] = await schema.query<{ top: string }>('SELECT COALESCE(max(id), 0) AS top FROM audit_log');
    let after = Number(before!.top);
    const seen: AuditEntry[] = [];
    let appending = true;
    const reader = (async (): Promise<void> => {
      while (appending || seen.length < 200) {
        const page = await first.auditPage({ after, limit: 50 });
        seen.push(...page);
        if (page.length > 0) after = page[page.length - 1]!.id;
        else if (!appending) break;
      }
    })();
    const appended = await Promise.all(
      range(1, 200).map((i) => (i % 2 ? first : second).appendAudit(auditOf(`user-${i}`, 'revoke', null))),
    );
    appending = false;
    await reader;
    expect(seen.map((entry) => entry.id)).toEqual(appended.map((entry) => entry.id).sort((a, b) => a - b));
    expect(seen.find((entry) => entry.userId === 'user-7')).toEqual(appended[6]);
  });
});
