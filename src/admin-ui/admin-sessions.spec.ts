import { describe, expect, it } from '@jest/globals';
import { ADMIN_SESSION_TTL_MS, AdminSessions, MAX_ADMIN_SESSIONS } from './admin-sessions.js';

describe('AdminSessions', () => {
  it('knows a saved session until it expires', async () => {
    let now = 0;
    const sessions = new AdminSessions(() => now);
    sessions.saveSession('abc');
    await expect(sessions.doesSessionExist('abc')).resolves.toBe(true);
    await expect(sessions.doesSessionExist('abd')).resolves.toBe(false);
    now = ADMIN_SESSION_TTL_MS - 1;
    expect(sessions.has('abc')).toBe(true);
    now = ADMIN_SESSION_TTL_MS;
    expect(sessions.has('abc')).toBe(false);
    expect(sessions.size).toBe(0);
  });

  it(`keeps at most ${MAX_ADMIN_SESSIONS} sessions, forgetting the oldest`, () => {
    const sessions = new AdminSessions(() => 0);
    for (let i = 0; i < MAX_ADMIN_SESSIONS + 10; i++) sessions.saveSession(`s${i}`);
    expect(sessions.size).toBe(MAX_ADMIN_SESSIONS);
    expect(sessions.has('s0')).toBe(false);
    expect(sessions.has(`s${MAX_ADMIN_SESSIONS + 9}`)).toBe(true);
  });
});
