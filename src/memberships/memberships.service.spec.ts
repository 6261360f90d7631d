import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FakeChatClient } from '../../test/support/fake-chat-client.js';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import type { User } from '../contract.js';
import { MemoryMessageStore } from '../messages/memory-message.store.js';
import { MessagesService } from '../messages/messages.service.js';
import { MemoryPresenceStore } from '../presence/memory-presence.store.js';
import { PresenceService } from '../presence/presence.service.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { MembershipsService } from './memberships.service.js';
import { ReadMarkerBuffer } from './read-marker-buffer.js';

async function refusal(action: Promise<unknown>): Promise<AppError> {
  try {
    await action;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('expected the call to be refused');
}

describe('MembershipsService (memory stores)', () => {
  let store: MemoryMessageStore;
  let presence: MemoryPresenceStore;
  let markers: ReadMarkerBuffer;
  let messages: MessagesService;
  let memberships: MembershipsService;
  let restrictions: RoomRestrictions;
  const ada: User = { id: 'ada', name: 'Ada' };
  const bob: User = { id: 'bob', name: 'Bob' };

  beforeEach(() => {
    const config = loadConfig({ MAX_MEMBERSHIPS_PER_USER: '3' });
    store = new MemoryMessageStore();
    presence = new MemoryPresenceStore();
    const presenceService = new PresenceService(presence, config);
    markers = new ReadMarkerBuffer(store);
    restrictions = new RoomRestrictions();
    messages = new MessagesService(store, presenceService, config, restrictions);
    memberships = new MembershipsService(store, store, markers, presenceService, config, restrictions);
  });

  async function post(room: string, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) await messages.postSystemMessage(room, { text: `m${i}` });
  }

  async function connected(user: User, options: { allowedRooms?: string[] } = {}): Promise<FakeChatClient> {
    const client = new FakeChatClient(user.id, options);
    client.data.user = user;
    await presence.connect(client.id, user);
    return client;
  }

  describe('enter (room:join)', () => {
    it('writes a membership only on the first join of a user, and reports marker, unread and rev', async () => {
      await post('lobby', 3);
      const join = jest.spyOn(store, 'join');
      expect(await memberships.enter(ada, 'lobby')).toEqual({ readSeq: 0, unread: 3, rev: 3 });
      expect(await memberships.enter(ada, 'lobby')).toEqual({ readSeq: 0, unread: 3, rev: 3 });
      expect(await memberships.enter(ada, 'lobby')).toEqual({ readSeq: 0, unread: 3, rev: 3 });
      expect(join).toHaveBeenCalledTimes(1);
      await memberships.enter(bob, 'lobby');
      expect(join).toHaveBeenCalledTimes(2);
    });

    it('refuses a room past MAX_MEMBERSHIPS_PER_USER, saying so, and writes nothing', async () => {
      for (const room of ['a', 'b', 'c']) await memberships.enter(ada, room);
      const error = await refusal(memberships.enter(ada, 'd'));
      expect(error.code).toBe(ErrorCode.FORBIDDEN);
      expect(error.message).toContain('at most 3 rooms');
      expect((await store.userRooms('ada')).map((entry) => entry.room).sort()).toEqual(['a', 'b', 'c']);
      // A room already a membership is not a new one; another user has a cap of their own.
      await expect(memberships.enter(ada, 'b')).resolves.toMatchObject({ readSeq: 0 });
      await expect(memberships.enter(bob, 'd')).resolves.toMatchObject({ readSeq: 0 });
      await memberships.forget(ada, 'a');
      await expect(memberships.enter(ada, 'd')).resolves.toMatchObject({ readSeq: 0 });
    });

    it('counts a pending marker as read', async () => {
      await post('lobby', 5);
      const client = await connected(ada);
      await memberships.enter(ada, 'lobby');
      await memberships.read(client, { room: 'lobby', seq: 4 });
      expect(await memberships.enter(ada, 'lobby')).toEqual({ readSeq: 4, unread: 1, rev: 5 });
    });
  });

  describe('read (room:read)', () => {
    it('moves the marker forward only, answers at once, and tells whether it moved', async () => {
      await post('lobby', 10);
      const client = await connected(ada);
      await memberships.enter(ada, 'lobby');
      expect(await memberships.read(client, { room: 'lobby', seq: 6 })).toEqual({
        result: { room: 'lobby', readSeq: 6, unread: 4 },
        moved: true,
      });
      expect(await memberships.read(client, { room: 'lobby', seq: 2 })).toEqual({
        result: { room: 'lobby', readSeq: 6, unread: 4 },
        moved: false,
      });
      expect(await memberships.read(client, { room: 'lobby', seq: 6 })).toMatchObject({ moved: false });
      expect(await memberships.read(client, { room: 'lobby', seq: 10 })).toEqual({
        result: { room: 'lobby', readSeq: 10, unread: 0 },
        moved: true,
      });
      // Written later, coalesced: the store still has 0 until the buffer writes.
      expect((await store.membershipState('lobby', 'ada'))?.membership.readSeq).toBe(0);
      await markers.flush();
      expect((await store.membershipState('lobby', 'ada'))?.membership.readSeq).toBe(10);
    });

    it('refuses a non-member (a joined socket is not what counts), before looking at seq', async () => {
      await post('lobby', 2);
      const client = await connected(ada);
      client.join('room:lobby');
      expect((await refusal(memberships.read(client, { room: 'lobby', seq: 1 }))).code).toBe(ErrorCode.FORBIDDEN);
      expect((await refusal(memberships.read(client, { room: 'lobby', seq: 99 }))).code).toBe(ErrorCode.FORBIDDEN);
      expect(markers.pendingCount).toBe(0);
    });

    it('refuses a banned member before anything else, and lets a muted one read', async () => {
      await memberships.enter(ada, 'lobby');
      await post('lobby', 2);
      const restriction = { room: 'lobby', userId: 'ada', reason: null, createdAt: new Date().toISOString(), until: null, by: 'root' };
      restrictions.put('mute', restriction);
      await expect(memberships.read(await connected(ada), { room: 'lobby', seq: 1 })).resolves.toMatchObject({ moved: true });
      restrictions.put('ban', restriction);
      const refused = await refusal(memberships.read(await connected(ada), { room: 'lobby', seq: 99 }));
      expect([refused.code, refused.message]).toEqual([ErrorCode.FORBIDDEN, 'you are banned from room lobby until an admin lifts it']);
      expect(markers.pendingSeq('lobby', 'ada')).toBe(1);
    });

    it('refuses a seq past the last message as VALIDATION_FAILED on seq, and moves nothing', async () => {
      await post('lobby', 2);
      const client = await connected(ada);
      await memberships.enter(ada, 'lobby');
      const error = await refusal(memberships.read(client, { room: 'lobby', seq: 3 }));
      expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(error.details).toEqual([{ field: 'seq', messages: [expect.stringContaining('2')] }]);
      expect(markers.pendingCount).toBe(0);
      await expect(memberships.read(client, { room: 'lobby', seq: 0 })).resolves.toMatchObject({ moved: false });
    });

    it('refuses reserved rooms and rooms outside the rooms claim', async () => {
      const limited = await connected(ada, { allowedRooms: ['team-*'] });
      expect((await refusal(memberships.read(limited, { room: 'user:ada', seq: 0 }))).code).toBe(ErrorCode.FORBIDDEN);
      await memberships.enter(ada, 'lobby');
      expect((await refusal(memberships.read(limited, { room: 'lobby', seq: 0 }))).code).toBe(ErrorCode.FORBIDDEN);
    });

    it('counts deleted messages as unread, and a send moves the sender past its own message', async () => {
      await post('lobby', 4);
      const client = await connected(ada);
      await memberships.enter(ada, 'lobby');
      await messages.deleteAsAdmin({ room: 'lobby', seq: 4 });
      expect((await memberships.read(client, { room: 'lobby', seq: 1 })).result).toEqual({ room: 'lobby', readSeq: 1, unread: 3 });
      client.join('room:lobby');
      await messages.sendToRoom(client, { room: 'lobby', text: 'mine' });
      expect(await memberships.rooms('ada', {})).toMatchObject([{ room: 'lobby', lastSeq: 5, readSeq: 5, unread: 0 }]);
    });
  });

  describe('forget (room:forget)', () => {
    it('ends the membership, drops a pending marker, and takes every socket out of the room in presence', async () => {
      await post('lobby', 3);
      const tab1 = await connected(ada);
      const tab2 = await connected(ada);
      await memberships.enter(ada, 'lobby');
      await presence.join(tab1.id, 'lobby');
      await presence.join(tab2.id, 'lobby');
      await memberships.read(tab1, { room: 'lobby', seq: 2 });
      expect(await memberships.forget(ada, 'lobby')).toEqual({ wasIn: true });
      expect(markers.pendingCount).toBe(0);
      expect(await store.membershipState('lobby', 'ada')).toBeUndefined();
      expect(await presence.roomMembers('lobby')).toEqual([]);
      expect(await memberships.rooms('ada', {})).toEqual([]);
      // Again, or a room never joined: fine, and no member-left is due.
      expect(await memberships.forget(ada, 'lobby')).toEqual({ wasIn: false });
      expect(await memberships.forget(ada, 'never')).toEqual({ wasIn: false });
      // A new membership starts from nothing read.
      expect(await memberships.enter(ada, 'lobby')).toEqual({ readSeq: 0, unread: 3, rev: 3 });
    });

    it('refuses a reserved room', async () => {
      expect((await refusal(memberships.forget(ada, 'user:ada'))).code).toBe(ErrorCode.FORBIDDEN);
    });
  });

  describe('rooms (rooms:list)', () => {
    it('orders by newest message, rooms without messages last by newest join, with pending markers counted', async () => {
      jest.useFakeTimers({ now: new Date('2026-03-01T10:00:00.000Z'), doNotFake: ['nextTick', 'setImmediate'] });
      try {
        await memberships.enter(ada, 'quiet-old');
        jest.setSystemTime(new Date('2026-03-01T10:01:00.000Z'));
        await memberships.enter(ada, 'busy');
        await memberships.enter(ada, 'quiet-new');
        jest.setSystemTime(new Date('2026-03-01T10:02:00.000Z'));
        await post('busy', 2);
        const client = await connected(ada);
        await memberships.read(client, { room: 'busy', seq: 1 });
        const rooms = await memberships.rooms('ada', {});
        expect(rooms.map((entry) => entry.room)).toEqual(['busy', 'quiet-new', 'quiet-old']);
        expect(rooms[0]).toEqual({
          room: 'busy',
          joinedAt: '2026-03-01T10:01:00.000Z',
          lastSeq: 2,
          readSeq: 1,
          unread: 1,
          lastMessageAt: '2026-03-01T10:02:00.000Z',
        });
        expect(rooms[2]).toEqual({
          room: 'quiet-old',
          joinedAt: '2026-03-01T10:00:00.000Z',
          lastSeq: 0,
          readSeq: 0,
          unread: 0,
          lastMessageAt: null,
        });
        expect((await memberships.rooms('ada', { allowedRooms: ['quiet-*'] })).map((entry) => entry.room)).toEqual([
          'quiet-new',
          'quiet-old',
        ]);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('members (GET /rooms/:name/members)', () => {
    it('pages by user id with a next cursor, with markers and who is online', async () => {
      const users = ['dan', 'ada', 'cyd', 'bob', 'eve'].map((id) => ({ id, name: id.toUpperCase() }));
      for (const user of users) await memberships.enter(user, 'lobby');
      await post('lobby', 3);
      const bobClient = await connected(users[3]!);
      await memberships.read(bobClient, { room: 'lobby', seq: 2 });
      await connected(users[2]!);
      const first = await memberships.members({}, 'lobby', { limit: 2 });
      expect(first.members.map((member) => [member.user, member.readSeq, member.online])).toEqual([
        [{ id: 'ada', name: 'ADA' }, 0, false],
        [{ id: 'bob', name: 'BOB' }, 2, true],
      ]);
      expect(first.members[0]!.joinedAt).toEqual(expect.any(String));
      expect(first.next).toBe('bob');
      const second = await memberships.members({}, 'lobby', { after: 'bob', limit: 2 });
      expect(second.members.map((member) => [member.user.id, member.online])).toEqual([
        ['cyd', true],
        ['dan', false],
      ]);
      expect(second.next).toBe('dan');
      const last = await memberships.members({}, 'lobby', { after: 'dan', limit: 2 });
      expect(last.members.map((member) => member.user.id)).toEqual(['eve']);
      expect(last.next).toBeNull();
      expect(await memberships.members({}, 'lobby', { limit: 5 })).toMatchObject({ next: null });
      expect(await memberships.members({}, 'empty', { limit: 5 })).toEqual({ members: [], next: null });
    });

    it('refuses reserved rooms and rooms outside the rooms claim', async () => {
      expect((await refusal(memberships.members({}, 'user:ada', { limit: 5 }))).code).toBe(ErrorCode.FORBIDDEN);
      expect((await refusal(memberships.members({ allowedRooms: ['team'] }, 'lobby', { limit: 5 }))).code).toBe(ErrorCode.FORBIDDEN);
    });
  });
});
