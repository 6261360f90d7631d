import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { AuditEntry, DirectMessage, Message, User } from '../../../src/contract.js';
import type { ChatStoreEngine } from '../../../src/messages/message-store.factory.js';
import { ERASURE_STEP_MAX_MESSAGES } from '../../../src/moderation/erasure-limits.js';
import type {
  ErasureStep,
  NewAuditEntry,
  RestrictionKind,
  SessionRevocation,
  StoredRestriction,
} from '../../../src/moderation/moderation-store.js';
import { ADA, BOB, CAROL, directInput, roomInput } from './message-store-contract.js';

/** A stored message row as the database holds it, read past the engine. */
export interface RawMessageRow {
  text: string;
  deletedAt: string | null;
}

/** How the moderation suite gets engines of one implementation. */
export interface ModerationHarness {
  /** A fresh, empty, open engine. */
  create(): Promise<ChatStoreEngine>;
  close(store: ChatStoreEngine): Promise<void>;
  /** Every room_messages and direct_messages row this user sent, as committed: SQL engines. */
  rawRowsOf?(store: ChatStoreEngine, senderId: string): Promise<{ room: RawMessageRow[]; direct: RawMessageRow[] }>;
}

const T0 = Date.parse('2030-03-01T00:00:00.000Z');
/** The suite's clock: `at(n)` is n seconds after a fixed start. */
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();
const ERASED_AT = at(100_000);
/** Far more steps than any erasure here needs: a cursor that never ends fails instead of hanging. */
const MAX_STEPS = 10_000;

function restriction(
  userId: string,
  { kind = 'ban', room = 'lobby', createdAt = at(0), until = null, reason = null, by = 'admin-1' }: Partial<StoredRestriction> = {},
): StoredRestriction {
  return { kind, room, userId, reason, createdAt, until, by };
}

function auditOf(action: NewAuditEntry['action'], userId: string, extra: Partial<NewAuditEntry> = {}): NewAuditEntry {
  return { at: at(0), actor: 'admin-1', action, userId, room: null, details: {}, ...extra };
}

const ids = (restrictions: StoredRestriction[]): string[] => restrictions.map((r) => r.userId);
const byKey = (a: StoredRestriction, b: StoredRestriction): number =>
  `${a.kind}\n${a.room}\n${a.userId}` < `${b.kind}\n${b.room}\n${b.userId}` ? -1 : 1;

/**
 * The ModerationStore contract (see its doc comment): restrictions, revocations, the audit log and
 * erasure. Run against every engine: memory, SQLite (in memory and on disk) and PostgreSQL.
 */
export function describeModerationContract(harness: ModerationHarness): void {
  let store: ChatStoreEngine;

  beforeEach(async () => {
    store = await harness.create();
  });

  afterEach(async () => {
    await harness.close(store);
  });

  const put = (r: StoredRestriction, audit = auditOf(r.kind, r.userId, { room: r.room })): Promise<{ replaced: boolean }> =>
    store.putRestriction({ restriction: r, audit });

  const remove = (kind: RestrictionKind, userId: string, now: string, room = 'lobby'): Promise<StoredRestriction | undefined> =>
    store.removeRestriction({ kind, room, userId, now, audit: auditOf(kind === 'ban' ? 'unban' : 'unmute', userId, { room }) });

  const page = (kind: RestrictionKind, now: string, after?: string, limit = 100, room = 'lobby'): Promise<StoredRestriction[]> =>
    store.roomRestrictions({ kind, room, now, limit, ...(after === undefined ? {} : { after }) });

  const allAudit = async (): Promise<AuditEntry[]> => store.auditPage({ limit: 1000 });

  async function sendRoom(room: string, from: User, count: number): Promise<Message[]> {
    const sent: Message[] = [];
    for (let i = 1; i <= count; i += 1)
      sent.push((await store.appendRoomMessage(roomInput(room, from, `${room} ${from.id} ${i}`))).message);
    return sent;
  }

  /** Concurrent sends: the SQL engines batch or pipeline them, so large volumes stay quick. */
  async function sendRoomMany(room: string, from: User, count: number): Promise<void> {
    const inputs = Array.from({ length: count }, (_, i) => roomInput(room, from, `${room} bulk ${i}`));
    await Promise.all(inputs.map((input) => store.appendRoomMessage(input)));
  }

  async function sendDirect(from: User, to: User, count: number, clientMsgId?: string): Promise<DirectMessage[]> {
    const sent: DirectMessage[] = [];
    for (let i = 1; i <= count; i += 1) {
      const extra = clientMsgId === undefined ? {} : { clientMsgId: `${clientMsgId}-${i}` };
      sent.push((await store.appendDirectMessage(directInput(from, to, `dm ${from.id} ${i}`, extra))).message);
    }
    return sent;
  }

  /** Steps until the cursor ends, checking the bound of each. */
  async function eraseAll(userId: string): Promise<{ steps: ErasureStep[]; roomMessages: Message[]; directMessages: number }> {
    const steps: ErasureStep[] = [];
    let cursor: string | undefined;
    do {
      const step = await store.eraseStep({ userId, deletedAt: ERASED_AT, ...(cursor === undefined ? {} : { cursor }) });
      expect(step.roomMessages.length + step.directMessages).toBeLessThanOrEqual(ERASURE_STEP_MAX_MESSAGES);
      steps.push(step);
      cursor = step.cursor;
      if (steps.length > MAX_STEPS) throw new Error('the erasure cursor never ended');
    } while (cursor !== undefined);
    return {
      steps,
      roomMessages: steps.flatMap((step) => step.roomMessages),
      directMessages: steps.reduce((sum, step) => sum + step.directMessages, 0),
    };
  }

  const history = async (room: string): Promise<Message[]> => (await store.roomPage({ room, limit: 500 })).messages;
  const conversation = async (a: User, b: User): Promise<DirectMessage[]> =>
    (await store.directPage({ userA: a.id, userB: b.id, limit: 500 }))!.messages;

  describe('restrictions', () => {
    it('stores a restriction as given and lists it among the active ones', async () => {
      const ban = restriction(ADA.id, { reason: 'spam', until: at(60) });
      await expect(put(ban)).resolves.toEqual({ replaced: false });
      await expect(store.activeRestrictions(at(1))).resolves.toEqual([ban]);
      await expect(page('ban', at(1))).resolves.toEqual([ban]);
      await expect(page('mute', at(1))).resolves.toEqual([]);
    });

    it('replaces an active restriction of the same kind, room and user (replaced: true)', async () => {
      await put(restriction(ADA.id, { reason: 'first', until: at(60) }));
      const second = restriction(ADA.id, { reason: 'second', createdAt: at(10), until: null, by: 'admin-2' });
      await expect(put(second)).resolves.toEqual({ replaced: true });
      await expect(store.activeRestrictions(at(11))).resolves.toEqual([second]);
    });

    it('does not count an ended restriction as replaced', async () => {
      await put(restriction(ADA.id, { until: at(5) }));
      // Ended exactly when the new one is made: until <= createdAt is over.
      const again = restriction(ADA.id, { createdAt: at(5), until: at(50) });
      await expect(put(again)).resolves.toEqual({ replaced: false });
      await expect(store.activeRestrictions(at(6))).resolves.toEqual([again]);
    });

    it('keeps bans and mutes, rooms and users apart', async () => {
      const made = [
        restriction(ADA.id),
        restriction(ADA.id, { kind: 'mute' }),
        restriction(ADA.id, { room: 'other' }),
        restriction(BOB.id, { kind: 'mute', room: 'other' }),
      ];
      for (const r of made) await expect(put(r)).resolves.toEqual({ replaced: false });
      expect((await store.activeRestrictions(at(1))).sort(byKey)).toEqual([...made].sort(byKey));
      await expect(page('ban', at(1))).resolves.toEqual([made[0]]);
      await expect(page('mute', at(1))).resolves.toEqual([made[1]]);
      await expect(page('mute', at(1), undefined, 100, 'other')).resolves.toEqual([made[3]]);
    });

    it('never lists an ended restriction: until <= now is over, null lasts', async () => {
      const endsAt10 = restriction('ends-10', { until: at(10) });
      const endsAt11 = restriction('ends-11', { until: at(11) });
      const lasting = restriction('lasting');
      for (const r of [endsAt10, endsAt11, lasting]) await put(r);
      expect(ids(await store.activeRestrictions(at(10))).sort()).toEqual(['ends-11', 'lasting']);
      expect(ids(await page('ban', at(10)))).toEqual(['ends-11', 'lasting']);
      expect(ids(await store.activeRestrictions(at(11)))).toEqual(['lasting']);
      expect(ids(await page('ban', at(9)))).toEqual(['ends-10', 'ends-11', 'lasting']);
    });

    it('pages a room by user id in byte order, from the cursor, at most limit', async () => {
      // UTF-16 and UTF-8 order disagree on the last two: U+FF5A sorts before U+1F600 in bytes only.
      const users = ['B', 'a', 'b', 'é', '~', '😀', 'ｚ'];
      for (const user of users) await put(restriction(user));
      await put(restriction('ended', { until: at(1) }));
      await put(restriction('muted-only', { kind: 'mute' }));
      const byteOrder = ['B', 'a', 'b', '~', 'é', 'ｚ', '😀'];
      expect(ids(await page('ban', at(2)))).toEqual(byteOrder);
      const walked: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages += 1) {
        const got = await page('ban', at(2), after, 3);
        expect(got.length).toBeLessThanOrEqual(3);
        walked.push(...ids(got));
        if (got.length < 3) break;
        after = got[got.length - 1]!.userId;
      }
      expect(walked).toEqual(byteOrder);
      expect(ids(await page('ban', at(2), 'é', 100))).toEqual(['ｚ', '😀']);
      expect(ids(await page('ban', at(2), '~', 100))).toEqual(['é', 'ｚ', '😀']);
    });

    it('removes an active restriction and returns it, with its audit entry', async () => {
      const mute = restriction(ADA.id, { kind: 'mute', reason: 'shouting', until: at(60) });
      await put(mute);
      await expect(remove('mute', ADA.id, at(1))).resolves.toEqual(mute);
      await expect(store.activeRestrictions(at(1))).resolves.toEqual([]);
      await expect(remove('mute', ADA.id, at(1))).resolves.toBeUndefined();
      expect((await allAudit()).map((e) => e.action)).toEqual(['mute', 'unmute']);
    });

    it('answers undefined for an ended or absent restriction, deletes it and writes no audit entry', async () => {
      await put(restriction(ADA.id, { until: at(10) }));
      await expect(remove('ban', ADA.id, at(10))).resolves.toBeUndefined();
      // Deleted: not listed even at a time it was active, and not pruned later.
      await expect(store.activeRestrictions(at(1))).resolves.toEqual([]);
      await expect(store.pruneEndedRestrictions(at(20), 10)).resolves.toBe(0);
      await expect(remove('ban', BOB.id, at(1))).resolves.toBeUndefined();
      await expect(remove('mute', ADA.id, at(1))).resolves.toBeUndefined();
      expect((await allAudit()).map((e) => e.action)).toEqual(['ban']);
    });

    it('prunes at most batchSize ended restrictions and never an active one', async () => {
      for (let i = 0; i < 5; i += 1) await put(restriction(`ended-${i}`, { until: at(i + 1), room: i % 2 ? 'lobby' : 'other' }));
      await put(restriction('ends-later', { until: at(100) }));
      await put(restriction('lasting', { kind: 'mute' }));
      await expect(store.pruneEndedRestrictions(at(50), 3)).resolves.toBe(3);
      await expect(store.pruneEndedRestrictions(at(50), 3)).resolves.toBe(2);
      await expect(store.pruneEndedRestrictions(at(50), 3)).resolves.toBe(0);
      // The pruned ones are gone even for a reader that would still count them as active.
      expect(ids(await store.activeRestrictions(at(0))).sort()).toEqual(['ends-later', 'lasting']);
    });

    it('writes the audit entry of a restriction with it', async () => {
      const ban = restriction(ADA.id, { room: 'lobby', reason: 'spam', until: at(60) });
      await put(ban, auditOf('ban', ADA.id, { room: 'lobby', at: at(3), details: { reason: 'spam', until: at(60) } }));
      const [entry] = await allAudit();
      expect(entry).toEqual({
        id: entry!.id,
        at: at(3),
        actor: 'admin-1',
        action: 'ban',
        userId: ADA.id,
        room: 'lobby',
        details: { reason: 'spam', until: at(60) },
      });
    });
  });

  describe('session revocations', () => {
    it('keeps one revocation per user, the latest, and lists every user', async () => {
      const first: SessionRevocation = { userId: ADA.id, revokedAt: at(1), blockedUntil: at(301) };
      const latest: SessionRevocation = { userId: ADA.id, revokedAt: at(5), blockedUntil: null };
      const bob: SessionRevocation = { userId: BOB.id, revokedAt: at(2), blockedUntil: at(60) };
      await store.putRevocation(first, auditOf('revoke', ADA.id, { details: { blockedUntil: at(301) } }));
      await store.putRevocation(bob, auditOf('revoke', BOB.id));
      await store.putRevocation(latest, auditOf('revoke', ADA.id));
      const listed = (await store.revocations()).sort((a, b) => (a.userId < b.userId ? -1 : 1));
      expect(listed).toEqual([latest, bob]);
      expect((await allAudit()).map((e) => [e.action, e.userId])).toEqual([
        ['revoke', ADA.id],
        ['revoke', BOB.id],
        ['revoke', ADA.id],
      ]);
    });
  });

  describe('audit log', () => {
    it('returns each entry with an increasing id and pages oldest first from the cursor', async () => {
      const appended: AuditEntry[] = [];
      for (let i = 0; i < 7; i += 1) {
        const details = { step: i, note: i % 2 ? 'odd' : null, label: `entry ${i}` };
        const entry = await store.appendAudit(auditOf('erase', `user-${i}`, { at: at(i), details }));
        expect(entry).toEqual({ id: entry.id, at: at(i), actor: 'admin-1', action: 'erase', userId: `user-${i}`, room: null, details });
        appended.push(entry);
      }
      const idsInOrder = appended.map((e) => e.id);
      expect([...idsInOrder].sort((a, b) => a - b)).toEqual(idsInOrder);
      expect(new Set(idsInOrder).size).toBe(7);
      await expect(allAudit()).resolves.toEqual(appended);
      await expect(store.auditPage({ limit: 3 })).resolves.toEqual(appended.slice(0, 3));
      await expect(store.auditPage({ after: appended[2]!.id, limit: 3 })).resolves.toEqual(appended.slice(3, 6));
      await expect(store.auditPage({ after: appended[5]!.id, limit: 3 })).resolves.toEqual(appended.slice(6));
      await expect(store.auditPage({ after: appended[6]!.id, limit: 3 })).resolves.toEqual([]);
    });
  });

  describe('erasure', () => {
    it("tombstones the user's room and direct messages, each room message with its room's next rev", async () => {
      const adaInLobby = await sendRoom('lobby', ADA, 3);
      const bobInLobby = await sendRoom('lobby', BOB, 2);
      const adaInOther = await sendRoom('other', ADA, 2);
      const adaToBob = await sendDirect(ADA, BOB, 2, 'ada-dm');
      const bobToAda = await sendDirect(BOB, ADA, 1);
      const before = { lobby: await store.roomState('lobby'), other: await store.roomState('other') };

      const erased = await eraseAll(ADA.id);

      expect(erased.directMessages).toBe(2);
      const sorted = [...erased.roomMessages].sort((a, b) => (a.room === b.room ? a.seq - b.seq : a.room < b.room ? -1 : 1));
      expect(sorted).toEqual(
        [...adaInLobby, ...adaInOther]
          .map((m) => ({ ...m, text: '', deletedAt: ERASED_AT, rev: expect.any(Number) as unknown as number }))
          .sort((a, b) => (a.room === b.room ? a.seq - b.seq : a.room < b.room ? -1 : 1)),
      );
      // Gap-free: each room's erased messages took exactly the revs after the room's last one.
      for (const room of ['lobby', 'other'] as const) {
        const revs = erased.roomMessages.filter((m) => m.room === room).map((m) => m.rev);
        const count = room === 'lobby' ? 3 : 2;
        expect(revs.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => before[room].rev + 1 + i));
        await expect(store.roomState(room)).resolves.toEqual({ lastSeq: before[room].lastSeq, rev: before[room].rev + count });
      }
      // What readers see: the tombstones in place, as the steps returned them.
      for (const message of erased.roomMessages) await expect(store.roomMessage(message.room, message.seq)).resolves.toEqual(message);
      expect(await history('lobby')).toEqual([
        ...erased.roomMessages.filter((m) => m.room === 'lobby').sort((a, b) => a.seq - b.seq),
        ...bobInLobby,
      ]);
      const resumed = await store.roomSinceRev({ room: 'lobby', sinceRev: before.lobby.rev, limit: 100 });
      expect(resumed.messages.map((m) => m.seq).sort()).toEqual(adaInLobby.map((m) => m.seq));
      expect(await conversation(ADA, BOB)).toEqual([...adaToBob.map((m) => ({ ...m, text: '', deletedAt: ERASED_AT })), ...bobToAda]);
    });

    it('keeps the v1 shape of a direct message and appends deletedAt last on a tombstone', async () => {
      const [plain] = await sendDirect(BOB, ADA, 1);
      const [tagged] = await sendDirect(ADA, BOB, 1, 'shape');
      await eraseAll(ADA.id);
      const [first, second] = await conversation(ADA, BOB);
      expect(JSON.stringify(first)).toBe(JSON.stringify(plain));
      expect(Object.keys(second!)).toEqual(['id', 'from', 'to', 'text', 'sentAt', 'clientMsgId', 'deletedAt']);
      expect(second).toEqual({ ...tagged!, text: '', deletedAt: ERASED_AT });
      // A repeated send of an erased message answers with the tombstone and stores nothing.
      const again = await store.appendDirectMessage(directInput(ADA, BOB, 'dm ada 1', { clientMsgId: 'shape-1' }));
      expect(again).toEqual({ created: false, message: second });
    });

    it("leaves other users' messages as they were", async () => {
      await sendRoom('lobby', ADA, 2);
      const bobs = await sendRoom('lobby', BOB, 2);
      const carols = await sendRoom('quiet', CAROL, 2);
      const toAda = await sendDirect(BOB, ADA, 2);
      const carolToBob = await sendDirect(CAROL, BOB, 1);
      const quietBefore = await store.roomState('quiet');
      await eraseAll(ADA.id);
      expect((await history('lobby')).slice(2)).toEqual(bobs);
      expect(await history('quiet')).toEqual(carols);
      await expect(store.roomState('quiet')).resolves.toEqual(quietBefore);
      expect(await conversation(ADA, BOB)).toEqual(toAda);
      expect(await conversation(CAROL, BOB)).toEqual(carolToBob);
      if (harness.rawRowsOf) {
        const bobRows = await harness.rawRowsOf(store, BOB.id);
        expect(bobRows.room.map((r) => r.text).sort()).toEqual(bobs.map((m) => m.text).sort());
        expect(bobRows.direct.map((r) => r.text)).toEqual(toAda.map((m) => m.text));
        expect([...bobRows.room, ...bobRows.direct].every((r) => r.deletedAt === null)).toBe(true);
      }
    });

    it('is idempotent: a second erasure finds nothing and takes no rev', async () => {
      await sendRoom('lobby', ADA, 3);
      await sendDirect(ADA, BOB, 2);
      const first = await eraseAll(ADA.id);
      expect([first.roomMessages.length, first.directMessages]).toEqual([3, 2]);
      const state = await store.roomState('lobby');
      const rows = await history('lobby');
      const second = await eraseAll(ADA.id);
      expect([second.roomMessages.length, second.directMessages]).toEqual([0, 0]);
      await expect(store.roomState('lobby')).resolves.toEqual(state);
      expect(await history('lobby')).toEqual(rows);
    });

    it('skips a message already deleted: it keeps its rev and deletedAt', async () => {
      await sendRoom('lobby', ADA, 3);
      const deleted = await store.deleteRoomMessage({ room: 'lobby', seq: 2, authorId: ADA.id, deletedAt: at(7) });
      expect(deleted.outcome).toBe('changed');
      const erased = await eraseAll(ADA.id);
      expect(erased.roomMessages.map((m) => m.seq).sort()).toEqual([1, 3]);
      expect(erased.roomMessages.map((m) => m.rev).sort()).toEqual([5, 6]);
      await expect(store.roomMessage('lobby', 2)).resolves.toEqual(deleted.outcome === 'changed' ? deleted.message : undefined);
    });

    it('completes at once for a user who sent nothing', async () => {
      await sendRoom('lobby', BOB, 2);
      const erased = await eraseAll('nobody');
      expect([erased.roomMessages.length, erased.directMessages]).toEqual([0, 0]);
      expect(erased.steps.length).toBeLessThanOrEqual(3);
    });

    it('runs in several bounded steps, the cursor carrying it to the end without missing or repeating a message', async () => {
      const roomCount = ERASURE_STEP_MAX_MESSAGES + 120;
      const directCount = ERASURE_STEP_MAX_MESSAGES + 30;
      await sendRoomMany('big', ADA, roomCount / 2);
      await sendRoomMany('big', BOB, 50);
      await sendRoomMany('other', ADA, roomCount / 2);
      await Promise.all(Array.from({ length: directCount }, (_, i) => store.appendDirectMessage(directInput(ADA, CAROL, `bulk dm ${i}`))));
      const before = { big: await store.roomState('big'), other: await store.roomState('other') };

      const erased = await eraseAll(ADA.id);

      expect(erased.steps.length).toBeGreaterThanOrEqual(3);
      expect(erased.roomMessages).toHaveLength(roomCount);
      expect(erased.directMessages).toBe(directCount);
      expect(new Set(erased.roomMessages.map((m) => `${m.room}/${m.seq}`)).size).toBe(roomCount);
      for (const room of ['big', 'other'] as const) {
        const revs = erased.roomMessages.filter((m) => m.room === room).map((m) => m.rev);
        expect(revs.sort((a, b) => a - b)).toEqual(Array.from({ length: roomCount / 2 }, (_, i) => before[room].rev + 1 + i));
      }
      const page = await store.roomPage({ room: 'big', limit: 500 });
      expect(page.messages.filter((m) => m.from.id === ADA.id).every((m) => m.text === '' && m.deletedAt === ERASED_AT)).toBe(true);
      expect(page.messages.filter((m) => m.from.id === BOB.id).every((m) => m.text !== '' && m.deletedAt === undefined)).toBe(true);
    });

    it("keeps a room's revs unique and gap-free while others send during the erasure", async () => {
      await sendRoomMany('busy', ADA, 40);
      const [erased, ...sends] = await Promise.all([
        eraseAll(ADA.id),
        ...Array.from({ length: 30 }, (_, i) => store.appendRoomMessage(roomInput('busy', BOB, `during ${i}`))),
      ]);
      expect(erased.roomMessages).toHaveLength(40);
      expect(sends.every((sent) => sent.created)).toBe(true);
      // Every stored message carries a rev taken after the first 40 sends: Bob's sends and Ada's
      // tombstones share 41..110, each once.
      const stored = (await store.roomSinceRev({ room: 'busy', sinceRev: 0, limit: 500 })).messages;
      expect(stored.map((m) => m.rev)).toEqual(Array.from({ length: 70 }, (_, i) => 41 + i));
      await expect(store.roomState('busy')).resolves.toEqual({ lastSeq: 70, rev: 110 });
    });

    it('leaves no text in the stored rows', async () => {
      await sendRoom('lobby', ADA, 2);
      await sendRoom('other', ADA, 1);
      await sendDirect(ADA, BOB, 2);
      await eraseAll(ADA.id);
      const erasedRoom = [
        ...(await store.roomPage({ room: 'lobby', limit: 10 })).messages,
        ...(await store.roomPage({ room: 'other', limit: 10 })).messages,
      ];
      expect(erasedRoom.map((m) => m.text)).toEqual(['', '', '']);
      if (!harness.rawRowsOf) return;
      const rows = await harness.rawRowsOf(store, ADA.id);
      expect(rows.room).toEqual([
        { text: '', deletedAt: ERASED_AT },
        { text: '', deletedAt: ERASED_AT },
        { text: '', deletedAt: ERASED_AT },
      ]);
      expect(rows.direct).toEqual([
        { text: '', deletedAt: ERASED_AT },
        { text: '', deletedAt: ERASED_AT },
      ]);
    });
  });
}
