import { describe, expect, it } from '@jest/globals';
import type { AnnounceResult, ConnectErrorData } from '../../src/contract.js';
import { ErrorCode, failure } from '../support/acks.js';
import { ADMIN_KEY, e2eApp } from '../support/suite.js';

const INVALID_USERNAME = 'auth.username must be 1-32 characters of letters, digits, _ . -';

describe('identity in open mode (e2e)', () => {
  const server = e2eApp({ MAX_CONNECTIONS_PER_USER: '3' });

  it('emits session { user, socketId } to the new socket', async () => {
    const ada = await server.connect('ada.l-1_x');
    expect(ada.session).toEqual({ user: { id: 'ada.l-1_x', name: 'ada.l-1_x' }, socketId: ada.socket.id });
    expect(ada.events('session')).toHaveLength(1);
  });

  it.each(['websocket', 'polling'] as const)('refuses a missing username over %s with UNAUTHORIZED', async (transport) => {
    const error = await server.refuse({ auth: {}, transports: [transport] });
    expect(error.message).toBe('UNAUTHORIZED');
    expect(error.data).toEqual({ code: ErrorCode.UNAUTHORIZED, message: 'auth.username is required' });
  });

  it('refuses a handshake without any auth object', async () => {
    const error = await server.refuse({});
    expect(error.message).toBe('UNAUTHORIZED');
    expect((error.data as ConnectErrorData).code).toBe(ErrorCode.UNAUTHORIZED);
  });

  it.each([
    ['empty', ''],
    ['33 characters', 'x'.repeat(33)],
    ['a space', 'ada lovelace'],
    ['a colon', 'user:ada'],
    ['non-ASCII', 'zoë'],
    ['a number', 7],
    ['an object', { id: 'ada' }],
    ['null', null],
  ])('refuses a username with %s', async (_label, username) => {
    const error = await server.refuse({ auth: { username } });
    expect(error.message).toBe('UNAUTHORIZED');
    expect(error.data).toEqual({ code: ErrorCode.UNAUTHORIZED, message: INVALID_USERNAME });
  });

  it.each(['system', 'System', 'SYSTEM'])('refuses the reserved username %s, the sender of admin messages', async (username) => {
    const error = await server.refuse({ auth: { username } });
    expect(error.message).toBe('UNAUTHORIZED');
    expect(error.data).toEqual({ code: ErrorCode.UNAUTHORIZED, message: `auth.username ${username} is reserved` });
    const users = (await server.http().get('/users').expect(200)).body as { users: Array<{ id: string }> };
    expect(users.users.map((u) => u.id.toLowerCase())).not.toContain('system');
  });

  it('accepts exactly 32 characters', async () => {
    const name = 'n'.repeat(32);
    expect((await server.connect(name)).session?.user).toEqual({ id: name, name });
  });

  it('treats connections with the same username as one user', async () => {
    const tab1 = await server.connect('ada');
    const tab2 = await server.connect('ada');
    expect(tab1.session?.user).toEqual(tab2.session?.user);
    expect(tab1.session?.socketId).not.toBe(tab2.session?.socketId);
    const res = await server.http().get('/users').expect(200);
    expect(res.body).toEqual({ users: [{ id: 'ada', name: 'ada', connections: 2, rooms: [] }], next: null });
  });

  it('refuses a connection beyond MAX_CONNECTIONS_PER_USER with FORBIDDEN', async () => {
    for (let i = 0; i < 3; i += 1) await server.connect('busy');
    const error = await server.refuse({ auth: { username: 'busy' } });
    expect(error.message).toBe('FORBIDDEN');
    expect(error.data).toEqual({ code: ErrorCode.FORBIDDEN, message: 'a user may hold at most 3 connections' });
  });

  it('makes a connection admin only when auth.adminKey equals ADMIN_API_KEY', async () => {
    const admin = await server.connect('root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
    const sameUserNoKey = await server.connect('root');
    const wrongKey = await server.connect('mallory', { auth: { username: 'mallory', adminKey: `${ADMIN_KEY}x` } });
    const { announcement } = await admin.ok<AnnounceResult>('announce', { text: 'hello' });
    expect(announcement.from).toEqual({ id: 'root', name: 'root' });
    failure(await sameUserNoKey.request('announce', { text: 'hello' }), ErrorCode.FORBIDDEN);
    failure(await wrongKey.request('announce', { text: 'hello' }), ErrorCode.FORBIDDEN);
  });

  it('ignores identity fields other than username in the handshake', async () => {
    const client = await server.connect('eve', { auth: { username: 'eve', id: 'root', name: 'Root', isAdmin: true } });
    expect(client.session?.user).toEqual({ id: 'eve', name: 'eve' });
    failure(await client.request('announce', { text: 'hi' }), ErrorCode.FORBIDDEN);
  });
});
