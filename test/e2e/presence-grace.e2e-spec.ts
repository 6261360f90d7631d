import { afterEach, describe, expect, it } from '@jest/globals';
import { PresenceService } from '../../src/presence/presence.service.js';
import type { TestClient } from '../support/clients.js';
import { e2eApp, eventually } from '../support/suite.js';

/**
 * PRESENCE_GRACE_MS: a user whose connection flaps costs no presence broadcast per flap. Waits
 * are ordered, not timed: a sentinel user leaves after the user under test, so once the
 * sentinel's offline arrives, the earlier grace has run out and anything it sent has arrived too.
 */
const GRACE_MS = 1000;

describe('presence with PRESENCE_GRACE_MS (e2e)', () => {
  const server = e2eApp({ PRESENCE_GRACE_MS: String(GRACE_MS) });
  const opened: TestClient[] = [];

  async function connect(id: string): Promise<TestClient> {
    const client = await server.connect(id);
    opened.push(client);
    return client;
  }

  // Every grace of a test runs out before the next starts, so no offline leaks into it.
  afterEach(async () => {
    for (const client of opened.splice(0)) client.close();
    await eventually(async () => (await server.http().get('/users')).body.users.length === 0, 'every departure to be recorded');
    const users = server.app.get(PresenceService);
    await eventually(() => users.pendingOfflineCount === 0, 'every pending offline to be settled', GRACE_MS + 5000);
  });

  /** Resolves once the server has recorded that `id` has no connection left. */
  async function departed(id: string): Promise<void> {
    await eventually(async () => (await server.http().get(`/users/${id}`)).status === 404, `${id} to have no connection`);
  }

  function presence(observer: TestClient): string[] {
    return observer.received
      .filter(({ event }) => event.startsWith('presence:'))
      .map(({ event, payload }) => `${event.slice('presence:'.length)} ${(payload as { user: { id: string } }).user.id}`);
  }

  /** The sentinel leaves now; its offline reaches the observer after any due before it. */
  async function sentinelLeaves(observer: TestClient, sentinel: TestClient): Promise<void> {
    const seen = observer.events('presence:offline').length;
    sentinel.close();
    await observer.waitFor('presence:offline', seen + 1, GRACE_MS + 5000);
    await observer.barrier();
  }

  it('sends neither offline nor online for a reconnect within the grace', async () => {
    const observer = await connect('watcher');
    const sentinel = await connect('sentinel');
    const ada = await connect('ada');
    await observer.waitFor('presence:online', 2);
    ada.close();
    await departed('ada');
    await observer.barrier();
    expect(presence(observer)).toEqual(['online sentinel', 'online ada']);
    const back = await connect('ada');
    await sentinelLeaves(observer, sentinel);
    expect(presence(observer)).toEqual(['online sentinel', 'online ada', 'offline sentinel']);
    expect((await server.http().get('/users/ada').expect(200)).body).toMatchObject({ connections: 1 });
    back.close();
  });

  it('sends exactly one offline, after the grace, when the user does not come back', async () => {
    const observer = await connect('watcher');
    const ada = await connect('ada');
    const sentinel = await connect('sentinel');
    await observer.waitFor('presence:online', 2);
    ada.close();
    await departed('ada');
    await observer.barrier();
    expect(observer.events('presence:offline')).toEqual([]);
    await expect(observer.waitFor('presence:offline', 1, GRACE_MS + 5000)).resolves.toEqual({ user: { id: 'ada', name: 'ada' } });
    await sentinelLeaves(observer, sentinel);
    expect(presence(observer)).toEqual(['online ada', 'online sentinel', 'offline ada', 'offline sentinel']);
  });

  it('turns a flapping connection into at most one online and one offline', async () => {
    const observer = await connect('watcher');
    const sentinel = await connect('sentinel');
    let ada = await connect('ada');
    for (let flap = 0; flap < 20; flap += 1) {
      ada.close();
      await departed('ada');
      ada = await connect('ada');
    }
    ada.close();
    await departed('ada');
    await observer.waitFor('presence:offline', 1, GRACE_MS + 5000);
    await sentinelLeaves(observer, sentinel);
    expect(presence(observer)).toEqual(['online sentinel', 'online ada', 'offline ada', 'offline sentinel']);
  });

  it('still sends member-left at once: the grace covers presence only', async () => {
    const observer = await connect('watcher');
    await observer.ok('room:join', { room: 'graced' });
    const ada = await connect('ada');
    await ada.ok('room:join', { room: 'graced' });
    await observer.waitFor('room:member-joined');
    ada.close();
    await expect(observer.waitFor('room:member-left')).resolves.toEqual({ room: 'graced', user: { id: 'ada', name: 'ada' } });
    await observer.barrier();
    expect(observer.events('presence:offline')).toEqual([]);
  });
});
