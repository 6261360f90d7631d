import { describe, expect, it } from '@jest/globals';
import type { Message, MessageSendResult } from '../../src/contract.js';
import { ErrorCode } from '../support/acks.js';
import { e2eApp } from '../support/suite.js';

describe('REST lookups and errors (e2e)', () => {
  const server = e2eApp();

  it('GET /health answers 200 while the process serves', async () => {
    const res = await server.http().get('/health').expect(200);
    expect(res.body.status).toBe('ok');
  });

  describe('GET /rooms', () => {
    it('lists rooms with at least one connected member, sorted by name, counting users not sockets', async () => {
      await expect(server.http().get('/rooms').expect(200)).resolves.toMatchObject({ body: { rooms: [] } });
      const adaTab1 = await server.connect('ada');
      const adaTab2 = await server.connect('ada');
      const bob = await server.connect('bob');
      await adaTab1.ok('room:join', { room: 'zulu' });
      await adaTab2.ok('room:join', { room: 'zulu' });
      await bob.ok('room:join', { room: 'zulu' });
      await bob.ok('room:join', { room: 'Alpha' });
      await bob.ok('room:join', { room: 'mike' });
      await bob.ok('room:leave', { room: 'mike' });
      const res = await server.http().get('/rooms').expect(200);
      expect(res.body).toEqual({
        rooms: [
          { name: 'Alpha', memberCount: 1 },
          { name: 'zulu', memberCount: 2 },
        ],
      });
    });
  });

  describe('GET /rooms/:name', () => {
    it('describes members and lastSeq', async () => {
      const ada = await server.connect('ada');
      const bob = await server.connect('bob');
      await bob.ok('room:join', { room: 'desc' });
      await ada.ok('room:join', { room: 'desc' });
      await ada.ok('message:send', { room: 'desc', text: 'one' });
      await ada.ok('message:send', { room: 'desc', text: 'two' });
      const res = await server.http().get('/rooms/desc').expect(200);
      expect(res.body).toEqual({
        name: 'desc',
        memberCount: 2,
        members: [
          { id: 'ada', name: 'ada' },
          { id: 'bob', name: 'bob' },
        ],
        lastSeq: 2,
      });
    });

    it('still describes a room whose members left but whose messages remain', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'left-behind' });
      await ada.ok('message:send', { room: 'left-behind', text: 'bye' });
      await ada.ok('room:leave', { room: 'left-behind' });
      const res = await server.http().get('/rooms/left-behind').expect(200);
      expect(res.body).toEqual({ name: 'left-behind', memberCount: 0, members: [], lastSeq: 1 });
    });

    it('answers 404 NOT_FOUND for a room with neither members nor messages', async () => {
      const res = await server.http().get('/rooms/nothing-here').expect(404);
      expect(res.body).toEqual({ statusCode: 404, code: ErrorCode.NOT_FOUND, message: 'room nothing-here has no members and no messages' });
    });

    it("answers 404 for a user's reserved room, which is not a chat room", async () => {
      await server.connect('ada');
      const res = await server.http().get('/rooms/user:ada').expect(404);
      expect(res.body.code).toBe(ErrorCode.NOT_FOUND);
    });

    it('answers 400 VALIDATION_FAILED for an invalid name', async () => {
      const res = await server.http().get('/rooms/_x').expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: ErrorCode.VALIDATION_FAILED, details: [{ field: 'name' }] });
    });
  });

  describe('GET /rooms/:name/messages', () => {
    it('pages like room:history', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'paged' });
      const sent: Message[] = [];
      for (let i = 0; i < 5; i += 1) sent.push((await ada.ok<MessageSendResult>('message:send', { room: 'paged', text: `${i}` })).message);
      expect((await server.http().get('/rooms/paged/messages').expect(200)).body).toEqual({ messages: sent, hasMore: false });
      expect((await server.http().get('/rooms/paged/messages?limit=2').expect(200)).body).toEqual({
        messages: sent.slice(3),
        hasMore: true,
      });
      expect((await server.http().get('/rooms/paged/messages?beforeSeq=4&limit=2').expect(200)).body).toEqual({
        messages: sent.slice(1, 3),
        hasMore: true,
      });
      expect((await server.http().get('/rooms/empty-room/messages').expect(200)).body).toEqual({ messages: [], hasMore: false });
    });

    it.each([
      ['limit=abc', 'limit'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=', 'limit'],
      ['beforeSeq=0', 'beforeSeq'],
      ['beforeSeq=-1', 'beforeSeq'],
      ['beforeSeq=one', 'beforeSeq'],
      ['limit=1&limit=2', 'limit'],
      ['page=2', 'page'],
    ])('answers ?%s with 400 VALIDATION_FAILED naming %s', async (query, field) => {
      const res = await server.http().get(`/rooms/lobby/messages?${query}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: ErrorCode.VALIDATION_FAILED, message: 'request is invalid' });
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    });

    it('answers 403 FORBIDDEN for a reserved room', async () => {
      const res = await server.http().get('/rooms/user:ada/messages').expect(403);
      expect(res.body.code).toBe(ErrorCode.FORBIDDEN);
    });
  });

  describe('GET /users', () => {
    it('lists connected users with their connection count and rooms', async () => {
      const adaTab1 = await server.connect('ada');
      await server.connect('ada');
      const bob = await server.connect('bob');
      await adaTab1.ok('room:join', { room: 'u2' });
      await adaTab1.ok('room:join', { room: 'u1' });
      await bob.ok('room:join', { room: 'u1' });
      const res = await server.http().get('/users').expect(200);
      expect(res.body).toEqual({
        users: [
          { id: 'ada', name: 'ada', connections: 2, rooms: ['u1', 'u2'] },
          { id: 'bob', name: 'bob', connections: 1, rooms: ['u1'] },
        ],
        next: null,
      });
      expect((await server.http().get('/users/bob').expect(200)).body).toEqual({
        id: 'bob',
        name: 'bob',
        connections: 1,
        rooms: ['u1'],
      });
    });

    it('pages 250 connected users by id: each exactly once, next null at the end', async () => {
      const ids = Array.from({ length: 250 }, (_, i) => `pager-${String(i).padStart(3, '0')}`);
      // Connected in a scrambled order: the pages come out in id order whatever the arrival order.
      const scrambled = ids.map((id, i) => ids[(i * 97) % ids.length]!);
      expect(new Set(scrambled).size).toBe(ids.length);
      for (let i = 0; i < scrambled.length; i += 25) await Promise.all(scrambled.slice(i, i + 25).map((id) => server.connect(id)));
      const pages: Array<{ users: Array<{ id: string }>; next: string | null }> = [];
      let after: string | null = null;
      do {
        const query: Record<string, string | number> = after === null ? { limit: 100 } : { limit: 100, after };
        const page = (await server.http().get('/users').query(query).expect(200)).body as {
          users: Array<{ id: string }>;
          next: string | null;
        };
        pages.push(page);
        after = page.next;
      } while (after !== null && pages.length < 10);
      expect(pages.map((page) => page.users.length)).toEqual([100, 100, 50]);
      expect(pages.map((page) => page.next)).toEqual(['pager-099', 'pager-199', null]);
      expect(pages.flatMap((page) => page.users.map((user) => user.id))).toEqual(ids);
      const byDefault = (await server.http().get('/users').expect(200)).body as { users: unknown[]; next: string | null };
      expect(byDefault.users).toHaveLength(100);
      expect(byDefault.next).toBe('pager-099');
      const empty = (await server.http().get('/users?after=').query({ limit: 500 }).expect(200)).body as {
        users: unknown[];
        next: string | null;
      };
      expect(empty.users).toHaveLength(250);
      expect(empty.next).toBeNull();
    }, 60_000);

    it.each([
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=', 'limit'],
      ['limit=1&limit=2', 'limit'],
      ['after=bad%20id', 'after'],
      [`after=${'x'.repeat(65)}`, 'after'],
      ['after=a&after=b', 'after'],
      ['cursor=ada', 'cursor'],
    ])('answers GET /users?%s with 400 VALIDATION_FAILED naming %s', async (query, field) => {
      const res = await server.http().get(`/users?${query}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: ErrorCode.VALIDATION_FAILED, message: 'request is invalid' });
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    });

    it('answers 404 NOT_FOUND for a user without connection and 400 for an invalid id', async () => {
      const missing = await server.http().get('/users/ghost').expect(404);
      expect(missing.body).toEqual({ statusCode: 404, code: ErrorCode.NOT_FOUND, message: 'user ghost is not connected' });
      const invalid = await server
        .http()
        .get(`/users/${'x'.repeat(65)}`)
        .expect(400);
      expect(invalid.body.code).toBe(ErrorCode.VALIDATION_FAILED);
    });
  });

  describe('errors outside the routes', () => {
    it('answers an unknown route with the JSON error shape', async () => {
      const res = await server.http().get('/no/such/route').expect(404);
      expect(res.body).toEqual({ statusCode: 404, code: ErrorCode.NOT_FOUND, message: 'Cannot GET /no/such/route' });
    });

    it('answers malformed JSON with 400 VALIDATION_FAILED, without echoing the body', async () => {
      const res = await server
        .http()
        .post('/announcements')
        .set('X-Api-Key', 'test-admin-key')
        .set('Content-Type', 'application/json')
        .send('{"text": "secret-body-text"')
        .expect(400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).toMatchObject({ statusCode: 400, code: ErrorCode.VALIDATION_FAILED });
      expect(res.text).not.toContain('secret-body-text');
    });

    it('answers a body over the size limit with 413 VALIDATION_FAILED', async () => {
      const res = await server
        .http()
        .post('/announcements')
        .set('X-Api-Key', 'test-admin-key')
        .send({ text: 'x'.repeat(200_000) })
        .expect(413);
      expect(res.body).toMatchObject({ statusCode: 413, code: ErrorCode.VALIDATION_FAILED });
    });

    it('answers a JSON array body with 400 VALIDATION_FAILED', async () => {
      const res = await server
        .http()
        .post('/announcements')
        .set('X-Api-Key', 'test-admin-key')
        .send([{ text: 'x' }])
        .expect(400);
      expect(res.body.code).toBe(ErrorCode.VALIDATION_FAILED);
    });
  });
});
