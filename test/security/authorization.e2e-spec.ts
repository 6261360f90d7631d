import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Announcement, DirectMessage, DirectSendResult, MessagePage, MessageSendResult } from '../../src/contract.js';
import { ROOM_NAME_PATTERN } from '../../src/rooms/room-names.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { type Claims, HS_SECRET, sign } from './support/tokens.js';

const FORBIDDEN = { ok: false, error: { code: 'FORBIDDEN' } };

/** Authorization is checked on every event, not only at the handshake. */
describe('authorization on every event (JWT mode)', () => {
  let server: RunningApp;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startApp({ JWT_SECRET: HS_SECRET });
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });

  async function client(sub: string, claims: Claims = {}): Promise<TestClient> {
    const c = await connect(server.url, sub, { auth: { token: await sign({ sub, ...claims }, HS_SECRET) } });
    clients.push(c);
    return c;
  }

  const bearer = async (sub: string, claims: Claims = {}): Promise<string> => `Bearer ${await sign({ sub, ...claims }, HS_SECRET)}`;

  describe('the rooms claim', () => {
    it('allows exact names and * prefixes only', async () => {
      const scoped = await client('scoped', { rooms: ['team-a', 'proj-*'] });
      await expect(scoped.ok('room:join', { room: 'team-a' })).resolves.toMatchObject({ room: 'team-a' });
      await expect(scoped.ok('room:join', { room: 'proj-apollo' })).resolves.toMatchObject({ room: 'proj-apollo' });
      for (const room of ['team-b', 'team-ab', 'team', 'proj', 'lobby']) {
        await expect(scoped.request('room:join', { room })).resolves.toMatchObject(FORBIDDEN);
      }
      expect([...(await scoped.ok<MessagePage<unknown>>('room:history', { room: 'team-a' })).messages]).toEqual([]);
    });

    it('without the claim allows any room except reserved ones, even for a "*" claim', async () => {
      const free = await client('free');
      const star = await client('star', { rooms: ['*'] });
      await expect(free.ok('room:join', { room: 'anything-goes' })).resolves.toMatchObject({ room: 'anything-goes' });
      for (const c of [free, star]) {
        for (const room of ['user:free', 'user:other', 'system:ops']) {
          await expect(c.request('room:join', { room })).resolves.toMatchObject(FORBIDDEN);
        }
      }
    });

    it('an empty list allows no room at all', async () => {
      const none = await client('none', { rooms: [] });
      await expect(none.request('room:join', { room: 'lobby' })).resolves.toMatchObject(FORBIDDEN);
    });
  });

  describe('sending and typing need membership of that socket', () => {
    it('refuses message:send and typing to a room the socket has not joined', async () => {
      const insider = await client('insider');
      const outsider = await client('outsider');
      await insider.ok('room:join', { room: 'members-only' });

      await expect(outsider.request('message:send', { room: 'members-only', text: 'let me in' })).resolves.toMatchObject(FORBIDDEN);
      await expect(outsider.request('typing', { room: 'members-only', typing: true })).resolves.toMatchObject(FORBIDDEN);
      // Another socket of the same user being a member is not enough either.
      const insiderTab = await client('insider');
      await expect(insiderTab.request('message:send', { room: 'members-only', text: 'tab' })).resolves.toMatchObject(FORBIDDEN);

      await insider.ok('room:leave', { room: 'members-only' });
      await expect(insider.request('message:send', { room: 'members-only', text: 'after leaving' })).resolves.toMatchObject(FORBIDDEN);
      await expect(insider.request('typing', { room: 'members-only', typing: false })).resolves.toMatchObject(FORBIDDEN);
      await insider.barrier();
      expect(insider.events('message:new')).toHaveLength(0);
    });

    it('cannot address the reserved per-user rooms', async () => {
      const mallory = await client('mallory');
      await expect(mallory.request('message:send', { room: 'user:insider', text: 'psst' })).resolves.toMatchObject(FORBIDDEN);
      await expect(mallory.request('typing', { room: 'user:insider', typing: true })).resolves.toMatchObject(FORBIDDEN);
    });

    it("cannot reach another socket through a room named like that socket's id", async () => {
      // An id starting with - or _ is no valid room name; about 1 in 32 does, so try a few.
      let victim = await client('victim');
      for (let attempt = 0; attempt < 10 && !ROOM_NAME_PATTERN.test(victim.session!.socketId); attempt += 1)
        victim = await client('victim');
      const room = victim.session!.socketId;
      expect(room).toMatch(ROOM_NAME_PATTERN);
      const mallory = await client('mallory-ids');
      await mallory.ok('room:join', { room });
      await mallory.ok<MessageSendResult>('message:send', { room, text: 'into your socket' });
      await mallory.ok('typing', { room, typing: true });
      await victim.barrier();
      expect(victim.events('message:new')).toEqual([]);
      expect(victim.events('typing')).toEqual([]);
      expect(victim.events('room:member-joined')).toEqual([]);
    });
  });

  describe('history of a room the user may not join', () => {
    it('is FORBIDDEN over the socket and over REST; allowed rooms are readable', async () => {
      const writer = await client('writer');
      await writer.ok('room:join', { room: 'secret-plans' });
      await writer.ok<MessageSendResult>('message:send', { room: 'secret-plans', text: 'the plan' });

      const scoped = await client('reader', { rooms: ['public-*'] });
      await expect(scoped.request('room:history', { room: 'secret-plans' })).resolves.toMatchObject(FORBIDDEN);
      await expect(scoped.request('room:join', { room: 'secret-plans', historyLimit: 50 })).resolves.toMatchObject(FORBIDDEN);

      const scopedBearer = await bearer('reader', { rooms: ['public-*'] });
      const denied = await request(server.url).get('/rooms/secret-plans/messages').set('Authorization', scopedBearer).expect(403);
      expect(denied.body).toMatchObject({ statusCode: 403, code: 'FORBIDDEN' });
      expect(JSON.stringify(denied.body)).not.toContain('the plan');
      await request(server.url)
        .get('/rooms/user:writer/messages')
        .set('Authorization', await bearer('writer'))
        .expect(403);

      const allowed = await request(server.url)
        .get('/rooms/secret-plans/messages')
        .set('Authorization', await bearer('writer'))
        .expect(200);
      expect(allowed.body.messages.map((m: { text: string }) => m.text)).toEqual(['the plan']);
    });
  });

  describe('user lookups', () => {
    it("leave out rooms outside the reader's rooms claim", async () => {
      const member = await client('lookup-member');
      await member.ok('room:join', { room: 'public-square' });
      await member.ok('room:join', { room: 'secret-lookup' });

      const scoped = await bearer('lookup-reader', { rooms: ['public-*'] });
      const one = await request(server.url).get('/users/lookup-member').set('Authorization', scoped).expect(200);
      expect(one.body).toEqual({ id: 'lookup-member', name: 'lookup-member', connections: 1, rooms: ['public-square'] });
      const all = await request(server.url).get('/users').set('Authorization', scoped).expect(200);
      expect(all.body.users.find((u: { id: string }) => u.id === 'lookup-member')).toEqual(one.body);
      expect(JSON.stringify(all.body)).not.toContain('secret-lookup');
      const paged = await request(server.url)
        .get('/users')
        .query({ after: 'lookup-membea', limit: 1 })
        .set('Authorization', scoped)
        .expect(200);
      expect(paged.body.users).toEqual([one.body]);
      expect(JSON.stringify(paged.body)).not.toContain('secret-lookup');

      const unscoped = await request(server.url)
        .get('/users/lookup-member')
        .set('Authorization', await bearer('lookup-admin'))
        .expect(200);
      expect(unscoped.body.rooms).toEqual(['public-square', 'secret-lookup']);
    });
  });

  describe('announce', () => {
    it('is FORBIDDEN for a non-admin and delivered to everyone for role admin', async () => {
      const user = await client('plain-user', { role: 'user' });
      const listener = await client('listener');
      await expect(user.request('announce', { text: 'I am the captain now' })).resolves.toMatchObject(FORBIDDEN);
      const admin = await client('captain', { role: 'admin' });
      const { announcement } = await admin.ok<{ announcement: Announcement }>('announce', { text: 'drill at noon' });
      await expect(listener.waitFor('announcement')).resolves.toEqual(announcement);
      await listener.barrier();
      expect(listener.events('announcement')).toEqual([announcement]);
    });

    it('is not granted by role claims that merely look like admin', async () => {
      for (const role of ['Admin', 'admin ', ['admin'], { admin: true }, true]) {
        const c = await client(`role-${typeof role}-${String(role).trim()}`.replace(/[^A-Za-z0-9_.-]/g, '_'), { role });
        await expect(c.request('announce', { text: 'hi' })).resolves.toMatchObject(FORBIDDEN);
      }
    });
  });

  describe('direct:history', () => {
    it("only ever returns the caller's own conversation", async () => {
      const ada = await client('dm-ada');
      const bob = await client('dm-bob');
      const eve = await client('dm-eve');
      const { message } = await ada.ok<DirectSendResult>('message:direct', { to: 'dm-bob', text: 'for bob only' });

      const bobView = await bob.ok<MessagePage<DirectMessage>>('direct:history', { with: 'dm-ada' });
      expect(bobView.messages).toEqual([message]);
      // Eve asking about either party sees only her own (empty) conversations.
      expect((await eve.ok<MessagePage<DirectMessage>>('direct:history', { with: 'dm-bob' })).messages).toEqual([]);
      expect((await eve.ok<MessagePage<DirectMessage>>('direct:history', { with: 'dm-ada' })).messages).toEqual([]);
      // Paging from a message of someone else's conversation reveals nothing.
      await expect(eve.request('direct:history', { with: 'dm-bob', beforeId: message.id })).resolves.toMatchObject({
        ok: false,
        error: { code: 'NOT_FOUND' },
      });
      // Naming the parties explicitly is not part of the payload.
      await expect(eve.request('direct:history', { with: 'dm-bob', userA: 'dm-ada' })).resolves.toMatchObject({
        ok: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      await eve.barrier();
      expect(eve.events('message:direct')).toHaveLength(0);
    });
  });
});
