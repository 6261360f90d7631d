import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { FakeChatClient } from '../../test/support/fake-chat-client.js';
import { within } from '../../test/support/clients.js';
import { loadConfig } from '../config/app-config.js';
import type { User } from '../contract.js';
import { MemoryPresenceStore } from '../presence/memory-presence.store.js';
import type { ExpiryListener } from '../presence/presence-store.js';
import { PresenceService } from '../presence/presence.service.js';
import type { ChatEmitter } from './chat-emitter.js';
import type { ChatSocket } from './chat-socket.js';
import { PresenceTracker } from './presence-tracker.js';

const ada: User = { id: 'ada', name: 'ada' };

/** The announcements the tracker made, in order, as `[method, payload]`. */
type Announced = Array<[string, unknown]>;

function build(env: Record<string, string> = {}) {
  const store = new MemoryPresenceStore();
  const presence = new PresenceService(store, loadConfig(env));
  const announced: Announced = [];
  let onAnnounce = (): void => undefined;
  const record = (method: string, payload: unknown): void => {
    announced.push([method, payload]);
    onAnnounce();
  };
  const emitter = {
    presenceOnline: (_socket: ChatSocket, event: unknown) => record('presenceOnline', event),
    presenceOffline: (event: unknown) => record('presenceOffline', event),
    memberLeft: (event: unknown) => record('memberLeft', event),
  } as unknown as ChatEmitter;
  const tracker = new PresenceTracker(presence, emitter, loadConfig(env));
  tracker.start();
  /** Resolves once `count` announcements have been made. */
  const announcements = (count: number): Promise<void> =>
    within(
      new Promise<void>((resolve) => {
        onAnnounce = () => {
          if (announced.length >= count) resolve();
        };
        onAnnounce();
      }),
      `${count} announcements`,
    );
  return { store, presence, tracker, announced, announcements };
}

function socketOf(userId: string): ChatSocket {
  return new FakeChatClient(userId) as unknown as ChatSocket;
}

describe('PresenceTracker', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('announces online for the first connection only, and member-left and offline for the last departure', async () => {
    const { store, tracker, announced } = build();
    const first = socketOf('ada');
    const second = socketOf('ada');
    await tracker.arrived(first);
    await tracker.arrived(second);
    expect(announced).toEqual([['presenceOnline', { user: ada }]]);
    await store.join(first.id, 'lobby');
    await store.join(second.id, 'lobby');
    await store.join(second.id, 'ops');
    await tracker.departed(first.id);
    expect(announced).toHaveLength(1);
    await tracker.departed(second.id);
    expect(announced.slice(1)).toEqual([
      ['memberLeft', { room: 'lobby', user: ada }],
      ['memberLeft', { room: 'ops', user: ada }],
      ['presenceOffline', { user: ada }],
    ]);
  });

  it('with PRESENCE_BROADCAST=false announces member-left but no presence', async () => {
    const { store, tracker, announced } = build({ PRESENCE_BROADCAST: 'false' });
    const socket = socketOf('ada');
    await tracker.arrived(socket);
    await store.join(socket.id, 'lobby');
    await tracker.departed(socket.id);
    expect(announced).toEqual([['memberLeft', { room: 'lobby', user: ada }]]);
  });

  it('announces a deferred offline when PRESENCE_GRACE_MS has passed without a return', async () => {
    const { tracker, announced, announcements } = build({ PRESENCE_GRACE_MS: '20' });
    const socket = socketOf('ada');
    await tracker.arrived(socket);
    await tracker.departed(socket.id);
    expect(announced).toEqual([['presenceOnline', { user: ada }]]);
    await announcements(2);
    expect(announced).toEqual([
      ['presenceOnline', { user: ada }],
      ['presenceOffline', { user: ada }],
    ]);
  });

  it("announces the departures the presence store reports on its own (a dead node's sockets)", () => {
    const onExpired = jest.spyOn(MemoryPresenceStore.prototype, 'onExpired');
    const { announced } = build();
    const listener = (onExpired.mock.calls[0] as unknown as [ExpiryListener])[0];
    listener([
      { user: ada, lastConnection: true, leftRooms: ['lobby'] },
      { user: { id: 'bob', name: 'bob' }, lastConnection: false, leftRooms: [] },
      { user: { id: 'eve', name: 'eve' }, lastConnection: true, leftRooms: [], pendingOffline: 'token' },
    ]);
    expect(announced).toEqual([
      ['memberLeft', { room: 'lobby', user: ada }],
      ['presenceOffline', { user: ada }],
    ]);
  });

  it('settled() waits for every departure still being recorded', async () => {
    const { presence, tracker } = build();
    const socket = socketOf('ada');
    await tracker.arrived(socket);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const disconnect = presence.disconnect.bind(presence);
    jest.spyOn(presence, 'disconnect').mockImplementationOnce(async (socketId) => {
      await gate;
      return disconnect(socketId);
    });
    void tracker.departed(socket.id);
    let settled = false;
    const waiting = tracker.settled().then(() => {
      settled = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    release();
    await within(waiting, 'settled() after the departure was recorded');
    await expect(presence.connectionCount('ada')).resolves.toBe(0);
  });

  it('never rejects when presence fails: the connection carries on, the failure is logged', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { presence, tracker, announced } = build();
    jest.spyOn(presence, 'connect').mockRejectedValueOnce(new Error('redis down'));
    jest.spyOn(presence, 'disconnect').mockRejectedValueOnce(new Error('redis down'));
    const socket = socketOf('ada');
    await expect(tracker.arrived(socket)).resolves.toBeUndefined();
    await expect(tracker.departed(socket.id)).resolves.toBeUndefined();
    expect(announced).toEqual([]);
    expect(warn.mock.calls.map((call) => call[1])).toEqual(['presence registration failed', 'presence removal failed']);
  });
});
