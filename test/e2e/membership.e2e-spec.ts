import { describe, expect, it } from '@jest/globals';
import type { TestClient } from '../support/clients.js';
import { type E2eApp, e2eApp, eventually } from '../support/suite.js';

const ada = { id: 'ada', name: 'ada' };

/** Waits until the server has processed a disconnect: the user is down to `count` connections. */
async function connectionsOf(server: E2eApp, userId: string, count: number): Promise<void> {
  await eventually(async () => {
    const res = await server.http().get(`/users/${userId}`);
    return count === 0 ? res.status === 404 : res.status === 200 && res.body.connections === count;
  }, `${userId} has ${count} connection(s)`);
}

/** A round trip on each client: every event the server emitted before is now recorded. */
async function settle(...clients: TestClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.barrier()));
}

describe('room membership per user, not per socket (e2e)', () => {
  const server = e2eApp();

  it('announces a join once per user and a leave only when the last tab leaves', async () => {
    const bob = await server.connect('bob');
    await bob.ok('room:join', { room: 'r1' });
    const tab1 = await server.connect('ada');
    const tab2 = await server.connect('ada');

    await tab1.ok('room:join', { room: 'r1' });
    await expect(bob.waitFor('room:member-joined')).resolves.toEqual({ room: 'r1', user: ada });
    await tab2.ok('room:join', { room: 'r1' });
    await tab1.ok('room:join', { room: 'r1' });
    await settle(bob, tab1, tab2);
    expect(bob.events('room:member-joined')).toHaveLength(1);

    await tab1.ok('room:leave', { room: 'r1' });
    await settle(bob);
    expect(bob.events('room:member-left')).toEqual([]);

    await tab2.ok('room:leave', { room: 'r1' });
    await expect(bob.waitFor('room:member-left')).resolves.toEqual({ room: 'r1', user: ada });
    await settle(bob, tab1, tab2);
    expect(bob.events('room:member-left')).toHaveLength(1);
    // The user never hears about its own membership.
    for (const tab of [tab1, tab2]) {
      expect(tab.events('room:member-joined')).toEqual([]);
      expect(tab.events('room:member-left')).toEqual([]);
    }
  });

  it('sends member-left when the last socket in the room disconnects, not before', async () => {
    const bob = await server.connect('bob');
    await bob.ok('room:join', { room: 'r2' });
    const inRoom = await server.connect('ada');
    const notInRoom = await server.connect('ada');
    await inRoom.ok('room:join', { room: 'r2' });
    await bob.waitFor('room:member-joined');

    notInRoom.close();
    await connectionsOf(server, 'ada', 1);
    await settle(bob);
    expect(bob.events('room:member-left')).toEqual([]);

    inRoom.close();
    await expect(bob.waitFor('room:member-left')).resolves.toEqual({ room: 'r2', user: ada });
    await settle(bob);
    expect(bob.events('room:member-left')).toHaveLength(1);
  });

  it('does not count a second tab that stays in the room when the first disconnects', async () => {
    const bob = await server.connect('bob');
    await bob.ok('room:join', { room: 'r3' });
    const tab1 = await server.connect('ada');
    const tab2 = await server.connect('ada');
    await tab1.ok('room:join', { room: 'r3' });
    await tab2.ok('room:join', { room: 'r3' });
    tab1.close();
    await connectionsOf(server, 'ada', 1);
    const res = await server.http().get('/rooms/r3').expect(200);
    expect(res.body.members).toEqual([ada, { id: 'bob', name: 'bob' }]);
    await settle(bob);
    expect(bob.events('room:member-left')).toEqual([]);
    expect(bob.events('room:member-joined')).toHaveLength(1);
  });

  it('only tells the members of that room', async () => {
    const bob = await server.connect('bob');
    const carol = await server.connect('carol');
    await bob.ok('room:join', { room: 'r4' });
    await carol.ok('room:join', { room: 'elsewhere' });
    const tab = await server.connect('ada');
    await tab.ok('room:join', { room: 'r4' });
    await bob.waitFor('room:member-joined');
    await tab.ok('room:leave', { room: 'r4' });
    await bob.waitFor('room:member-left');
    await settle(carol);
    expect(carol.events('room:member-joined')).toEqual([]);
    expect(carol.events('room:member-left')).toEqual([]);
  });
});

describe('presence per user, not per socket (e2e)', () => {
  const server = e2eApp();

  it('goes online with the first connection and offline with the last', async () => {
    const bob = await server.connect('bob');
    const tab1 = await server.connect('ada');
    await expect(bob.waitFor('presence:online')).resolves.toEqual({ user: ada });

    const tab2 = await server.connect('ada');
    await settle(bob, tab1, tab2);
    expect(bob.events('presence:online')).toHaveLength(1);

    tab1.close();
    await connectionsOf(server, 'ada', 1);
    await settle(bob);
    expect(bob.events('presence:offline')).toEqual([]);

    tab2.close();
    await expect(bob.waitFor('presence:offline')).resolves.toEqual({ user: ada });
    await settle(bob);
    expect(bob.events('presence:offline')).toHaveLength(1);
    expect(bob.events('presence:online')).toHaveLength(1);
  });

  it("tells every other connected socket, and not the user's own first socket", async () => {
    const bobTab1 = await server.connect('bob');
    const bobTab2 = await server.connect('bob');
    const carol = await server.connect('carol');
    await carol.ok('room:join', { room: 'p2' });
    const tab = await server.connect('ada');
    // bob's tabs saw carol come online first; everyone then sees ada.
    for (const bobTab of [bobTab1, bobTab2]) await expect(bobTab.waitFor('presence:online', 2)).resolves.toEqual({ user: ada });
    await expect(carol.waitFor('presence:online', 1)).resolves.toEqual({ user: ada });
    await settle(tab, bobTab1, bobTab2, carol);
    expect(tab.events('presence:online')).toEqual([]);
    for (const bobTab of [bobTab1, bobTab2]) {
      expect(bobTab.events('presence:online')).toEqual([{ user: { id: 'carol', name: 'carol' } }, { user: ada }]);
    }
    expect(carol.events('presence:online')).toEqual([{ user: ada }]);
  });
});

describe('with PRESENCE_BROADCAST=false (e2e)', () => {
  const server = e2eApp({ PRESENCE_BROADCAST: 'false' });

  it('sends no presence events but still sends membership events', async () => {
    const bob = await server.connect('bob');
    await bob.ok('room:join', { room: 'quiet' });
    const tab = await server.connect('ada');
    await tab.ok('room:join', { room: 'quiet' });
    await expect(bob.waitFor('room:member-joined')).resolves.toEqual({ room: 'quiet', user: ada });
    tab.close();
    await expect(bob.waitFor('room:member-left')).resolves.toEqual({ room: 'quiet', user: ada });
    await settle(bob);
    expect(bob.events('presence:online')).toEqual([]);
    expect(bob.events('presence:offline')).toEqual([]);
  });
});
