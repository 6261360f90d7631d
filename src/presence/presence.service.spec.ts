import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { MemoryPresenceStore } from './memory-presence.store.js';
import type { User } from '../contract.js';
import { PresenceService } from './presence.service.js';

describe('PresenceService', () => {
  it('finds connected users and 404s the others', async () => {
    const presence = new MemoryPresenceStore();
    const users = new PresenceService(presence, loadConfig({}));
    await users.connect('s1', { id: 'ada', name: 'ada' });
    await expect(users.get({}, 'ada')).resolves.toEqual({ id: 'ada', name: 'ada', connections: 1, rooms: [] });
    await expect(users.list({}, { limit: 10 })).resolves.toMatchObject({ users: [{ id: 'ada' }], next: null });
    await expect(users.find('bob')).resolves.toBeUndefined();
    const missing = users.get({}, 'bob');
    await expect(missing).rejects.toBeInstanceOf(AppError);
    await missing.catch((error: AppError) => {
      expect(error.code).toBe(ErrorCode.NOT_FOUND);
      expect(error.message).toBe('user bob is not connected');
    });
    await users.disconnect('s1');
    await expect(users.connectionCount('ada')).resolves.toBe(0);
  });

  it('shows a reader limited by a rooms claim only the rooms that claim allows', async () => {
    const presence = new MemoryPresenceStore();
    const users = new PresenceService(presence, loadConfig({}));
    await users.connect('s1', { id: 'ada', name: 'ada' });
    await presence.join('s1', 'team-a');
    await presence.join('s1', 'secret-plans');
    await presence.join('s1', 'proj-x');
    const scoped = { allowedRooms: ['team-a', 'proj-*'] };
    await expect(users.get(scoped, 'ada')).resolves.toMatchObject({ rooms: ['proj-x', 'team-a'] });
    await expect(users.list(scoped, { limit: 10 })).resolves.toEqual({
      users: [{ id: 'ada', name: 'ada', connections: 1, rooms: ['proj-x', 'team-a'] }],
      next: null,
    });
    await expect(users.list({ allowedRooms: [] }, { limit: 10 })).resolves.toEqual({
      users: [{ id: 'ada', name: 'ada', connections: 1, rooms: [] }],
      next: null,
    });
    await expect(users.get({}, 'ada')).resolves.toMatchObject({ rooms: ['proj-x', 'secret-plans', 'team-a'] });
  });
});

describe('PresenceService with PRESENCE_GRACE_MS', () => {
  const GRACE_MS = 5000;
  const ada: User = { id: 'ada', name: 'ada' };

  function build(env: Record<string, string> = {}): { users: PresenceService; presence: MemoryPresenceStore; offline: User[] } {
    const presence = new MemoryPresenceStore();
    const users = new PresenceService(presence, loadConfig({ PRESENCE_GRACE_MS: String(GRACE_MS), ...env }));
    const offline: User[] = [];
    users.onOfflineDue((user) => offline.push(user));
    return { users, presence, offline };
  }

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('announces the offline once, after the grace, when nobody came back', async () => {
    jest.useFakeTimers();
    const { users, offline } = build();
    await users.connect('s1', ada);
    await expect(users.disconnect('s1')).resolves.toMatchObject({ lastConnection: true, pendingOffline: expect.any(String) });
    await jest.advanceTimersByTimeAsync(GRACE_MS - 1);
    expect(offline).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(offline).toEqual([ada]);
    expect(users.pendingOfflineCount).toBe(0);
    await jest.advanceTimersByTimeAsync(10 * GRACE_MS);
    expect(offline).toEqual([ada]);
  });

  it('announces nothing when the user came back within the grace', async () => {
    jest.useFakeTimers();
    const { users, offline } = build();
    await users.connect('s1', ada);
    await users.disconnect('s1');
    await jest.advanceTimersByTimeAsync(GRACE_MS - 1);
    await expect(users.connect('s2', ada)).resolves.toEqual({ firstConnection: true, resumed: true });
    await jest.advanceTimersByTimeAsync(10 * GRACE_MS);
    expect(offline).toEqual([]);
    expect(users.pendingOfflineCount).toBe(0);
  });

  it('keeps one timer per user however often the connection flaps, and one offline at the end', async () => {
    jest.useFakeTimers();
    const { users, offline } = build();
    for (let i = 0; i < 500; i += 1) {
      await users.connect(`s${i}`, ada);
      await users.disconnect(`s${i}`);
      expect(users.pendingOfflineCount).toBe(1);
      await jest.advanceTimersByTimeAsync(GRACE_MS / 10);
    }
    expect(offline).toEqual([]);
    await jest.advanceTimersByTimeAsync(GRACE_MS);
    expect(offline).toEqual([ada]);
    expect(users.pendingOfflineCount).toBe(0);
  });

  it('never fires after shutdown, and starts no timer for a departure seen after it', async () => {
    jest.useFakeTimers();
    const { users, offline } = build();
    await users.connect('s1', ada);
    await users.connect('b1', { id: 'bob', name: 'bob' });
    await users.disconnect('s1');
    users.onApplicationShutdown();
    expect(users.pendingOfflineCount).toBe(0);
    await users.disconnect('b1');
    expect(users.pendingOfflineCount).toBe(0);
    await jest.advanceTimersByTimeAsync(10 * GRACE_MS);
    expect(offline).toEqual([]);
  });

  it('does not keep the process alive with its timers', async () => {
    const { users } = build();
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    for (let i = 0; i < 10; i += 1) {
      await users.connect(`s${i}`, { id: `u${i}`, name: `u${i}` });
      await users.disconnect(`s${i}`);
    }
    expect(users.pendingOfflineCount).toBe(10);
    expect(timers()).toBe(before);
    users.onApplicationShutdown();
  });

  it('defers nothing when presence is not broadcast', async () => {
    const { users } = build({ PRESENCE_BROADCAST: 'false' });
    await users.connect('s1', ada);
    const result = await users.disconnect('s1');
    expect(result).toEqual({ user: ada, lastConnection: true, leftRooms: [] });
    expect(users.pendingOfflineCount).toBe(0);
  });

  it('defers nothing with the default grace of 0 (contract v1 timing)', async () => {
    const presence = new MemoryPresenceStore();
    const users = new PresenceService(presence, loadConfig({}));
    await users.connect('s1', ada);
    await expect(users.disconnect('s1')).resolves.toEqual({ user: ada, lastConnection: true, leftRooms: [] });
    expect(users.pendingOfflineCount).toBe(0);
  });

  it('retries a settle the store could not answer, and announces once it can', async () => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { users, presence, offline } = build();
    const settle = jest.spyOn(presence, 'settleOffline').mockRejectedValueOnce(new Error('redis down'));
    await users.connect('s1', ada);
    await users.disconnect('s1');
    await jest.advanceTimersByTimeAsync(GRACE_MS);
    expect(offline).toEqual([]);
    expect(users.pendingOfflineCount).toBe(1);
    await jest.advanceTimersByTimeAsync(GRACE_MS);
    expect(settle).toHaveBeenCalledTimes(2);
    expect(offline).toEqual([ada]);
    expect(users.pendingOfflineCount).toBe(0);
  });
});
