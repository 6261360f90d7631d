import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { User } from '../../src/contract.js';
import type { PresenceStore } from '../../src/users/presence-store.js';

const ada: User = { id: 'ada', name: 'ada' };
const bob: User = { id: 'bob', name: 'bob' };

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
      expect(await store.connect('s1', ada)).toEqual({ firstConnection: true });
      expect(await store.connect('s2', ada)).toEqual({ firstConnection: false });
      expect(await store.connectionCount('ada')).toBe(2);
      expect(await store.disconnect('s1')).toEqual({ user: ada, lastConnection: false, leftRooms: [] });
      expect(await store.disconnect('s2')).toEqual({ user: ada, lastConnection: true, leftRooms: [] });
      expect(await store.connectionCount('ada')).toBe(0);
      expect(await store.user('ada')).toBeUndefined();
    });

    it('is idempotent per socket', async () => {
      await store.connect('s1', ada);
      expect(await store.connect('s1', ada)).toEqual({ firstConnection: false });
      expect(await store.connectionCount('ada')).toBe(1);
      expect((await store.join('s1', 'lobby')).firstForUser).toBe(true);
      expect((await store.join('s1', 'lobby')).firstForUser).toBe(false);
      expect((await store.users())[0]).toEqual({ id: 'ada', name: 'ada', connections: 1, rooms: ['lobby'] });
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

    it('lists users and rooms sorted', async () => {
      await store.connect('b1', bob);
      await store.connect('a1', ada);
      await store.join('b1', 'zz');
      await store.join('b1', 'aa');
      await store.join('a1', 'mm');
      expect(await store.users()).toEqual([
        { id: 'ada', name: 'ada', connections: 1, rooms: ['mm'] },
        { id: 'bob', name: 'bob', connections: 1, rooms: ['aa', 'zz'] },
      ]);
      expect((await store.rooms()).map((r) => r.name)).toEqual(['aa', 'mm', 'zz']);
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
