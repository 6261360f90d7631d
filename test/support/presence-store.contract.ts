import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { User } from '../../src/contract.js';
import type { PresenceStore } from '../../src/presence/presence-store.js';

const ada: User = { id: 'ada', name: 'ada' };
const bob: User = { id: 'bob', name: 'bob' };
const GRACE_MS = 60_000;
const first = { firstConnection: true, resumed: false };
const another = { firstConnection: false, resumed: false };

export interface PresenceStoreFixture {
  store: PresenceStore;
  dispose(): Promise<void>;
}

/** The behaviour every PresenceStore implementation must show; run against memory and Redis. */
export function describePresenceStoreContract(name: string, create: () => Promise<PresenceStoreFixture>): void {
  describe(`PresenceStore contract: ${name}`, () => {
    let fixture: PresenceStoreFixture;
    let store: PresenceStore;

    beforeEach(async () => {
      fixture = await create();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.dispose();
    });

    it('reports the first and the last connection of a user', async () => {
      expect(await store.connect('s1', ada)).toEqual(first);
      expect(await store.connect('s2', ada)).toEqual(another);
      expect(await store.connectionCount('ada')).toBe(2);
      expect(await store.disconnect('s1')).toEqual({ user: ada, lastConnection: false, leftRooms: [] });
      expect(await store.disconnect('s2')).toEqual({ user: ada, lastConnection: true, leftRooms: [] });
      expect(await store.connectionCount('ada')).toBe(0);
      expect(await store.user('ada')).toBeUndefined();
    });

    it('is idempotent per socket', async () => {
      await store.connect('s1', ada);
      expect(await store.connect('s1', ada)).toEqual(another);
      expect(await store.connectionCount('ada')).toBe(1);
      expect((await store.join('s1', 'lobby')).firstForUser).toBe(true);
      expect((await store.join('s1', 'lobby')).firstForUser).toBe(false);
      expect((await store.users({ limit: 10 })).users[0]).toEqual({ id: 'ada', name: 'ada', connections: 1, rooms: ['lobby'] });
      expect(await store.disconnect('s1')).toMatchObject({ lastConnection: true, leftRooms: ['lobby'] });
      expect(await store.disconnect('s1')).toBeUndefined();
      expect(await store.leave('s1', 'lobby')).toEqual({ lastForUser: false });
    });

    it('counts room membership per user, not per socket', async () => {
      await store.connect('a1', ada);
      await store.connect('a2', ada);
      await store.connect('b1', bob);
      expect(await store.join('a1', 'lobby')).toEqual({ firstForUser: true });
      expect(await store.join('a2', 'lobby')).toEqual({ firstForUser: false });
      expect(await store.join('b1', 'lobby')).toEqual({ firstForUser: true });
      expect(await store.rooms()).toEqual([{ name: 'lobby', memberCount: 2 }]);
      expect(await store.roomMembers('lobby')).toEqual([ada, bob]);
      expect(await store.leave('a1', 'lobby')).toEqual({ lastForUser: false });
      expect(await store.roomMembers('lobby')).toEqual([ada, bob]);
      expect(await store.disconnect('a2')).toEqual({ user: ada, lastConnection: false, leftRooms: ['lobby'] });
      expect(await store.roomMembers('lobby')).toEqual([bob]);
      expect(await store.leave('b1', 'lobby')).toEqual({ lastForUser: true });
      expect(await store.rooms()).toEqual([]);
    });

    it('does not report a room left by a tab while another tab is still in it', async () => {
      await store.connect('a1', ada);
      await store.connect('a2', ada);
      await store.join('a1', 'lobby');
      await store.join('a2', 'lobby');
      expect(await store.disconnect('a1')).toEqual({ user: ada, lastConnection: false, leftRooms: [] });
      expect(await store.user('ada')).toEqual({ id: 'ada', name: 'ada', connections: 1, rooms: ['lobby'] });
    });

    it('ignores joins of an unknown socket', async () => {
      expect(await store.join('ghost', 'lobby')).toEqual({ firstForUser: false });
      expect(await store.rooms()).toEqual([]);
    });

    it('takes every socket of a user out of a room at once, and says whether the user was in it', async () => {
      await store.connect('a1', ada);
      await store.connect('a2', ada);
      await store.connect('a3', ada);
      await store.connect('b1', bob);
      await store.join('a1', 'lobby');
      await store.join('a2', 'lobby');
      await store.join('a2', 'other');
      await store.join('b1', 'lobby');
      expect(await store.leaveRoomEverywhere('ada', 'lobby')).toEqual({ wasIn: true });
      expect(await store.roomMembers('lobby')).toEqual([bob]);
      expect(await store.user('ada')).toEqual({ id: 'ada', name: 'ada', connections: 3, rooms: ['other'] });
      expect(await store.leaveRoomEverywhere('ada', 'lobby')).toEqual({ wasIn: false });
      expect(await store.leaveRoomEverywhere('carol', 'lobby')).toEqual({ wasIn: false });
      // The sockets left for good: leaving or disconnecting later reports nothing more for the room.
      expect(await store.leave('a1', 'lobby')).toEqual({ lastForUser: false });
      expect(await store.disconnect('a2')).toEqual({ user: ada, lastConnection: false, leftRooms: ['other'] });
      expect(await store.join('a3', 'lobby')).toEqual({ firstForUser: true });
      expect(await store.rooms()).toEqual([{ name: 'lobby', memberCount: 2 }]);
    });

    it('drops a room that only the forgetting user was in', async () => {
      await store.connect('a1', ada);
      await store.join('a1', 'lobby');
      expect(await store.leaveRoomEverywhere('ada', 'lobby')).toEqual({ wasIn: true });
      expect(await store.rooms()).toEqual([]);
      expect(await store.roomMembers('lobby')).toEqual([]);
    });

    it('tells for a batch of ids, in order, who is connected', async () => {
      expect(await store.online([])).toEqual([]);
      await store.connect('a1', ada);
      await store.connect('a2', ada);
      expect(await store.online(['bob', 'ada', 'carol', 'ada'])).toEqual([false, true, false, true]);
      await store.disconnect('a1');
      expect(await store.online(['ada'])).toEqual([true]);
      await store.disconnect('a2');
      expect(await store.online(['ada'])).toEqual([false]);
    });

    it('lists users and rooms sorted', async () => {
      await store.connect('b1', bob);
      await store.connect('a1', ada);
      await store.join('b1', 'zz');
      await store.join('b1', 'aa');
      await store.join('a1', 'mm');
      expect(await store.users({ limit: 10 })).toEqual({
        users: [
          { id: 'ada', name: 'ada', connections: 1, rooms: ['mm'] },
          { id: 'bob', name: 'bob', connections: 1, rooms: ['aa', 'zz'] },
        ],
        next: null,
      });
      expect((await store.rooms()).map((r) => r.name)).toEqual(['aa', 'mm', 'zz']);
    });

    it('pages users by id: each exactly once, next is the last id of a full page, null at the end', async () => {
      const ids = Array.from({ length: 25 }, (_, i) => `u${String(i).padStart(2, '0')}`).reverse();
      for (const id of ids) await store.connect(`s-${id}`, { id, name: id.toUpperCase() });
      await store.connect('s-u03-tab', { id: 'u03', name: 'U03' });
      const seen: string[] = [];
      const nexts: Array<string | null> = [];
      let after: string | undefined;
      for (let page = 0; page < 10; page += 1) {
        const { users, next } = await store.users({ after, limit: 10 });
        seen.push(...users.map((user) => user.id));
        nexts.push(next);
        if (next === null) break;
        expect(next).toBe(users[users.length - 1]!.id);
        after = next;
      }
      expect(seen).toEqual([...ids].sort());
      expect(nexts).toEqual(['u09', 'u19', null]);
      expect((await store.users({ limit: 25 })).next).toBeNull();
      expect((await store.users({ limit: 24 })).next).toBe('u23');
      expect(await store.users({ after: 'u24', limit: 10 })).toEqual({ users: [], next: null });
      // A cursor need not be a connected user: the page starts after where it would sort.
      expect((await store.users({ after: 'u035', limit: 2 })).users.map((user) => user.id)).toEqual(['u04', 'u05']);
      expect((await store.users({ after: 'u02', limit: 1 })).users).toEqual([{ id: 'u03', name: 'U03', connections: 2, rooms: [] }]);
    });

    it('keeps the page index in step with connections', async () => {
      await store.connect('a1', ada);
      await store.connect('a2', ada);
      await store.connect('b1', bob);
      await store.disconnect('a1');
      expect((await store.users({ limit: 10 })).users.map((user) => user.id)).toEqual(['ada', 'bob']);
      await store.disconnect('a2');
      expect(await store.users({ limit: 10 })).toEqual({ users: [{ id: 'bob', name: 'bob', connections: 1, rooms: [] }], next: null });
      await store.disconnect('b1', GRACE_MS);
      expect(await store.users({ limit: 10 })).toEqual({ users: [], next: null });
      await store.connect('b2', bob);
      expect((await store.users({ limit: 10 })).users.map((user) => user.id)).toEqual(['bob']);
    });

    describe('with an offline grace', () => {
      it('defers the offline of a last connection only, and settles it once when nobody came back', async () => {
        await store.connect('a1', ada);
        await store.connect('a2', ada);
        expect(await store.disconnect('a1', GRACE_MS)).toEqual({ user: ada, lastConnection: false, leftRooms: [] });
        const last = await store.disconnect('a2', GRACE_MS);
        expect(last).toMatchObject({ user: ada, lastConnection: true, leftRooms: [] });
        expect(last?.pendingOffline).toMatch(/^[0-9a-f]{16}$/);
        expect(await store.user('ada')).toBeUndefined();
        expect(await store.connectedName('ada')).toBeUndefined();
        expect(await store.settleOffline('ada', 'ffffffffffffffff')).toBe(false);
        expect(await store.settleOffline('ada', last!.pendingOffline!)).toBe(true);
        expect(await store.settleOffline('ada', last!.pendingOffline!)).toBe(false);
        // Settled: the next connection is an ordinary first one.
        expect(await store.connect('a3', ada)).toEqual(first);
      });

      it('lets a reconnect within the grace cancel the offline: resumed, and the settle is not due', async () => {
        await store.connect('a1', ada);
        const { pendingOffline } = (await store.disconnect('a1', GRACE_MS))!;
        expect(await store.connect('a2', ada)).toEqual({ firstConnection: true, resumed: true });
        expect(await store.connect('a3', ada)).toEqual(another);
        expect(await store.settleOffline('ada', pendingOffline!)).toBe(false);
        expect(await store.user('ada')).toMatchObject({ connections: 2 });
      });

      it('gives a second departure within the grace its own marker; only that one settles', async () => {
        await store.connect('a1', ada);
        const earlier = (await store.disconnect('a1', GRACE_MS))!.pendingOffline!;
        expect(await store.connect('a2', ada)).toEqual({ firstConnection: true, resumed: true });
        const later = (await store.disconnect('a2', GRACE_MS))!.pendingOffline!;
        expect(later).not.toBe(earlier);
        expect(await store.settleOffline('ada', earlier)).toBe(false);
        expect(await store.settleOffline('ada', later)).toBe(true);
      });

      it('keeps one pending offline per user and none for another user', async () => {
        await store.connect('a1', ada);
        await store.connect('b1', bob);
        const adaToken = (await store.disconnect('a1', GRACE_MS))!.pendingOffline!;
        expect(await store.settleOffline('bob', adaToken)).toBe(false);
        expect(await store.connect('b2', bob)).toEqual(another);
        expect(await store.settleOffline('ada', adaToken)).toBe(true);
      });

      it('without a grace sends the offline at once and leaves nothing to cancel', async () => {
        await store.connect('a1', ada);
        expect(await store.disconnect('a1')).toEqual({ user: ada, lastConnection: true, leftRooms: [] });
        expect(await store.connect('a2', ada)).toEqual(first);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('knows the display name of connected users only', async () => {
      await store.connect('a1', { id: 'ada', name: 'Ada L.' });
      expect(await store.connectedName('ada')).toBe('Ada L.');
      expect(await store.connectedName('bob')).toBeUndefined();
      await store.disconnect('a1');
      expect(await store.connectedName('ada')).toBeUndefined();
    });
  });
}
