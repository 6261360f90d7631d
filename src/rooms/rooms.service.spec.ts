import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FakeChatClient } from '../../test/support/fake-chat-client.js';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { MemoryMessageStore } from '../messages/memory-message.store.js';
import { MessagesService } from '../messages/messages.service.js';
import { MemoryPresenceStore } from '../presence/memory-presence.store.js';
import { PresenceService } from '../presence/presence.service.js';
import { chatRoom } from './room-names.js';
import { MAX_RESUME_MESSAGES } from '../messages/page-sizes.js';
import { MembershipsService } from '../memberships/memberships.service.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { ReadMarkerBuffer } from '../memberships/read-marker-buffer.js';
import { RoomsService } from './rooms.service.js';

async function codeOf(action: Promise<unknown>): Promise<ErrorCode | undefined> {
  try {
    await action;
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
}

describe('RoomsService (memory stores)', () => {
  let presence: MemoryPresenceStore;
  let messages: MessagesService;
  let rooms: RoomsService;
  let store: MemoryMessageStore;
  let restrictions: RoomRestrictions;

  function build(env: Record<string, string> = {}): void {
    const config = loadConfig({ HISTORY_LIMIT: '3', MAX_ROOMS_PER_SOCKET: '2', MAX_MEMBERSHIPS_PER_USER: '3', ...env });
    presence = new MemoryPresenceStore();
    const presenceService = new PresenceService(presence, config);
    store = new MemoryMessageStore();
    restrictions = new RoomRestrictions();
    messages = new MessagesService(store, presenceService, config, restrictions);
    const memberships = new MembershipsService(store, store, new ReadMarkerBuffer(store), presenceService, config, restrictions);
    rooms = new RoomsService(presenceService, messages, memberships, config, restrictions);
  }

  async function connected(userId: string, options: { allowedRooms?: string[] } = {}): Promise<FakeChatClient> {
    const client = new FakeChatClient(userId, options);
    await presence.connect(client.id, client.data.user);
    return client;
  }

  async function post(room: string, count: number): Promise<void> {
    for (let i = 1; i <= count; i += 1) await messages.postSystemMessage(room, { text: `m${i}` });
  }

  beforeEach(() => build());

  describe('join', () => {
    it('joins the socket, lists members sorted by id, and reports the first socket of the user', async () => {
      const bob = await connected('bob');
      const ada = await connected('ada');
      await rooms.join(bob, { room: 'lobby' });
      const { result, firstForUser } = await rooms.join(ada, { room: 'lobby' });
      expect(firstForUser).toBe(true);
      expect(ada.rooms.has(chatRoom('lobby'))).toBe(true);
      expect(result).toEqual({
        room: 'lobby',
        members: [
          { id: 'ada', name: 'ada' },
          { id: 'bob', name: 'bob' },
        ],
        history: [],
        readSeq: 0,
        unread: 0,
        rev: 0,
      });
    });

    it('is idempotent for the same socket and not first for a second tab', async () => {
      const tab1 = await connected('ada');
      const tab2 = await connected('ada');
      expect((await rooms.join(tab1, { room: 'lobby' })).firstForUser).toBe(true);
      expect((await rooms.join(tab1, { room: 'lobby' })).firstForUser).toBe(false);
      const second = await rooms.join(tab2, { room: 'lobby' });
      expect(second.firstForUser).toBe(false);
      expect(second.result.members).toEqual([{ id: 'ada', name: 'ada' }]);
    });

    it('returns the last HISTORY_LIMIT messages, oldest first', async () => {
      await post('lobby', 5);
      const { result } = await rooms.join(await connected('ada'), { room: 'lobby' });
      expect(result.history.map((m) => m.seq)).toEqual([3, 4, 5]);
      expect(result.hasMore).toBeUndefined();
    });

    it('honours historyLimit, including 0', async () => {
      await post('lobby', 5);
      const ada = await connected('ada');
      expect((await rooms.join(ada, { room: 'lobby', historyLimit: 2 })).result.history.map((m) => m.seq)).toEqual([4, 5]);
      expect((await rooms.join(ada, { room: 'lobby', historyLimit: 0 })).result.history).toEqual([]);
      expect((await rooms.join(ada, { room: 'lobby', historyLimit: 100 })).result.history).toHaveLength(5);
    });

    it('resumes with every message after sinceSeq, ignoring historyLimit', async () => {
      await post('lobby', 6);
      const ada = await connected('ada');
      const { result } = await rooms.join(ada, { room: 'lobby', sinceSeq: 1, historyLimit: 1 });
      expect(result.history.map((m) => m.seq)).toEqual([2, 3, 4, 5, 6]);
      expect(result.hasMore).toBeUndefined();
      expect((await rooms.join(ada, { room: 'lobby', sinceSeq: 6 })).result.history).toEqual([]);
      expect((await rooms.join(ada, { room: 'lobby', sinceSeq: 60 })).result.history).toEqual([]);
    });

    it(`caps a resume at ${MAX_RESUME_MESSAGES} messages and says hasMore`, async () => {
      await post('big', MAX_RESUME_MESSAGES + 2);
      const ada = await connected('ada');
      const { result } = await rooms.join(ada, { room: 'big', sinceSeq: 0 });
      expect(result.history).toHaveLength(MAX_RESUME_MESSAGES);
      expect(result.history[0]!.seq).toBe(1);
      expect(result.history.at(-1)!.seq).toBe(MAX_RESUME_MESSAGES);
      expect(result.hasMore).toBe(true);
      const rest = await rooms.join(ada, { room: 'big', sinceSeq: MAX_RESUME_MESSAGES });
      expect(rest.result.history.map((m) => m.seq)).toEqual([MAX_RESUME_MESSAGES + 1, MAX_RESUME_MESSAGES + 2]);
      expect(rest.result.hasMore).toBeUndefined();
    });

    it('records the membership once and tells the marker, unread and the room rev', async () => {
      await post('lobby', 4);
      const tab1 = await connected('ada');
      const first = await rooms.join(tab1, { room: 'lobby' });
      expect(first.result).toMatchObject({ readSeq: 0, unread: 4, rev: 4 });
      const [membership] = await store.roomMembers({ room: 'lobby', limit: 10 });
      await store.moveMarkers([{ room: 'lobby', userId: 'ada', readSeq: 3 }]);
      const again = await rooms.join(await connected('ada'), { room: 'lobby' });
      expect(again.result).toMatchObject({ readSeq: 3, unread: 1, rev: 4 });
      // The first join's record stays: a later join writes nothing.
      expect(await store.roomMembers({ room: 'lobby', limit: 10 })).toEqual([{ ...membership, readSeq: 3 }]);
    });

    it('refuses a join past MAX_MEMBERSHIPS_PER_USER before the socket joins, but not a room already a membership', async () => {
      for (const room of ['r1', 'r2', 'r3']) await rooms.join(await connected('ada'), { room });
      const ada = await connected('ada');
      const refused = rooms.join(ada, { room: 'r4' });
      await expect(refused).rejects.toThrow('at most 3 rooms');
      await expect(codeOf(rooms.join(ada, { room: 'r4' }))).resolves.toBe(ErrorCode.FORBIDDEN);
      expect(ada.rooms.has(chatRoom('r4'))).toBe(false);
      expect(await presence.roomMembers('r4')).toEqual([]);
      await expect(codeOf(rooms.join(ada, { room: 'r2' }))).resolves.toBeUndefined();
    });

    it('resumes by rev: every new, edited or deleted message after sinceRev, in rev order', async () => {
      await post('lobby', 3);
      const author = await connected('ada');
      await rooms.join(author, { room: 'lobby' });
      await messages.sendToRoom(author, { room: 'lobby', text: 'mine' });
      await messages.edit(author, { room: 'lobby', seq: 4, text: 'mine, fixed' });
      await messages.deleteAsAdmin({ room: 'lobby', seq: 2 });
      const { result } = await rooms.join(await connected('bob'), { room: 'lobby', sinceRev: 3 });
      expect(result.history.map((m) => [m.seq, m.rev, m.text])).toEqual([
        [4, 5, 'mine, fixed'],
        [2, 6, ''],
      ]);
      expect(result.rev).toBe(6);
      expect(result.hasMore).toBeUndefined();
    });

    it.each(['user:ada', 'user:bob', 'system:alerts'])('refuses reserved room %s', async (room) => {
      const ada = await connected('ada');
      await expect(codeOf(rooms.join(ada, { room }))).resolves.toBe(ErrorCode.FORBIDDEN);
    });

    it('refuses rooms outside the allow-list of the identity', async () => {
      const ada = await connected('ada', { allowedRooms: ['team-*'] });
      await expect(codeOf(rooms.join(ada, { room: 'lobby' }))).resolves.toBe(ErrorCode.FORBIDDEN);
      await expect(codeOf(rooms.join(ada, { room: 'team-a' }))).resolves.toBeUndefined();
    });

    it('holds MAX_ROOMS_PER_SOCKET for joins sent at once, while their memberships are read', async () => {
      const ada = await connected('ada');
      const outcomes = await Promise.all(['r1', 'r2', 'r3', 'r2'].map((room) => codeOf(rooms.join(ada, { room }))));
      expect(outcomes).toEqual([undefined, undefined, ErrorCode.FORBIDDEN, undefined]);
      expect([...ada.rooms].filter((room) => room.startsWith('room:')).sort()).toEqual([chatRoom('r1'), chatRoom('r2')]);
      // Nothing stored for the refused room; the places are free again once the joins are done.
      expect((await store.userRooms('ada')).map((entry) => entry.room).sort()).toEqual(['r1', 'r2']);
      await rooms.leave(ada, 'r1');
      await expect(codeOf(rooms.join(ada, { room: 'r3' }))).resolves.toBeUndefined();
    });

    it('refuses a banned user before anything is written, saying until when', async () => {
      restrictions.put('ban', {
        room: 'lobby',
        userId: 'ada',
        reason: 'spam',
        createdAt: '2026-01-01T00:00:00.000Z',
        until: null,
        by: 'root',
      });
      const ada = await connected('ada');
      const membershipWrite = jest.spyOn(store, 'join');
      await expect(rooms.join(ada, { room: 'lobby' })).rejects.toThrow(
        'you are banned from room lobby until an admin lifts it (reason: spam)',
      );
      await expect(codeOf(rooms.join(ada, { room: 'lobby' }))).resolves.toBe(ErrorCode.FORBIDDEN);
      expect(membershipWrite).not.toHaveBeenCalled();
      expect(ada.rooms.has(chatRoom('lobby'))).toBe(false);
      // The ban is per room and per user.
      await expect(codeOf(rooms.join(ada, { room: 'other' }))).resolves.toBeUndefined();
      await expect(codeOf(rooms.join(await connected('bob'), { room: 'lobby' }))).resolves.toBeUndefined();
    });

    it('undoes a join that a ban overtook while it was in flight', async () => {
      const ada = await connected('ada');
      const until = new Date(Date.now() + 60_000).toISOString();
      const join = ada.join.bind(ada);
      // The ban lands after the membership is written, before the socket is in the room.
      ada.join = (room: string) => {
        restrictions.put('ban', { room: 'lobby', userId: 'ada', reason: null, createdAt: new Date().toISOString(), until, by: 'root' });
        join(room);
      };
      await expect(rooms.join(ada, { room: 'lobby' })).rejects.toThrow(`you are banned from room lobby until ${until}`);
      expect(ada.rooms.has(chatRoom('lobby'))).toBe(false);
      expect(await presence.roomMembers('lobby')).toEqual([]);
      expect(await store.userRooms('ada')).toEqual([]);
    });

    it('lets a user join again once the ban has ended', async () => {
      restrictions.put('ban', {
        room: 'lobby',
        userId: 'ada',
        reason: null,
        createdAt: new Date().toISOString(),
        until: new Date(Date.now() - 1).toISOString(),
        by: 'root',
      });
      await expect(codeOf(rooms.join(await connected('ada'), { room: 'lobby' }))).resolves.toBeUndefined();
    });

    it('refuses a room beyond MAX_ROOMS_PER_SOCKET, but not rejoining one', async () => {
      const ada = await connected('ada');
      await rooms.join(ada, { room: 'r1' });
      await rooms.join(ada, { room: 'r2' });
      await expect(codeOf(rooms.join(ada, { room: 'r3' }))).resolves.toBe(ErrorCode.FORBIDDEN);
      await expect(codeOf(rooms.join(ada, { room: 'r2' }))).resolves.toBeUndefined();
      expect(ada.rooms.has(chatRoom('r3'))).toBe(false);
    });
  });

  describe('leave', () => {
    it('reports the last socket of the user only', async () => {
      const tab1 = await connected('ada');
      const tab2 = await connected('ada');
      await rooms.join(tab1, { room: 'lobby' });
      await rooms.join(tab2, { room: 'lobby' });
      expect(await rooms.leave(tab1, 'lobby')).toEqual({ lastForUser: false });
      expect(tab1.rooms.has(chatRoom('lobby'))).toBe(false);
      expect(await rooms.leave(tab2, 'lobby')).toEqual({ lastForUser: true });
      expect(await presence.roomMembers('lobby')).toEqual([]);
    });

    it('answers a room the socket is not in without effect', async () => {
      expect(await rooms.leave(await connected('ada'), 'lobby')).toEqual({ lastForUser: false });
    });

    it('refuses a reserved room and keeps the socket in its user room', async () => {
      const ada = await connected('ada');
      await expect(codeOf(rooms.leave(ada, 'user:ada'))).resolves.toBe(ErrorCode.FORBIDDEN);
      expect(ada.rooms.has('user:ada')).toBe(true);
    });
  });

  describe('history', () => {
    it('pages backwards chronologically with hasMore', async () => {
      await post('lobby', 5);
      const newest = await rooms.history({}, 'lobby', { limit: 2 });
      expect(newest.messages.map((m) => m.seq)).toEqual([4, 5]);
      expect(newest.hasMore).toBe(true);
      const older = await rooms.history({}, 'lobby', { beforeSeq: 4, limit: 2 });
      expect(older.messages.map((m) => m.seq)).toEqual([2, 3]);
      const oldest = await rooms.history({}, 'lobby', { beforeSeq: 2, limit: 2 });
      expect(oldest).toMatchObject({ hasMore: false });
      expect(oldest.messages.map((m) => m.seq)).toEqual([1]);
    });

    it('defaults to pages of 50', async () => {
      await post('lobby', 51);
      const page = await rooms.history({}, 'lobby', {});
      expect(page.messages).toHaveLength(50);
      expect(page.messages[0]!.seq).toBe(2);
      expect(page.hasMore).toBe(true);
    });

    it('answers an empty page for an unknown room and FORBIDDEN for a reserved one', async () => {
      await expect(rooms.history({}, 'nowhere', {})).resolves.toEqual({ messages: [], hasMore: false });
      await expect(codeOf(rooms.history({}, 'user:ada', {}))).resolves.toBe(ErrorCode.FORBIDDEN);
    });
  });

  describe('lookups', () => {
    it('lists rooms with connected members sorted by name', async () => {
      const ada = await connected('ada');
      const bob = await connected('bob');
      await rooms.join(bob, { room: 'zeta' });
      await rooms.join(ada, { room: 'alpha' });
      await rooms.join(bob, { room: 'alpha' });
      await post('only-messages', 1);
      expect(await rooms.list({})).toEqual([
        { name: 'alpha', memberCount: 2 },
        { name: 'zeta', memberCount: 1 },
      ]);
      expect(await rooms.list({ allowedRooms: ['z*'] })).toEqual([{ name: 'zeta', memberCount: 1 }]);
    });

    it('describes a room with members or messages and 404s an empty one', async () => {
      const ada = await connected('ada');
      await rooms.join(ada, { room: 'lobby' });
      await post('archive', 2);
      await expect(rooms.describe({}, 'lobby')).resolves.toEqual({
        name: 'lobby',
        memberCount: 1,
        members: [{ id: 'ada', name: 'ada' }],
        lastSeq: 0,
      });
      await expect(rooms.describe({}, 'archive')).resolves.toEqual({ name: 'archive', memberCount: 0, members: [], lastSeq: 2 });
      await expect(codeOf(rooms.describe({}, 'empty'))).resolves.toBe(ErrorCode.NOT_FOUND);
      await expect(codeOf(rooms.describe({ allowedRooms: ['other'] }, 'lobby'))).resolves.toBe(ErrorCode.FORBIDDEN);
    });
  });
});
