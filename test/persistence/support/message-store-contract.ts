import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { DirectMessage, Message, User } from '../../../src/contract.js';
import type { MessageStore, NewDirectMessage, NewRoomMessage } from '../../../src/messages/message-store.js';
import { directMessageBytes, MESSAGE_OVERHEAD_BYTES, roomMessageBytes } from '../../../src/messages/reply-budget.js';

/** How the contract suite gets stores of one implementation. */
export interface StoreHarness {
  /** A fresh, empty, open store. */
  create(): Promise<MessageStore>;
  close(store: MessageStore): Promise<void>;
  /** A new store on the same database as `store` (after closing it): durable stores only. */
  reopen?(store: MessageStore): Promise<MessageStore>;
}

export const ADA: User = { id: 'ada', name: 'Ada' };
export const BOB: User = { id: 'bob', name: 'Bob' };
export const CAROL: User = { id: 'carol', name: 'Carol' };

let clock = Date.parse('2030-01-01T00:00:00.000Z');
/** Distinct, increasing timestamps, so nothing depends on two sends landing in one millisecond. */
function nextSentAt(): string {
  clock += 1;
  return new Date(clock).toISOString();
}

export function roomInput(room: string, from: User, text: string, extra: Partial<NewRoomMessage> = {}): NewRoomMessage {
  return { id: randomUUID(), room, from, text, sentAt: nextSentAt(), ...extra };
}

export function directInput(from: User, to: User, text: string, extra: Partial<NewDirectMessage> = {}): NewDirectMessage {
  return { id: randomUUID(), from, to, text, sentAt: nextSentAt(), ...extra };
}

const seqs = (messages: Message[]): number[] => messages.map((m) => m.seq);
const texts = (messages: Array<{ text: string }>): string[] => messages.map((m) => m.text);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The MessageStore contract (see the doc comment on MessageStore), run against every
 * implementation: memory, SQLite (in memory and on disk) and PostgreSQL.
 */
export function describeMessageStoreContract(harness: StoreHarness): void {
  let store: MessageStore;

  beforeEach(async () => {
    store = await harness.create();
  });

  afterEach(async () => {
    await harness.close(store);
  });

  async function appendRoom(room: string, count: number, from: User = ADA): Promise<Message[]> {
    const messages: Message[] = [];
    for (let i = 1; i <= count; i += 1) messages.push((await store.appendRoomMessage(roomInput(room, from, `${room} ${i}`))).message);
    return messages;
  }

  async function appendDirect(count: number, from = ADA, to = BOB): Promise<DirectMessage[]> {
    const messages: DirectMessage[] = [];
    for (let i = 1; i <= count; i += 1) messages.push((await store.appendDirectMessage(directInput(from, to, `dm ${i}`))).message);
    return messages;
  }

  describe('room messages', () => {
    it('assigns seq 1, 2, 3 per room, independently for each room', async () => {
      expect(seqs(await appendRoom('alpha', 3))).toEqual([1, 2, 3]);
      expect(seqs(await appendRoom('beta', 2))).toEqual([1, 2]);
      expect(seqs(await appendRoom('alpha', 1))).toEqual([4]);
      await expect(store.lastSeq('alpha')).resolves.toBe(4);
      await expect(store.lastSeq('beta')).resolves.toBe(2);
      await expect(store.lastSeq('never-used')).resolves.toBe(0);
    });

    it('returns the public shape in a stable key order, the same on write and on read', async () => {
      const plain = roomInput('shape', ADA, 'plain');
      const tagged = roomInput('shape', BOB, 'tagged', { clientMsgId: 'c-1' });
      const first = await store.appendRoomMessage(plain);
      const second = await store.appendRoomMessage(tagged);
      expect(first).toEqual({
        created: true,
        message: { id: plain.id, room: 'shape', seq: 1, from: ADA, text: 'plain', sentAt: plain.sentAt, rev: 1 },
      });
      expect(Object.keys(first.message)).toEqual(['id', 'room', 'seq', 'from', 'text', 'sentAt', 'rev']);
      expect(Object.keys(second.message)).toEqual(['id', 'room', 'seq', 'from', 'text', 'sentAt', 'rev', 'clientMsgId']);
      const page = await store.roomPage({ room: 'shape', limit: 10 });
      expect(page.messages).toEqual([first.message, second.message]);
      expect(page.messages.map((m) => Object.keys(m))).toEqual([Object.keys(first.message), Object.keys(second.message)]);
      expect(JSON.stringify(page.messages)).toBe(JSON.stringify([first.message, second.message]));
    });

    it('stores text exactly as sent', async () => {
      const samples = [
        '  padded  ',
        'line\nbreak\ttab',
        'emoji 🎉 and ünïcödé 中文',
        'quote \' " ; DROP TABLE room_messages; --',
        'x'.repeat(4000),
      ];
      for (const text of samples) await store.appendRoomMessage(roomInput('texts', ADA, text));
      await store.appendDirectMessage(directInput(ADA, BOB, samples[3]!));
      expect(texts((await store.roomPage({ room: 'texts', limit: 10 })).messages)).toEqual(samples);
      expect(texts((await store.directPage({ userA: 'ada', userB: 'bob', limit: 10 }))!.messages)).toEqual([samples[3]]);
    });

    it('keeps seq unique and gap-free under 200 concurrent appends to one room', async () => {
      const results = await Promise.all(range(1, 200).map((i) => store.appendRoomMessage(roomInput('busy', i % 2 ? ADA : BOB, `m${i}`))));
      expect(results.every((r) => r.created)).toBe(true);
      expect(seqs(results.map((r) => r.message)).sort((a, b) => a - b)).toEqual(range(1, 200));
      await expect(store.lastSeq('busy')).resolves.toBe(200);
      const page = await store.roomPage({ room: 'busy', limit: 200 });
      expect(seqs(page.messages)).toEqual(range(1, 200));
      expect(page.hasMore).toBe(false);
    });

    it('pages newest first, each page chronological, with hasMore', async () => {
      await appendRoom('paged', 25);
      const newest = await store.roomPage({ room: 'paged', limit: 10 });
      expect(seqs(newest.messages)).toEqual(range(16, 25));
      expect(newest.hasMore).toBe(true);
      const middle = await store.roomPage({ room: 'paged', beforeSeq: 16, limit: 10 });
      expect(seqs(middle.messages)).toEqual(range(6, 15));
      expect(middle.hasMore).toBe(true);
      const oldest = await store.roomPage({ room: 'paged', beforeSeq: 6, limit: 10 });
      expect(seqs(oldest.messages)).toEqual(range(1, 5));
      expect(oldest.hasMore).toBe(false);
      const exact = await store.roomPage({ room: 'paged', beforeSeq: 11, limit: 10 });
      expect(seqs(exact.messages)).toEqual(range(1, 10));
      expect(exact.hasMore).toBe(false);
      await expect(store.roomPage({ room: 'empty', limit: 10 })).resolves.toEqual({ messages: [], hasMore: false });
    });

    it('resumes after a seq, oldest first, with hasMore', async () => {
      await appendRoom('resume', 25);
      const first = await store.roomSince({ room: 'resume', sinceSeq: 20, limit: 3 });
      expect(seqs(first.messages)).toEqual([21, 22, 23]);
      expect(first.hasMore).toBe(true);
      const rest = await store.roomSince({ room: 'resume', sinceSeq: 22, limit: 10 });
      expect(seqs(rest.messages)).toEqual([23, 24, 25]);
      expect(rest.hasMore).toBe(false);
      await expect(store.roomSince({ room: 'resume', sinceSeq: 25, limit: 10 })).resolves.toEqual({ messages: [], hasMore: false });
      const all = await store.roomSince({ room: 'resume', sinceSeq: 0, limit: 25 });
      expect(seqs(all.messages)).toEqual(range(1, 25));
      expect(all.hasMore).toBe(false);
    });

    it('pages stay stable while messages arrive: no skips, no duplicates', async () => {
      await appendRoom('live', 30);
      const seen: number[] = [];
      let page = await store.roomPage({ room: 'live', limit: 7 });
      for (;;) {
        seen.unshift(...seqs(page.messages));
        await appendRoom('live', 3);
        if (!page.hasMore) break;
        page = await store.roomPage({ room: 'live', beforeSeq: page.messages[0]!.seq, limit: 7 });
      }
      expect(seen).toEqual(range(1, 30));
      const resumed = await store.roomSince({ room: 'live', sinceSeq: 30, limit: 100 });
      expect(seqs(resumed.messages)).toEqual(range(31, await store.lastSeq('live')));
    });
  });

  describe('exactly-once by (sender, clientMsgId)', () => {
    it('returns the original for a repeated clientMsgId and stores nothing', async () => {
      const original = await store.appendRoomMessage(roomInput('once', ADA, 'first try', { clientMsgId: 'k1' }));
      const retry = await store.appendRoomMessage(roomInput('once', ADA, 'second try', { clientMsgId: 'k1' }));
      expect(original.created).toBe(true);
      expect(retry).toEqual({ created: false, message: original.message });
      await expect(store.lastSeq('once')).resolves.toBe(1);
      expect((await store.roomPage({ room: 'once', limit: 10 })).messages).toEqual([original.message]);
    });

    it('burns no seq on a duplicate', async () => {
      await store.appendRoomMessage(roomInput('burn', ADA, 'a', { clientMsgId: 'k1' }));
      await store.appendRoomMessage(roomInput('burn', ADA, 'a', { clientMsgId: 'k1' }));
      const next = await store.appendRoomMessage(roomInput('burn', ADA, 'b', { clientMsgId: 'k2' }));
      expect(next.message.seq).toBe(2);
    });

    it('creates exactly one message when duplicates arrive at the same time', async () => {
      const attempts = await Promise.all([
        ...range(1, 5).map(() => store.appendRoomMessage(roomInput('race', ADA, 'same', { clientMsgId: 'dup' }))),
        ...range(1, 5).map((i) => store.appendRoomMessage(roomInput('race', BOB, `other ${i}`))),
        ...range(1, 5).map(() => store.appendRoomMessage(roomInput('race', ADA, 'same', { clientMsgId: 'dup' }))),
      ]);
      const dups = attempts.filter((a) => a.message.clientMsgId === 'dup');
      expect(dups.filter((a) => a.created)).toHaveLength(1);
      expect(new Set(dups.map((a) => a.message.id)).size).toBe(1);
      const page = await store.roomPage({ room: 'race', limit: 100 });
      expect(seqs(page.messages)).toEqual(range(1, 6));
      expect(page.messages.filter((m) => m.clientMsgId === 'dup')).toHaveLength(1);
    });

    it('scopes clientMsgId per sender', async () => {
      const fromAda = await store.appendRoomMessage(roomInput('scope', ADA, 'a', { clientMsgId: 'same' }));
      const fromBob = await store.appendRoomMessage(roomInput('scope', BOB, 'b', { clientMsgId: 'same' }));
      expect([fromAda.created, fromBob.created]).toEqual([true, true]);
      expect(fromBob.message.seq).toBe(2);
    });

    it('dedups direct messages the same way, independently of room messages', async () => {
      const room = await store.appendRoomMessage(roomInput('both', ADA, 'room', { clientMsgId: 'k' }));
      const attempts = await Promise.all(
        range(1, 4).map(() => store.appendDirectMessage(directInput(ADA, BOB, 'dm', { clientMsgId: 'k' }))),
      );
      expect(room.created).toBe(true);
      expect(attempts.filter((a) => a.created)).toHaveLength(1);
      expect(new Set(attempts.map((a) => a.message.id)).size).toBe(1);
      const later = await store.appendDirectMessage(directInput(ADA, CAROL, 'elsewhere', { clientMsgId: 'k' }));
      expect(later).toEqual({ created: false, message: attempts[0]!.message });
      expect((await store.directPage({ userA: 'ada', userB: 'bob', limit: 10 }))!.messages).toEqual([attempts[0]!.message]);
      expect((await store.directPage({ userA: 'ada', userB: 'carol', limit: 10 }))!.messages).toEqual([]);
    });
  });

  describe('direct messages', () => {
    it('stores one conversation per pair, the same from either side', async () => {
      const sent = await store.appendDirectMessage(directInput(ADA, BOB, 'hi bob', { clientMsgId: 'd1' }));
      const reply = await store.appendDirectMessage(directInput(BOB, ADA, 'hi ada'));
      await store.appendDirectMessage(directInput(ADA, CAROL, 'hi carol'));
      expect(sent.message).toEqual({
        id: sent.message.id,
        from: ADA,
        to: BOB,
        text: 'hi bob',
        sentAt: sent.message.sentAt,
        clientMsgId: 'd1',
      });
      expect(Object.keys(sent.message)).toEqual(['id', 'from', 'to', 'text', 'sentAt', 'clientMsgId']);
      expect(Object.keys(reply.message)).toEqual(['id', 'from', 'to', 'text', 'sentAt']);
      const fromAda = await store.directPage({ userA: 'ada', userB: 'bob', limit: 10 });
      const fromBob = await store.directPage({ userA: 'bob', userB: 'ada', limit: 10 });
      expect(fromAda).toEqual({ messages: [sent.message, reply.message], hasMore: false });
      expect(fromBob).toEqual(fromAda);
      expect(JSON.stringify(fromAda!.messages)).toBe(JSON.stringify([sent.message, reply.message]));
      expect(texts((await store.directPage({ userA: 'carol', userB: 'ada', limit: 10 }))!.messages)).toEqual(['hi carol']);
    });

    it('orders by insertion, not by id or clock, and pages with beforeId', async () => {
      // Ids and timestamps both decrease while messages are inserted: only insertion order is right.
      const inserted: DirectMessage[] = [];
      for (let i = 0; i < 12; i += 1) {
        const input = directInput(i % 2 ? BOB : ADA, i % 2 ? ADA : BOB, `dm ${i}`, {
          id: `${String(99 - i).padStart(2, '0')}-${randomUUID()}`,
          sentAt: new Date(Date.parse('2030-06-01T00:00:00.000Z') - i * 1000).toISOString(),
        });
        inserted.push((await store.appendDirectMessage(input)).message);
      }
      const newest = await store.directPage({ userA: 'ada', userB: 'bob', limit: 5 });
      expect(newest).toEqual({ messages: inserted.slice(7), hasMore: true });
      const middle = await store.directPage({ userA: 'bob', userB: 'ada', beforeId: newest!.messages[0]!.id, limit: 5 });
      expect(middle).toEqual({ messages: inserted.slice(2, 7), hasMore: true });
      const oldest = await store.directPage({ userA: 'ada', userB: 'bob', beforeId: middle!.messages[0]!.id, limit: 5 });
      expect(oldest).toEqual({ messages: inserted.slice(0, 2), hasMore: false });
    });

    it('answers undefined for a beforeId that is not in the conversation', async () => {
      const [mine] = await appendDirect(2);
      const elsewhere = await store.appendDirectMessage(directInput(ADA, CAROL, 'other'));
      await expect(store.directPage({ userA: 'ada', userB: 'bob', beforeId: 'no-such-id', limit: 5 })).resolves.toBeUndefined();
      await expect(store.directPage({ userA: 'ada', userB: 'bob', beforeId: elsewhere.message.id, limit: 5 })).resolves.toBeUndefined();
      await expect(store.directPage({ userA: 'ada', userB: 'bob', beforeId: mine!.id, limit: 5 })).resolves.toEqual({
        messages: [],
        hasMore: false,
      });
      await expect(store.directPage({ userA: 'ada', userB: 'nobody', limit: 5 })).resolves.toEqual({ messages: [], hasMore: false });
    });

    it('pages stay stable while messages arrive', async () => {
      const inserted = await appendDirect(20);
      const seen: DirectMessage[] = [];
      let page = (await store.directPage({ userA: 'ada', userB: 'bob', limit: 6 }))!;
      for (;;) {
        seen.unshift(...page.messages);
        await appendDirect(2, BOB, ADA);
        if (!page.hasMore) break;
        page = (await store.directPage({ userA: 'bob', userB: 'ada', beforeId: page.messages[0]!.id, limit: 6 }))!;
      }
      expect(seen).toEqual(inserted);
    });
  });

  describe('byte budget (maxBytes)', () => {
    /** 1,000 UTF-8 bytes of text in 500 characters: the budget counts bytes, not characters. */
    const TEXT = 'é'.repeat(500);
    /** What one of these messages from Ada (name 'Ada') is counted for. */
    const COUNTED = MESSAGE_OVERHEAD_BYTES + 1000 + 3;

    async function appendSized(room: string, texts: string[]): Promise<Message[]> {
      const messages: Message[] = [];
      for (const text of texts) messages.push((await store.appendRoomMessage(roomInput(room, ADA, text))).message);
      return messages;
    }

    const counted = (messages: Message[]): number => messages.reduce((sum, m) => sum + roomMessageBytes(m), 0);

    it('counts UTF-8 bytes of text, sender name and clientMsgId plus a fixed overhead', async () => {
      const plain = (await store.appendRoomMessage(roomInput('counted', ADA, TEXT))).message;
      const tagged = (await store.appendRoomMessage(roomInput('counted', { id: 'zoe', name: 'Zoë 🎉' }, TEXT, { clientMsgId: 'ü-1' })))
        .message;
      expect(roomMessageBytes(plain)).toBe(COUNTED);
      expect(roomMessageBytes(tagged)).toBe(MESSAGE_OVERHEAD_BYTES + 1000 + 9 + 4);
      // The store counts the same: the budget that fits both exactly takes both, one byte less only the newest.
      const both = COUNTED + roomMessageBytes(tagged);
      expect(await store.roomPage({ room: 'counted', limit: 10, maxBytes: both })).toEqual({ messages: [plain, tagged], hasMore: false });
      expect(await store.roomPage({ room: 'counted', limit: 10, maxBytes: both - 1 })).toEqual({ messages: [tagged], hasMore: true });
      expect(await store.roomSince({ room: 'counted', sinceSeq: 0, limit: 10, maxBytes: both - 1 })).toEqual({
        messages: [plain],
        hasMore: true,
      });
      const direct = (await store.appendDirectMessage(directInput({ id: 'zoe', name: 'Zoë 🎉' }, BOB, TEXT, { clientMsgId: 'ü-2' })))
        .message;
      const older = (await store.appendDirectMessage(directInput(BOB, ADA, 'hi'))).message;
      expect(directMessageBytes(direct)).toBe(MESSAGE_OVERHEAD_BYTES + 1000 + 9 + 3 + 4);
      expect(await store.directPage({ userA: 'zoe', userB: 'bob', limit: 10, maxBytes: directMessageBytes(direct) })).toEqual({
        messages: [direct],
        hasMore: false,
      });
      expect((await store.directPage({ userA: 'ada', userB: 'bob', limit: 10, maxBytes: 1 }))!.messages).toEqual([older]);
    });

    it('pages back within the budget, newest first, reaching every message exactly once', async () => {
      const all = await appendSized(
        'budget',
        Array.from({ length: 10 }, () => TEXT),
      );
      const seen: Message[] = [];
      let page = await store.roomPage({ room: 'budget', limit: 100, maxBytes: 3 * COUNTED });
      expect(seqs(page.messages)).toEqual([8, 9, 10]);
      for (;;) {
        expect(page.messages.length).toBeGreaterThan(0);
        expect(counted(page.messages)).toBeLessThanOrEqual(3 * COUNTED);
        seen.unshift(...page.messages);
        if (!page.hasMore) break;
        page = await store.roomPage({ room: 'budget', beforeSeq: page.messages[0]!.seq, limit: 100, maxBytes: 3 * COUNTED });
      }
      expect(seen).toEqual(all);
      const oneLess = await store.roomPage({ room: 'budget', limit: 100, maxBytes: 3 * COUNTED - 1 });
      expect(seqs(oneLess.messages)).toEqual([9, 10]);
      expect(oneLess.hasMore).toBe(true);
      // The count still applies under the budget, and a budget that holds all says hasMore false.
      expect(await store.roomPage({ room: 'budget', limit: 2, maxBytes: 3 * COUNTED })).toEqual({ messages: all.slice(8), hasMore: true });
      expect(await store.roomPage({ room: 'budget', limit: 10, maxBytes: 10 * COUNTED })).toEqual({ messages: all, hasMore: false });
    });

    it('resumes within the budget, oldest first, reaching every message exactly once', async () => {
      const all = await appendSized(
        'budget-resume',
        Array.from({ length: 10 }, () => TEXT),
      );
      const seen: Message[] = [];
      let sinceSeq = 0;
      for (;;) {
        const page = await store.roomSince({ room: 'budget-resume', sinceSeq, limit: 100, maxBytes: 4 * COUNTED });
        expect(seqs(page.messages)).toEqual(range(sinceSeq + 1, Math.min(sinceSeq + 4, 10)));
        seen.push(...page.messages);
        if (!page.hasMore) break;
        sinceSeq = page.messages.at(-1)!.seq;
      }
      expect(seen).toEqual(all);
    });

    it('returns one message however large, so paging always moves on, and hasMore says whether more exist', async () => {
      const big = 'b'.repeat(5000);
      const all = await appendSized('oversized', ['s1', 's2', big, 's4', 's5']);
      const maxBytes = 2 * (MESSAGE_OVERHEAD_BYTES + 2 + 3);
      const newest = await store.roomPage({ room: 'oversized', limit: 10, maxBytes });
      expect(newest).toEqual({ messages: all.slice(3), hasMore: true });
      expect(await store.roomPage({ room: 'oversized', beforeSeq: 4, limit: 10, maxBytes })).toEqual({ messages: [all[2]], hasMore: true });
      expect(await store.roomPage({ room: 'oversized', beforeSeq: 3, limit: 10, maxBytes })).toEqual({
        messages: all.slice(0, 2),
        hasMore: false,
      });
      expect(await store.roomSince({ room: 'oversized', sinceSeq: 2, limit: 10, maxBytes: 1 })).toEqual({
        messages: [all[2]],
        hasMore: true,
      });
      expect(await store.roomSince({ room: 'oversized', sinceSeq: 2, limit: 1, maxBytes: 1 })).toEqual({
        messages: [all[2]],
        hasMore: true,
      });
      expect(await store.roomSince({ room: 'oversized', sinceSeq: 4, limit: 1, maxBytes: 1 })).toEqual({
        messages: [all[4]],
        hasMore: false,
      });
      expect(await store.roomPage({ room: 'oversized', beforeSeq: 4, limit: 1, maxBytes: 1 })).toEqual({
        messages: [all[2]],
        hasMore: true,
      });
      expect(await store.roomPage({ room: 'oversized', beforeSeq: 2, limit: 1, maxBytes: 1 })).toEqual({
        messages: [all[0]],
        hasMore: false,
      });
    });

    it('pages direct messages within the budget, reaching every message exactly once', async () => {
      const inserted: DirectMessage[] = [];
      for (let i = 0; i < 9; i += 1)
        inserted.push((await store.appendDirectMessage(directInput(i % 2 ? BOB : ADA, i % 2 ? ADA : BOB, TEXT))).message);
      const maxBytes = 2 * directMessageBytes(inserted[0]!);
      const seen: DirectMessage[] = [];
      let page = (await store.directPage({ userA: 'ada', userB: 'bob', limit: 100, maxBytes }))!;
      for (;;) {
        expect(page.messages).toHaveLength(page.hasMore ? 2 : 1);
        seen.unshift(...page.messages);
        if (!page.hasMore) break;
        page = (await store.directPage({ userA: 'bob', userB: 'ada', beforeId: page.messages[0]!.id, limit: 100, maxBytes }))!;
      }
      expect(seen).toEqual(inserted);
    });
  });

  describe('retention', () => {
    it('prunes old messages in batches and keeps seq counting', async () => {
      const old = '2001-01-01T00:00:00.000Z';
      for (let i = 0; i < 4; i += 1) await store.appendRoomMessage(roomInput('aged', ADA, `old ${i}`, { sentAt: old }));
      for (let i = 0; i < 3; i += 1) await store.appendDirectMessage(directInput(ADA, BOB, `old dm ${i}`, { sentAt: old }));
      const keptRoom = await appendRoom('aged', 2);
      const keptDirect = await appendDirect(1);
      const cutoff = new Date('2020-01-01T00:00:00.000Z');
      const batches: number[] = [];
      for (let removed = -1; removed !== 0;) batches.push((removed = await store.pruneOlderThan(cutoff, 3)));
      expect(batches).toEqual([3, 3, 1, 0]);
      expect((await store.roomPage({ room: 'aged', limit: 10 })).messages).toEqual(keptRoom);
      expect((await store.directPage({ userA: 'ada', userB: 'bob', limit: 10 }))!.messages).toEqual(keptDirect);
      await expect(store.lastSeq('aged')).resolves.toBe(6);
      expect((await store.appendRoomMessage(roomInput('aged', ADA, 'after'))).message.seq).toBe(7);
    });

    it('never hands out a seq again after a room lost all its messages, also across a reopen', async () => {
      const old = '2001-01-01T00:00:00.000Z';
      for (let i = 0; i < 3; i += 1) await store.appendRoomMessage(roomInput('emptied', ADA, `old ${i}`, { sentAt: old }));
      await expect(store.pruneOlderThan(new Date('2020-01-01T00:00:00.000Z'), 10)).resolves.toBe(3);
      expect((await store.roomPage({ room: 'emptied', limit: 10 })).messages).toEqual([]);
      if (harness.reopen) store = await harness.reopen(store);
      await expect(store.lastSeq('emptied')).resolves.toBe(3);
      expect((await store.appendRoomMessage(roomInput('emptied', ADA, 'after'))).message.seq).toBe(4);
    });
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  if (harness.reopen) {
    const reopen = harness.reopen;
    it('keeps everything across a reopen: history, seq and clientMsgId dedup', async () => {
      const room = await appendRoom('durable', 3);
      const tagged = await store.appendRoomMessage(roomInput('durable', BOB, 'tagged', { clientMsgId: 'r1' }));
      const direct = await store.appendDirectMessage(directInput(ADA, BOB, 'dm', { clientMsgId: 'd1' }));
      store = await reopen(store);
      expect((await store.roomPage({ room: 'durable', limit: 10 })).messages).toEqual([...room, tagged.message]);
      expect((await store.directPage({ userA: 'bob', userB: 'ada', limit: 10 }))!.messages).toEqual([direct.message]);
      await expect(store.appendRoomMessage(roomInput('durable', BOB, 'again', { clientMsgId: 'r1' }))).resolves.toEqual({
        created: false,
        message: tagged.message,
      });
      await expect(store.appendDirectMessage(directInput(ADA, BOB, 'again', { clientMsgId: 'd1' }))).resolves.toEqual({
        created: false,
        message: direct.message,
      });
      expect((await store.appendRoomMessage(roomInput('durable', ADA, 'next'))).message.seq).toBe(5);
    });
  }
}
