import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { MemoryPresenceStore } from './memory-presence.store.js';
import { UsersService } from './users.service.js';

describe('UsersService', () => {
  it('finds connected users and 404s the others', async () => {
    const presence = new MemoryPresenceStore();
    const users = new UsersService(presence, loadConfig({}));
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

  it("shows a reader limited by a rooms claim only the rooms that claim allows", async () => {
    const presence = new MemoryPresenceStore();
    const users = new UsersService(presence, loadConfig({}));
    await users.connect('s1', { id: 'ada', name: 'ada' });
    await presence.join('s1', 'team-a');
    await presence.join('s1', 'secret-plans');
    await presence.join('s1', 'proj-x');
    const scoped = { allowedRooms: ['team-a', 'proj-*'] };
    await expect(users.get(scoped, 'ada')).resolves.toMatchObject({ rooms: ['proj-x', 'team-a'] });
    await expect(users.list(scoped, { limit: 10 })).resolves.toEqual({ users: [{ id: 'ada', name: 'ada', connections: 1, rooms: ['proj-x', 'team-a'] }], next: null });
    await expect(users.list({ allowedRooms: [] }, { limit: 10 })).resolves.toEqual({ users: [{ id: 'ada', name: 'ada', connections: 1, rooms: [] }], next: null });
    await expect(users.get({}, 'ada')).resolves.toMatchObject({ rooms: ['proj-x', 'secret-plans', 'team-a'] });
  });

  it('turns a presence store failure into UNAVAILABLE', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const presence = new MemoryPresenceStore();
    jest.spyOn(presence, 'users').mockRejectedValue(new Error('redis down'));
    const users = new UsersService(presence, loadConfig({}));
    await expect(users.list({}, { limit: 10 })).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
  });
});
