import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Message, MembershipSummary, User } from '../../../src/contract.js';
import type { Membership } from '../../../src/memberships/membership-store.js';
import type { ChatStoreEngine } from '../../../src/messages/message-store.factory.js';
import type { MessageChange } from '../../../src/messages/message-store.js';
import { roomMessageBytes } from '../../../src/messages/reply-budget.js';
import { ADA, BOB, CAROL, roomInput } from './message-store-contract.js';

/** How the chat-state suite gets engines of one implementation (an engine stores messages and memberships). */
export interface ChatStateHarness {
  /** A fresh, empty, open engine. */
  create(): Promise<ChatStoreEngine>;
  close(store: ChatStoreEngine): Promise<void>;
  /** A new engine on the same database as `store` (after closing it): durable engines only. */
  reopen?(store: ChatStoreEngine): Promise<ChatStoreEngine>;
  /** The text column of the stored row as the database holds it, read past the engine: SQL engines. */
  rawText?(store: ChatStoreEngine, room: string, seq: number): Promise<string | undefined>;
}

const OLD = '2001-01-01T00:00:00.000Z';
const PRUNE_CUTOFF = new Date('2020-01-01T00:00:00.000Z');
const EDITED_AT = '2030-05-01T00:00:00.000Z';
const DELETED_AT = '2030-05-02T00:00:00.000Z';
const MAX = 1000;

const seqs = (messages: Message[]): number[] => messages.map((m) => m.seq);
const revs = (messages: Message[]): number[] => messages.map((m) => m.rev);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const byRev = (a: Message, b: Message): number => a.rev - b.rev;

/** Distinct joinedAt times: the nth of the suite is n seconds after a fixed start. */
function joinedAt(n: number): string {
  return new Date(Date.parse('2030-02-01T00:00:00.000Z') + n * 1000).toISOString();
}

function changed(change: MessageChange): Message {
  if (change.outcome !== 'changed') throw new Error(`expected a change, got ${change.outcome}`);
  return change.message;
}

/**
 * The chat-state contract of an engine (see the doc comments on MessageStore and MembershipStore):
 * rev, edits, deletions, resume by rev, memberships and read markers. Run against every engine:
 * memory, SQLite (in memory and on disk) and PostgreSQL.
 */
export function describeChatStateContract(harness: ChatStateHarness): void {
  let store: ChatStoreEngine;

  beforeEach(async () => {
    store = await harness.create();
  });

  afterEach(async () => {
    await harness.close(store);
  });

  async function send(
    room: string,
    from: User = ADA,
    text = `${room} text`,
    extra: Parameters<typeof roomInput>[3] = {},
  ): Promise<Message> {
    return (await store.appendRoomMessage(roomInput(room, from, text, extra))).message;
  }

  async function sendMany(room: string, count: number, from: User = ADA): Promise<Message[]> {
    const sent: Message[] = [];
    for (let i = 1; i <= count; i += 1) sent.push(await send(room, from, `${room} ${i}`));
    return sent;
  }

  const edit = (room: string, seq: number, text: string, authorId = ADA.id): Promise<MessageChange> =>
    store.editRoomMessage({ room, seq, authorId, text, editedAt: EDITED_AT });

  const remove = (room: string, seq: number, authorId = ADA.id): Promise<MessageChange> =>
    store.deleteRoomMessage({ room, seq, authorId, deletedAt: DELETED_AT });

  /** No authorId: anyone's message may go. */
  const removeAsAdmin = (room: string, seq: number): Promise<MessageChange> =>
    store.deleteRoomMessage({ room, seq, deletedAt: DELETED_AT });

  async function join(room: string, user: User = ADA, at = 1, maxMemberships = MAX): Promise<Membership> {
    const joined = await store.join({ room, user, joinedAt: joinedAt(at), maxMemberships });
    if (joined.outcome === 'limit') throw new Error(`${user.id} could not join ${room}`);
    return joined.membership;
  }

  /** Every stored message of the room, in rev order (what a resume from rev 0 must return). */
  async function everythingByRev(room: string): Promise<Message[]> {
    return (await store.roomPage({ room, limit: 500 })).messages.sort(byRev);
  }

  const readSeq = async (room: string, userId: string): Promise<number | undefined> =>
    (await store.membershipState(room, userId))?.membership.readSeq;

  describe('rev', () => {
    it('counts every send, edit and deletion gap-free, per room', async () => {
      const [first, second] = await sendMany('alpha', 3);
      expect(revs([first!, second!])).toEqual([1, 2]);
      expect(changed(await edit('alpha', 1, 'first, edited')).rev).toBe(4);
      const fourth = await send('alpha');
      expect([fourth.seq, fourth.rev]).toEqual([4, 5]);
      expect(changed(await remove('alpha', 2)).rev).toBe(6);
      expect(changed(await edit('alpha', 1, 'first, edited twice')).rev).toBe(7);
      const other = await send('beta');
      expect([other.seq, other.rev]).toEqual([1, 1]);
      await expect(store.roomState('alpha')).resolves.toEqual({ lastSeq: 4, rev: 7 });
      await expect(store.roomState('beta')).resolves.toEqual({ lastSeq: 1, rev: 1 });
      await expect(store.roomState('never-used')).resolves.toEqual({ lastSeq: 0, rev: 0 });
      expect(revs(await everythingByRev('alpha'))).toEqual([3, 5, 6, 7]);
    });

    it('stays unique and gap-free under concurrent sends, edits and deletions', async () => {
      await sendMany('busy', 10);
      const results = await Promise.all([
        ...range(1, 30).map((i) => store.appendRoomMessage(roomInput('busy', i % 2 ? ADA : BOB, `new ${i}`))),
        ...range(1, 10).map((seq) => edit('busy', seq, `edited ${seq}`)),
        ...range(1, 5).map((seq) => remove('busy', seq)),
      ]);
      const taken: number[] = [];
      for (const result of results) {
        if ('created' in result) {
          expect(result.created).toBe(true);
          taken.push(result.message.rev);
        } else if (result.outcome === 'changed') {
          taken.push(result.message.rev);
        } else {
          // An edit that came after the deletion of its message.
          expect(result.outcome).toBe('not-found');
        }
      }
      expect(taken.sort((a, b) => a - b)).toEqual(range(11, 10 + taken.length));
      expect(taken.length).toBeGreaterThanOrEqual(40);
      await expect(store.roomState('busy')).resolves.toEqual({ lastSeq: 40, rev: 10 + taken.length });
      const stored = await everythingByRev('busy');
      expect(new Set(revs(stored)).size).toBe(40);
      expect(seqs(stored).sort((a, b) => a - b)).toEqual(range(1, 40));
    });

    it('returns rev, editedAt and deletedAt in a stable key order, the same on write and on read', async () => {
      const plain = await send('shape', ADA, 'plain');
      const tagged = await send('shape', BOB, 'tagged', { clientMsgId: 'c-1' });
      const third = await send('shape', ADA, 'third');
      expect(Object.keys(plain)).toEqual(['id', 'room', 'seq', 'from', 'text', 'sentAt', 'rev']);
      expect(Object.keys(tagged)).toEqual(['id', 'room', 'seq', 'from', 'text', 'sentAt', 'rev', 'clientMsgId']);
      const edited = changed(await edit('shape', 2, 'tagged, edited', BOB.id));
      expect(Object.keys(edited)).toEqual(['id', 'room', 'seq', 'from', 'text', 'sentAt', 'rev', 'clientMsgId', 'editedAt']);
      const deleted = changed(await remove('shape', 1));
      expect(Object.keys(deleted)).toEqual(['id', 'room', 'seq', 'from', 'text', 'sentAt', 'rev', 'deletedAt']);
      const editedThenDeleted = changed(await remove('shape', 2, BOB.id));
      expect(Object.keys(editedThenDeleted)).toEqual([
        'id',
        'room',
        'seq',
        'from',
        'text',
        'sentAt',
        'rev',
        'clientMsgId',
        'editedAt',
        'deletedAt',
      ]);
      const page = await store.roomPage({ room: 'shape', limit: 10 });
      expect(page.messages).toEqual([deleted, editedThenDeleted, third]);
      expect(JSON.stringify(page.messages)).toBe(JSON.stringify([deleted, editedThenDeleted, third]));
      const resumed = await store.roomSinceRev({ room: 'shape', sinceRev: 0, limit: 10 });
      expect(JSON.stringify(resumed.messages)).toBe(JSON.stringify([third, deleted, editedThenDeleted]));
      expect(JSON.stringify(await store.roomMessage('shape', 2))).toBe(JSON.stringify(editedThenDeleted));
    });
  });

  describe('edits', () => {
    it('changes the text with the next rev and editedAt; history shows it in place', async () => {
      const [original, second] = await sendMany('edit', 2);
      const result = await edit('edit', 1, 'corrected');
      expect(result).toEqual({ outcome: 'changed', message: { ...original!, text: 'corrected', rev: 3, editedAt: EDITED_AT } });
      const message = changed(result);
      await expect(store.roomMessage('edit', 1)).resolves.toEqual(message);
      expect((await store.roomPage({ room: 'edit', limit: 10 })).messages).toEqual([message, second]);
      expect((await store.roomSince({ room: 'edit', sinceSeq: 0, limit: 10 })).messages).toEqual([message, second]);
      if (harness.rawText) await expect(harness.rawText(store, 'edit', 1)).resolves.toBe('corrected');
      const again = changed(await edit('edit', 1, 'corrected again'));
      expect(again).toEqual({ ...original!, text: 'corrected again', rev: 4, editedAt: EDITED_AT });
    });

    it('changes nothing and takes no rev when the text is the same', async () => {
      const original = await send('same', ADA, 'unchanged text');
      await expect(edit('same', 1, 'unchanged text')).resolves.toEqual({ outcome: 'unchanged', message: original });
      const edited = changed(await edit('same', 1, 'new text'));
      await expect(edit('same', 1, 'new text')).resolves.toEqual({ outcome: 'unchanged', message: edited });
      await expect(store.roomState('same')).resolves.toEqual({ lastSeq: 1, rev: 2 });
      expect((await send('same')).rev).toBe(3);
    });

    it("refuses another user's message and writes nothing", async () => {
      const original = await send('theirs', BOB, 'from bob');
      await expect(edit('theirs', 1, 'from ada', ADA.id)).resolves.toEqual({ outcome: 'not-author', message: original });
      await expect(store.roomMessage('theirs', 1)).resolves.toEqual(original);
      await expect(store.roomState('theirs')).resolves.toEqual({ lastSeq: 1, rev: 1 });
    });

    it('answers not-found for a missing seq, another room, and a tombstone, even its author', async () => {
      await sendMany('found', 2);
      await expect(edit('found', 3, 'x')).resolves.toEqual({ outcome: 'not-found' });
      await expect(edit('found', 0, 'x')).resolves.toEqual({ outcome: 'not-found' });
      await expect(edit('elsewhere', 1, 'x')).resolves.toEqual({ outcome: 'not-found' });
      const tombstone = changed(await remove('found', 2));
      await expect(edit('found', 2, 'back again')).resolves.toEqual({ outcome: 'not-found' });
      await expect(store.roomMessage('found', 2)).resolves.toEqual(tombstone);
      await expect(store.roomState('found')).resolves.toEqual({ lastSeq: 2, rev: 3 });
    });
  });

  describe('deletions', () => {
    it("turns the author's message into a tombstone: text erased, seq, id, from, sentAt and clientMsgId kept", async () => {
      const [first] = await sendMany('del', 1);
      const tagged = await send('del', ADA, 'secret words', { clientMsgId: 'k-del' });
      const third = await send('del');
      const result = await remove('del', 2);
      const tombstone = { ...tagged, text: '', rev: 4, deletedAt: DELETED_AT };
      expect(result).toEqual({ outcome: 'changed', message: tombstone });
      expect((await store.roomPage({ room: 'del', limit: 10 })).messages).toEqual([first, tombstone, third]);
      await expect(store.roomMessage('del', 2)).resolves.toEqual(tombstone);
      if (harness.rawText) await expect(harness.rawText(store, 'del', 2)).resolves.toBe('');
    });

    it("lets an admin (no author given) delete anyone's message, and keeps editedAt of an edited one", async () => {
      await send('admin', BOB, 'bob says');
      const edited = changed(await edit('admin', 1, 'bob said', BOB.id));
      const result = await removeAsAdmin('admin', 1);
      expect(result).toEqual({ outcome: 'changed', message: { ...edited, text: '', rev: 3, deletedAt: DELETED_AT } });
      if (harness.rawText) await expect(harness.rawText(store, 'admin', 1)).resolves.toBe('');
    });

    it("refuses another user's message and writes nothing", async () => {
      const original = await send('not-mine', BOB);
      await expect(remove('not-mine', 1, ADA.id)).resolves.toEqual({ outcome: 'not-author', message: original });
      await expect(store.roomMessage('not-mine', 1)).resolves.toEqual(original);
      await expect(store.roomState('not-mine')).resolves.toEqual({ lastSeq: 1, rev: 1 });
    });

    it('returns a tombstone unchanged when it is deleted again, by its author or an admin, taking no rev', async () => {
      await send('twice');
      const tombstone = changed(await remove('twice', 1));
      await expect(remove('twice', 1)).resolves.toEqual({ outcome: 'unchanged', message: tombstone });
      await expect(removeAsAdmin('twice', 1)).resolves.toEqual({ outcome: 'unchanged', message: tombstone });
      await expect(store.roomState('twice')).resolves.toEqual({ lastSeq: 1, rev: 2 });
    });

    it('answers not-found for a missing seq or room', async () => {
      await send('gone');
      await expect(remove('gone', 2)).resolves.toEqual({ outcome: 'not-found' });
      await expect(removeAsAdmin('gone', 2)).resolves.toEqual({ outcome: 'not-found' });
      await expect(removeAsAdmin('nowhere', 1)).resolves.toEqual({ outcome: 'not-found' });
    });
  });

  describe('a repeated clientMsgId after a change', () => {
    it('returns the message as stored now, and takes neither seq nor rev', async () => {
      const original = await store.appendRoomMessage(roomInput('retry', ADA, 'first', { clientMsgId: 'k1' }));
      const edited = changed(await edit('retry', 1, 'first, edited'));
      await expect(store.appendRoomMessage(roomInput('retry', ADA, 'first', { clientMsgId: 'k1' }))).resolves.toEqual({
        created: false,
        message: edited,
      });
      const tombstone = changed(await remove('retry', 1));
      await expect(store.appendRoomMessage(roomInput('retry', ADA, 'first', { clientMsgId: 'k1' }))).resolves.toEqual({
        created: false,
        message: tombstone,
      });
      expect(tombstone).toEqual({ ...original.message, text: '', rev: 3, editedAt: EDITED_AT, deletedAt: DELETED_AT });
      await expect(store.roomState('retry')).resolves.toEqual({ lastSeq: 1, rev: 3 });
      const next = await send('retry');
      expect([next.seq, next.rev]).toEqual([2, 4]);
    });
  });

  describe('roomSinceRev', () => {
    it('returns every new and changed message after any rev, in rev order', async () => {
      await sendMany('since', 10);
      await edit('since', 2, 'two'); // rev 11
      await remove('since', 5); // rev 12
      await send('since'); // seq 11, rev 13
      await edit('since', 9, 'nine'); // rev 14
      const all = await everythingByRev('since');
      expect(seqs(all)).toEqual([1, 3, 4, 6, 7, 8, 10, 2, 5, 11, 9]);
      expect(revs(all)).toEqual([1, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14]);
      for (let sinceRev = 0; sinceRev <= 15; sinceRev += 1) {
        await expect(store.roomSinceRev({ room: 'since', sinceRev, limit: 500 })).resolves.toEqual({
          messages: all.filter((m) => m.rev > sinceRev),
          hasMore: false,
        });
      }
      await expect(store.roomSinceRev({ room: 'elsewhere', sinceRev: 0, limit: 500 })).resolves.toEqual({ messages: [], hasMore: false });
    });

    it('finds new messages and edits of old ones after many changes, from any rev', async () => {
      await sendMany('long', 60);
      for (let seq = 1; seq <= 20; seq += 1) await edit('long', seq * 3, `changed ${seq}`); // revs 61..80, seqs 3..60
      await sendMany('long', 10); // seqs 61..70, revs 81..90
      changed(await removeAsAdmin('long', 1)); // rev 91
      await edit('long', 65, 'late edit'); // rev 92
      await sendMany('long', 3); // seqs 71..73, revs 93..95
      const all = await everythingByRev('long');
      expect(revs(all)).toEqual([...range(1, 60).filter((r) => r % 3 !== 0 && r !== 1), ...range(61, 95).filter((r) => r !== 85)]);
      for (let sinceRev = 0; sinceRev <= 96; sinceRev += 1) {
        const page = await store.roomSinceRev({ room: 'long', sinceRev, limit: 500 });
        expect(revs(page.messages)).toEqual(revs(all.filter((m) => m.rev > sinceRev)));
        expect(page.messages).toEqual(all.filter((m) => m.rev > sinceRev));
      }
    });

    it('pages by count with hasMore, reaching every change exactly once', async () => {
      await sendMany('paged', 12);
      for (const seq of [2, 4, 6]) await edit('paged', seq, `edited ${seq}`);
      await remove('paged', 1);
      await sendMany('paged', 2);
      const all = await everythingByRev('paged');
      const seen: Message[] = [];
      let sinceRev = 0;
      for (;;) {
        const page = await store.roomSinceRev({ room: 'paged', sinceRev, limit: 4 });
        const expected = all.filter((m) => m.rev > sinceRev);
        expect(page).toEqual({ messages: expected.slice(0, 4), hasMore: expected.length > 4 });
        seen.push(...page.messages);
        if (!page.hasMore) break;
        sinceRev = page.messages.at(-1)!.rev;
      }
      expect(seen).toEqual(all);
    });

    it('stays within the byte budget, always returning at least one message', async () => {
      await send('bytes', ADA, 'a'.repeat(100));
      await send('bytes', ADA, 'b'.repeat(200));
      await send('bytes', ADA, 'c'.repeat(300));
      await edit('bytes', 1, 'A'.repeat(400)); // rev 4
      const all = await everythingByRev('bytes');
      const [second, third, first] = all;
      const two = roomMessageBytes(second!) + roomMessageBytes(third!);
      await expect(store.roomSinceRev({ room: 'bytes', sinceRev: 0, limit: 10, maxBytes: two })).resolves.toEqual({
        messages: [second, third],
        hasMore: true,
      });
      await expect(store.roomSinceRev({ room: 'bytes', sinceRev: 0, limit: 10, maxBytes: two - 1 })).resolves.toEqual({
        messages: [second],
        hasMore: true,
      });
      await expect(store.roomSinceRev({ room: 'bytes', sinceRev: 2, limit: 10, maxBytes: 1 })).resolves.toEqual({
        messages: [third],
        hasMore: true,
      });
      await expect(store.roomSinceRev({ room: 'bytes', sinceRev: 3, limit: 10, maxBytes: 1 })).resolves.toEqual({
        messages: [first],
        hasMore: false,
      });
    });

    it('returns what is left after pruning, in rev order', async () => {
      for (let i = 1; i <= 4; i += 1) await send('pruned', ADA, `old ${i}`, { sentAt: OLD });
      await sendMany('pruned', 3); // seqs 5..7, revs 5..7
      await edit('pruned', 2, 'old, edited'); // rev 8, pruned with its message
      await edit('pruned', 6, 'young, edited'); // rev 9
      await remove('pruned', 5); // rev 10
      await expect(store.pruneOlderThan(PRUNE_CUTOFF, 100)).resolves.toBe(4);
      const page = await store.roomSinceRev({ room: 'pruned', sinceRev: 0, limit: 500 });
      expect(seqs(page.messages)).toEqual([7, 6, 5]);
      expect(revs(page.messages)).toEqual([7, 9, 10]);
      expect(page.messages).toEqual(await everythingByRev('pruned'));
      await expect(store.roomSinceRev({ room: 'pruned', sinceRev: 7, limit: 500 })).resolves.toEqual({
        messages: page.messages.slice(1),
        hasMore: false,
      });
      await expect(store.roomState('pruned')).resolves.toEqual({ lastSeq: 7, rev: 10 });
    });
  });

  describe("the sender's read marker", () => {
    it("moves to the sent seq when the sender is a member, and nobody else's", async () => {
      await join('marked', ADA, 1);
      await join('marked', BOB, 2);
      await sendMany('marked', 2, ADA);
      expect(await readSeq('marked', ADA.id)).toBe(2);
      expect(await readSeq('marked', BOB.id)).toBe(0);
      await send('marked', BOB);
      expect(await readSeq('marked', ADA.id)).toBe(2);
      expect(await readSeq('marked', BOB.id)).toBe(3);
      await expect(store.membershipState('marked', ADA.id)).resolves.toEqual({
        membership: { room: 'marked', user: ADA, joinedAt: joinedAt(1), readSeq: 2 },
        lastSeq: 3,
        rev: 3,
      });
    });

    it('creates nothing for a sender who is not a member, nor for a retried send', async () => {
      await join('strangers', ADA, 1);
      await send('strangers', CAROL, 'drive-by', { clientMsgId: 'c1' });
      await store.moveMarkers([{ room: 'strangers', userId: ADA.id, readSeq: 0 }]);
      await send('strangers', CAROL, 'drive-by', { clientMsgId: 'c1' });
      await expect(store.membershipState('strangers', CAROL.id)).resolves.toBeUndefined();
      await expect(store.userRooms(CAROL.id)).resolves.toEqual([]);
      expect(await readSeq('strangers', ADA.id)).toBe(0);
      expect((await store.roomMembers({ room: 'strangers', limit: 10 })).map((m) => m.user.id)).toEqual([ADA.id]);
    });

    it('is not moved by an edit or a deletion', async () => {
      await send('quiet', BOB);
      await join('quiet', ADA, 1);
      await join('quiet', BOB, 2);
      await send('quiet', ADA);
      await edit('quiet', 2, 'edited');
      changed(await removeAsAdmin('quiet', 1));
      expect(await readSeq('quiet', ADA.id)).toBe(2);
      expect(await readSeq('quiet', BOB.id)).toBe(0);
    });
  });

  describe('memberships', () => {
    it('creates a membership once; a later join returns it as stored, name and joinedAt included', async () => {
      await expect(store.join({ room: 'club', user: ADA, joinedAt: joinedAt(1), maxMemberships: MAX })).resolves.toEqual({
        outcome: 'created',
        membership: { room: 'club', user: ADA, joinedAt: joinedAt(1), readSeq: 0 },
      });
      await send('club', ADA);
      await expect(
        store.join({ room: 'club', user: { id: ADA.id, name: 'Ada Renamed' }, joinedAt: joinedAt(2), maxMemberships: MAX }),
      ).resolves.toEqual({ outcome: 'existing', membership: { room: 'club', user: ADA, joinedAt: joinedAt(1), readSeq: 1 } });
    });

    it('refuses a join beyond the cap, but not a join of a room the user is already in', async () => {
      await join('r1', ADA, 1, 2);
      await join('r2', ADA, 2, 2);
      await expect(store.join({ room: 'r3', user: ADA, joinedAt: joinedAt(3), maxMemberships: 2 })).resolves.toEqual({ outcome: 'limit' });
      await expect(store.membershipState('r3', ADA.id)).resolves.toBeUndefined();
      expect((await store.join({ room: 'r1', user: ADA, joinedAt: joinedAt(4), maxMemberships: 2 })).outcome).toBe('existing');
      expect((await store.join({ room: 'r3', user: BOB, joinedAt: joinedAt(5), maxMemberships: 2 })).outcome).toBe('created');
      await expect(store.forget('r1', ADA.id)).resolves.toBe(true);
      expect((await store.join({ room: 'r3', user: ADA, joinedAt: joinedAt(6), maxMemberships: 2 })).outcome).toBe('created');
      expect((await store.userRooms(ADA.id)).map((r) => r.room).sort()).toEqual(['r2', 'r3']);
    });

    it('never passes the cap under 20 concurrent joins of one user', async () => {
      const joins = await Promise.all(
        range(1, 20).map((i) => store.join({ room: `c${i}`, user: ADA, joinedAt: joinedAt(i), maxMemberships: 5 })),
      );
      expect(joins.filter((j) => j.outcome === 'created')).toHaveLength(5);
      expect(joins.filter((j) => j.outcome === 'limit')).toHaveLength(15);
      expect(await store.userRooms(ADA.id)).toHaveLength(5);
    });

    it('creates one membership when one user joins one room many times at once', async () => {
      const joins = await Promise.all(
        range(1, 10).map((i) => store.join({ room: 'once', user: ADA, joinedAt: joinedAt(i), maxMemberships: MAX })),
      );
      expect(joins.filter((j) => j.outcome === 'created')).toHaveLength(1);
      expect(joins.filter((j) => j.outcome === 'existing')).toHaveLength(9);
      const created = joins.find((j) => j.outcome === 'created')!;
      await expect(store.membershipState('once', ADA.id)).resolves.toEqual({
        membership: 'membership' in created ? created.membership : undefined,
        lastSeq: 0,
        rev: 0,
      });
    });

    it('forgets a membership with its marker; forgetting again or a stranger is fine', async () => {
      await join('forget', ADA, 1);
      await join('forget', BOB, 2);
      await send('forget', ADA);
      await expect(store.forget('forget', ADA.id)).resolves.toBe(true);
      await expect(store.forget('forget', ADA.id)).resolves.toBe(false);
      await expect(store.forget('forget', CAROL.id)).resolves.toBe(false);
      await expect(store.forget('nowhere', ADA.id)).resolves.toBe(false);
      await expect(store.membershipState('forget', ADA.id)).resolves.toBeUndefined();
      await expect(store.userRooms(ADA.id)).resolves.toEqual([]);
      expect((await store.roomMembers({ room: 'forget', limit: 10 })).map((m) => m.user.id)).toEqual([BOB.id]);
      await store.moveMarkers([{ room: 'forget', userId: ADA.id, readSeq: 1 }]);
      await send('forget', ADA);
      await expect(store.membershipState('forget', ADA.id)).resolves.toBeUndefined();
      await expect(store.join({ room: 'forget', user: ADA, joinedAt: joinedAt(3), maxMemberships: MAX })).resolves.toEqual({
        outcome: 'created',
        membership: { room: 'forget', user: ADA, joinedAt: joinedAt(3), readSeq: 0 },
      });
    });

    it("answers membershipState with the room's counters, or undefined for a non-member", async () => {
      await join('state', ADA, 1);
      await expect(store.membershipState('state', ADA.id)).resolves.toEqual({
        membership: { room: 'state', user: ADA, joinedAt: joinedAt(1), readSeq: 0 },
        lastSeq: 0,
        rev: 0,
      });
      await sendMany('state', 3, BOB);
      await edit('state', 2, 'edited', BOB.id);
      await expect(store.membershipState('state', ADA.id)).resolves.toEqual({
        membership: { room: 'state', user: ADA, joinedAt: joinedAt(1), readSeq: 0 },
        lastSeq: 3,
        rev: 4,
      });
      await expect(store.membershipState('state', BOB.id)).resolves.toBeUndefined();
      await expect(store.membershipState('nowhere', ADA.id)).resolves.toBeUndefined();
    });
  });

  describe('userRooms', () => {
    it('lists newest lastMessageAt first, then rooms without messages by newest joinedAt, with unread', async () => {
      await join('quiet-old', ADA, 1);
      await join('busy-a', ADA, 2);
      await join('busy-b', ADA, 3);
      await join('quiet-new', ADA, 4);
      await join('busy-c', ADA, 5);
      await join('busy-a', BOB, 6);
      await sendMany('busy-b', 3, BOB);
      await sendMany('busy-a', 4, BOB);
      await send('busy-c', BOB);
      const newestOfB = await send('busy-b', BOB); // seq 4 of busy-b, the newest message of all
      await send('busy-a', ADA); // seq 5: moves Ada's marker
      const newestOfA = await send('busy-a', BOB); // seq 6
      changed(await removeAsAdmin('busy-a', 6)); // deleted messages still count as unread
      await store.moveMarkers([{ room: 'busy-b', userId: ADA.id, readSeq: 1 }]);
      const lastOf = async (room: string): Promise<string> => (await store.roomPage({ room, limit: 1 })).messages[0]!.sentAt;
      const expected: MembershipSummary[] = [
        { room: 'busy-a', joinedAt: joinedAt(2), lastSeq: 6, readSeq: 5, unread: 1, lastMessageAt: newestOfA.sentAt },
        { room: 'busy-b', joinedAt: joinedAt(3), lastSeq: 4, readSeq: 1, unread: 3, lastMessageAt: newestOfB.sentAt },
        { room: 'busy-c', joinedAt: joinedAt(5), lastSeq: 1, readSeq: 0, unread: 1, lastMessageAt: await lastOf('busy-c') },
        { room: 'quiet-new', joinedAt: joinedAt(4), lastSeq: 0, readSeq: 0, unread: 0, lastMessageAt: null },
        { room: 'quiet-old', joinedAt: joinedAt(1), lastSeq: 0, readSeq: 0, unread: 0, lastMessageAt: null },
      ];
      const rooms = await store.userRooms(ADA.id);
      expect(rooms).toEqual(expected);
      expect(rooms.map((r) => Object.keys(r))).toEqual(
        expected.map(() => ['room', 'joinedAt', 'lastSeq', 'readSeq', 'unread', 'lastMessageAt']),
      );
      await expect(store.userRooms(BOB.id)).resolves.toEqual([
        { room: 'busy-a', joinedAt: joinedAt(6), lastSeq: 6, readSeq: 6, unread: 0, lastMessageAt: newestOfA.sentAt },
      ]);
      await expect(store.userRooms('nobody')).resolves.toEqual([]);
    });

    it('takes lastMessageAt from what is left after pruning, and null when nothing is', async () => {
      await join('aging', ADA, 1);
      await join('emptied', ADA, 2);
      await send('aging', BOB, 'old', { sentAt: OLD });
      const young = await send('aging', BOB, 'young');
      await send('emptied', BOB, 'old', { sentAt: OLD });
      await store.pruneOlderThan(PRUNE_CUTOFF, 100);
      await expect(store.userRooms(ADA.id)).resolves.toEqual([
        { room: 'aging', joinedAt: joinedAt(1), lastSeq: 2, readSeq: 0, unread: 2, lastMessageAt: young.sentAt },
        { room: 'emptied', joinedAt: joinedAt(2), lastSeq: 1, readSeq: 0, unread: 1, lastMessageAt: null },
      ]);
    });
  });

  describe('roomMembers', () => {
    it('orders by user id in byte order and pages with after and limit', async () => {
      const ids = ['b', 'é', 'a', 'Z', 'aa', 'z'];
      for (const [i, id] of ids.entries()) await join('members', { id, name: `User ${id}` }, i + 1);
      await join('other-room', { id: 'a0', name: 'Elsewhere' }, 10);
      const member = (id: string): Membership => ({
        room: 'members',
        user: { id, name: `User ${id}` },
        joinedAt: joinedAt(ids.indexOf(id) + 1),
        readSeq: 0,
      });
      await expect(store.roomMembers({ room: 'members', limit: 2 })).resolves.toEqual([member('Z'), member('a')]);
      await expect(store.roomMembers({ room: 'members', after: 'a', limit: 2 })).resolves.toEqual([member('aa'), member('b')]);
      await expect(store.roomMembers({ room: 'members', after: 'b', limit: 10 })).resolves.toEqual([member('z'), member('é')]);
      await expect(store.roomMembers({ room: 'members', after: 'é', limit: 10 })).resolves.toEqual([]);
      await expect(store.roomMembers({ room: 'members', after: 'ab', limit: 1 })).resolves.toEqual([member('b')]);
      await expect(store.roomMembers({ room: 'members', limit: 500 })).resolves.toEqual(['Z', 'a', 'aa', 'b', 'z', 'é'].map(member));
      await expect(store.roomMembers({ room: 'empty', limit: 10 })).resolves.toEqual([]);
    });

    it("shows each member's read marker", async () => {
      await join('markers', ADA, 1);
      await join('markers', BOB, 2);
      await sendMany('markers', 3, BOB);
      await expect(store.roomMembers({ room: 'markers', limit: 10 })).resolves.toEqual([
        { room: 'markers', user: ADA, joinedAt: joinedAt(1), readSeq: 0 },
        { room: 'markers', user: BOB, joinedAt: joinedAt(2), readSeq: 3 },
      ]);
    });
  });

  describe('moveMarkers', () => {
    it('moves markers forward only, all moves of a call together', async () => {
      await join('m1', ADA, 1);
      await join('m2', ADA, 2);
      await join('m1', BOB, 3);
      await sendMany('m1', 8, CAROL);
      await sendMany('m2', 8, CAROL);
      await store.moveMarkers([
        { room: 'm1', userId: ADA.id, readSeq: 5 },
        { room: 'm2', userId: ADA.id, readSeq: 3 },
        { room: 'm1', userId: BOB.id, readSeq: 7 },
        { room: 'm1', userId: ADA.id, readSeq: 4 },
      ]);
      expect([await readSeq('m1', ADA.id), await readSeq('m2', ADA.id), await readSeq('m1', BOB.id)]).toEqual([5, 3, 7]);
      await store.moveMarkers([
        { room: 'm1', userId: ADA.id, readSeq: 2 },
        { room: 'm2', userId: ADA.id, readSeq: 8 },
      ]);
      expect([await readSeq('m1', ADA.id), await readSeq('m2', ADA.id)]).toEqual([5, 8]);
      await expect(store.moveMarkers([])).resolves.toBeUndefined();
      const [m1] = await store.userRooms(ADA.id).then((rooms) => rooms.filter((r) => r.room === 'm1'));
      expect(m1).toMatchObject({ lastSeq: 8, readSeq: 5, unread: 3 });
    });

    it('ignores users who are not (or no longer) members', async () => {
      await join('ignored', ADA, 1);
      await join('ignored', BOB, 2);
      await sendMany('ignored', 4, CAROL);
      await store.forget('ignored', BOB.id);
      await store.moveMarkers([
        { room: 'ignored', userId: BOB.id, readSeq: 3 },
        { room: 'ignored', userId: CAROL.id, readSeq: 3 },
        { room: 'ignored', userId: ADA.id, readSeq: 2 },
      ]);
      expect(await readSeq('ignored', ADA.id)).toBe(2);
      await expect(store.membershipState('ignored', BOB.id)).resolves.toBeUndefined();
      await expect(store.membershipState('ignored', CAROL.id)).resolves.toBeUndefined();
      expect((await store.roomMembers({ room: 'ignored', limit: 10 })).map((m) => m.user.id)).toEqual([ADA.id]);
    });
  });

  describe('pruning', () => {
    it('raises the seq and rev floors: neither is handed out again after the newest and changed rows go', async () => {
      for (let i = 1; i <= 3; i += 1) await send('floors', ADA, `old ${i}`, { sentAt: OLD });
      await edit('floors', 3, 'old, edited'); // rev 4
      await remove('floors', 2); // rev 5
      await expect(store.pruneOlderThan(PRUNE_CUTOFF, 100)).resolves.toBe(3);
      await expect(store.roomState('floors')).resolves.toEqual({ lastSeq: 3, rev: 5 });
      if (harness.reopen) store = await harness.reopen(store);
      await expect(store.roomState('floors')).resolves.toEqual({ lastSeq: 3, rev: 5 });
      await expect(store.roomSinceRev({ room: 'floors', sinceRev: 0, limit: 10 })).resolves.toEqual({ messages: [], hasMore: false });
      const next = await send('floors');
      expect([next.seq, next.rev]).toEqual([4, 6]);
    });

    it('keeps the rev of a pruned edit when younger messages remain', async () => {
      await send('partly', ADA, 'old 1', { sentAt: OLD });
      await send('partly', ADA, 'old 2', { sentAt: OLD });
      await sendMany('partly', 1); // seq 3, rev 3
      await edit('partly', 1, 'old, edited'); // rev 4
      await expect(store.pruneOlderThan(PRUNE_CUTOFF, 100)).resolves.toBe(2);
      if (harness.reopen) store = await harness.reopen(store);
      await expect(store.roomState('partly')).resolves.toEqual({ lastSeq: 3, rev: 4 });
      expect(changed(await edit('partly', 3, 'young, edited')).rev).toBe(5);
      const next = await send('partly');
      expect([next.seq, next.rev]).toEqual([4, 6]);
    });

    it('leaves memberships and markers alone', async () => {
      await join('kept', ADA, 1);
      await send('kept', ADA, 'old', { sentAt: OLD });
      await store.pruneOlderThan(PRUNE_CUTOFF, 100);
      await expect(store.membershipState('kept', ADA.id)).resolves.toEqual({
        membership: { room: 'kept', user: ADA, joinedAt: joinedAt(1), readSeq: 1 },
        lastSeq: 1,
        rev: 1,
      });
    });
  });

  if (harness.reopen) {
    const reopen = harness.reopen;
    it('keeps everything across a reopen: edits, tombstones, counters, memberships and markers', async () => {
      await join('durable', ADA, 1);
      await join('durable', BOB, 2);
      await join('other', ADA, 3);
      await sendMany('durable', 3, ADA);
      await send('durable', BOB, 'tagged', { clientMsgId: 'r1' });
      const edited = changed(await edit('durable', 4, 'tagged, edited', BOB.id)); // rev 5
      changed(await remove('durable', 2)); // rev 6
      changed(await edit('durable', 1, 'first, edited')); // rev 7: the newest rev is on an old row
      await store.moveMarkers([{ room: 'durable', userId: BOB.id, readSeq: 4 }]);
      const history = (await store.roomPage({ room: 'durable', limit: 10 })).messages;
      const rooms = await store.userRooms(ADA.id);
      const members = await store.roomMembers({ room: 'durable', limit: 10 });
      store = await reopen(store);
      await expect(store.roomState('durable')).resolves.toEqual({ lastSeq: 4, rev: 7 });
      expect((await store.roomPage({ room: 'durable', limit: 10 })).messages).toEqual(history);
      expect((await store.roomSinceRev({ room: 'durable', sinceRev: 0, limit: 10 })).messages).toEqual([...history].sort(byRev));
      await expect(store.userRooms(ADA.id)).resolves.toEqual(rooms);
      await expect(store.roomMembers({ room: 'durable', limit: 10 })).resolves.toEqual(members);
      await expect(store.appendRoomMessage(roomInput('durable', BOB, 'again', { clientMsgId: 'r1' }))).resolves.toEqual({
        created: false,
        message: edited,
      });
      const next = await send('durable', ADA);
      expect([next.seq, next.rev]).toEqual([5, 8]);
      expect(await readSeq('durable', ADA.id)).toBe(5);
      expect(changed(await edit('durable', 3, 'third, edited')).rev).toBe(9);
      expect((await store.join({ room: 'durable', user: ADA, joinedAt: joinedAt(9), maxMemberships: MAX })).outcome).toBe('existing');
    });
  }
}
