import { describe, expect, it } from '@jest/globals';
import type { Announcement, Message, MessagePage } from '../../src/contract.js';
import { ErrorCode } from '../support/acks.js';
import { within } from '../support/clients.js';
import { ADMIN_KEY, e2eApp, eventually } from '../support/suite.js';

const SYSTEM = { id: 'system', name: 'system' };

describe('admin REST (e2e)', () => {
  const server = e2eApp({ MAX_MESSAGE_LENGTH: '40' });

  describe('authentication', () => {
    const routes: Array<[string, string, object | undefined]> = [
      ['post', '/rooms/lobby/messages', { text: 'hi' }],
      ['post', '/announcements', { text: 'hi' }],
      ['delete', '/users/ada/connections', undefined],
    ];

    it.each(routes)('%s %s needs X-Api-Key: 401 UNAUTHORIZED when missing or wrong', async (method, path, body) => {
      for (const key of [undefined, '', 'wrong', `${ADMIN_KEY}x`, ADMIN_KEY.slice(1), ADMIN_KEY.toUpperCase()]) {
        let req = method === 'post' ? server.http().post(path) : server.http().delete(path);
        if (key !== undefined) req = req.set('X-Api-Key', key);
        const res = await req.send(body);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ statusCode: 401, code: ErrorCode.UNAUTHORIZED, message: 'a valid X-Api-Key header is required' });
      }
    });

    it('checks the key before the body', async () => {
      const res = await server.http().post('/announcements').send({ nonsense: true }).expect(401);
      expect(res.body.code).toBe(ErrorCode.UNAUTHORIZED);
    });
  });

  describe('POST /rooms/:name/messages', () => {
    it('answers 201 { message } from the system user and delivers message:new to every socket in the room', async () => {
      const adaTab1 = await server.connect('ada');
      const adaTab2 = await server.connect('ada');
      const bob = await server.connect('bob');
      const outsider = await server.connect('carol');
      for (const c of [adaTab1, adaTab2, bob]) await c.ok('room:join', { room: 'ops' });
      await adaTab1.ok('message:send', { room: 'ops', text: 'first' });
      const res = await server.http().post('/rooms/ops/messages').set('X-Api-Key', ADMIN_KEY).send({ text: 'maintenance' }).expect(201);
      const message = res.body.message as Message;
      expect(res.body).toEqual({
        message: { id: expect.any(String), room: 'ops', seq: 2, from: SYSTEM, text: 'maintenance', sentAt: expect.any(String), rev: 2 },
      });
      for (const c of [adaTab1, adaTab2, bob]) {
        await expect(c.waitFor('message:new', c === adaTab1 ? 1 : 2)).resolves.toEqual(message);
      }
      await Promise.all([adaTab1, adaTab2, bob, outsider].map((c) => c.barrier()));
      expect(adaTab1.events('message:new')).toEqual([message]);
      expect(outsider.events('message:new')).toEqual([]);
      expect((await bob.ok<MessagePage<Message>>('room:history', { room: 'ops' })).messages.at(-1)).toEqual(message);
    });

    it('stores a message in a room without members, which then exists for lookups', async () => {
      await server.http().get('/rooms/archive-1').expect(404);
      await server.http().post('/rooms/archive-1/messages').set('X-Api-Key', ADMIN_KEY).send({ text: 'note' }).expect(201);
      const res = await server.http().get('/rooms/archive-1').expect(200);
      expect(res.body).toEqual({ name: 'archive-1', memberCount: 0, members: [], lastSeq: 1 });
    });

    it('dedups by clientMsgId: the original message, stored and delivered once', async () => {
      const bob = await server.connect('bob');
      await bob.ok('room:join', { room: 'dedup' });
      const post = () =>
        server.http().post('/rooms/dedup/messages').set('X-Api-Key', ADMIN_KEY).send({ text: 'once', clientMsgId: 'sys-1' }).expect(201);
      const first = (await post()).body.message as Message;
      expect(first.clientMsgId).toBe('sys-1');
      expect((await post()).body.message).toEqual(first);
      await bob.barrier();
      expect(bob.events('message:new')).toEqual([first]);
    });

    it.each([
      ['user:ada', 403, ErrorCode.FORBIDDEN],
      ['system:x', 403, ErrorCode.FORBIDDEN],
      ['_bad', 400, ErrorCode.VALIDATION_FAILED],
    ])('refuses room %s with %d %s', async (room, status, code) => {
      const res = await server.http().post(`/rooms/${room}/messages`).set('X-Api-Key', ADMIN_KEY).send({ text: 'x' });
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, code });
    });

    it.each([
      [{}, 'text'],
      [{ text: 5 }, 'text'],
      [{ text: '   ' }, 'text'],
      [{ text: 'q'.repeat(41) }, 'text'],
      [{ text: 'x', clientMsgId: '' }, 'clientMsgId'],
      [{ text: 'x', from: { id: 'ada' } }, 'from'],
    ])('refuses body %j with 400 VALIDATION_FAILED naming %s', async (body, field) => {
      const res = await server.http().post('/rooms/lobby/messages').set('X-Api-Key', ADMIN_KEY).send(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: ErrorCode.VALIDATION_FAILED });
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });
  });

  describe('POST /announcements', () => {
    it('answers 201 { announcement } and delivers it to every connected socket once', async () => {
      const clients = [await server.connect('ada'), await server.connect('ada'), await server.connect('bob')];
      const res = await server.http().post('/announcements').set('X-Api-Key', ADMIN_KEY).send({ text: 'welcome' }).expect(201);
      const announcement = res.body.announcement as Announcement;
      expect(res.body).toEqual({ announcement: { id: expect.any(String), from: SYSTEM, text: 'welcome', sentAt: expect.any(String) } });
      for (const c of clients) await expect(c.waitFor('announcement')).resolves.toEqual(announcement);
      await Promise.all(clients.map((c) => c.barrier()));
      expect(clients.map((c) => c.events('announcement').length)).toEqual([1, 1, 1]);
    });

    it.each([[{}], [{ text: '' }], [{ text: 'q'.repeat(41) }], [{ text: 'x', extra: 1 }]])(
      'refuses %j with 400 VALIDATION_FAILED',
      async (body) => {
        const res = await server.http().post('/announcements').set('X-Api-Key', ADMIN_KEY).send(body).expect(400);
        expect(res.body.code).toBe(ErrorCode.VALIDATION_FAILED);
      },
    );
  });

  describe('DELETE /users/:id/connections', () => {
    it('closes every socket of the user from the server side and tells the others', async () => {
      const watcher = await server.connect('bob');
      await watcher.ok('room:join', { room: 'kick' });
      const tabs = [await server.connect('ada'), await server.connect('ada'), await server.connect('ada')];
      await tabs[0]!.ok('room:join', { room: 'kick' });
      await watcher.waitFor('room:member-joined');
      const reasons = tabs.map((tab) => new Promise<string>((resolve) => tab.socket.once('disconnect', (reason) => resolve(reason))));
      const res = await server.http().delete('/users/ada/connections').set('X-Api-Key', ADMIN_KEY).expect(200);
      expect(res.body).toEqual({ disconnected: 3 });
      await expect(within(Promise.all(reasons), 'three server-side disconnects')).resolves.toEqual([
        'io server disconnect',
        'io server disconnect',
        'io server disconnect',
      ]);
      await expect(watcher.waitFor('room:member-left')).resolves.toEqual({ room: 'kick', user: { id: 'ada', name: 'ada' } });
      await expect(watcher.waitFor('presence:offline')).resolves.toEqual({ user: { id: 'ada', name: 'ada' } });
      await eventually(async () => (await server.http().get('/users/ada')).status === 404, 'ada is gone');
      await watcher.barrier();
      expect(watcher.events('presence:offline')).toHaveLength(1);
      expect(watcher.events('room:member-left')).toHaveLength(1);
      expect(watcher.socket.connected).toBe(true);
    });

    it('answers { disconnected: 0 } for a user without connection', async () => {
      const res = await server.http().delete('/users/nobody/connections').set('X-Api-Key', ADMIN_KEY).expect(200);
      expect(res.body).toEqual({ disconnected: 0 });
    });

    it('refuses an invalid user id with 400', async () => {
      const res = await server.http().delete('/users/a%20b/connections').set('X-Api-Key', ADMIN_KEY).expect(400);
      expect(res.body.code).toBe(ErrorCode.VALIDATION_FAILED);
    });
  });
});

describe('admin REST without ADMIN_API_KEY (e2e)', () => {
  const server = e2eApp({ ADMIN_API_KEY: undefined });

  it.each([
    ['post', '/rooms/lobby/messages'],
    ['post', '/announcements'],
    ['delete', '/users/ada/connections'],
  ])('%s %s is 401 UNAUTHORIZED whatever key is sent', async (method, path) => {
    for (const key of [undefined, '', 'test-admin-key', 'undefined']) {
      let req = method === 'post' ? server.http().post(path) : server.http().delete(path);
      if (key !== undefined) req = req.set('X-Api-Key', key);
      const res = await req.send({ text: 'hi' });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe(ErrorCode.UNAUTHORIZED);
    }
  });
});
