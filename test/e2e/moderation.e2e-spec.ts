import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message, MessageSendResult, RoomBansPage, RoomMutesPage, RoomRestriction, RoomsListResult } from '../../src/contract.js';
import { ChatEmitter } from '../../src/chat/chat-emitter.js';
import { RestrictionPruneService } from '../../src/moderation/restriction-prune.service.js';
import { chatRoom } from '../../src/rooms/room-names.js';
import { describeEachDurableDatabase } from '../persistence/support/databases.js';
import { describePostgres, TestSchema } from '../persistence/support/postgres.js';
import { detailFields, ErrorCode, failure } from '../support/acks.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { deleteRedisKeys } from '../support/cluster.js';
import { missingServices, REDIS_URL, uniqueName } from '../support/services.js';
import { ADMIN_KEY, eventually } from '../support/suite.js';

const admin = { 'X-Api-Key': ADMIN_KEY };

/** A round trip on each client: every event the server emitted before is now recorded. */
async function settle(...clients: TestClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.barrier()));
}

async function send(client: TestClient, room: string, text: string): Promise<Message> {
  return (await client.ok<MessageSendResult>('message:send', { room, text })).message;
}

/** The user ids of the sockets in a chat room, on every node of the app's cluster. */
async function socketsIn(app: RunningApp, room: string, local = false): Promise<string[]> {
  const server = app.app.get(ChatEmitter).server;
  const sockets = await (local ? server.local : server).in(chatRoom(room)).fetchSockets();
  return sockets.map((socket) => socket.data.user.id).sort();
}

/** Every action a ban refuses, each answered FORBIDDEN with that message. */
async function expectRefusedEverything(client: TestClient, room: string, message: string): Promise<void> {
  const attempts: Array<[string, unknown]> = [
    ['room:join', { room }],
    ['message:send', { room, text: 'let me in' }],
    ['room:read', { room, seq: 1 }],
    ['typing', { room, typing: true }],
    ['message:edit', { room, seq: 1, text: 'changed' }],
  ];
  for (const [event, payload] of attempts) {
    expect([event, failure(await client.request(event, payload), ErrorCode.FORBIDDEN).message]).toEqual([event, message]);
  }
}

/** What a muted user may not do, each answered FORBIDDEN with that message. */
async function expectRefusedPosting(client: TestClient, room: string, seq: number, message: string): Promise<void> {
  const attempts: Array<[string, unknown]> = [
    ['message:send', { room, text: 'quiet?' }],
    ['typing', { room, typing: true }],
    ['message:edit', { room, seq, text: 'changed' }],
  ];
  for (const [event, payload] of attempts) {
    expect([event, failure(await client.request(event, payload), ErrorCode.FORBIDDEN).message]).toEqual([event, message]);
  }
}

function isoAfter(createdAt: string, seconds: number): string {
  return new Date(Date.parse(createdAt) + seconds * 1000).toISOString();
}

describeEachDurableDatabase('moderation: bans and mutes (e2e)', (database) => {
  const clients: TestClient[] = [];
  const apps: RunningApp[] = [];

  afterEach(async () => {
    closeAll(clients.splice(0));
    for (const app of apps.splice(0)) await app.close();
  });

  async function start(env: Record<string, string> = {}): Promise<RunningApp> {
    const app = await startApp({ DATABASE_URL: await database.freshUrl(), ...env });
    apps.push(app);
    return app;
  }

  async function client(app: RunningApp, name: string, options: { admin?: boolean } = {}): Promise<TestClient> {
    const auth = options.admin ? { username: name, adminKey: ADMIN_KEY } : { username: name };
    const connected = await connect(app.url, name, { auth });
    clients.push(connected);
    return connected;
  }

  it('bans: the sockets leave the room before the answer, every action is refused, unban restores, banning again replaces', async () => {
    const app = await start();
    const tab1 = await client(app, 'ada');
    const tab2 = await client(app, 'ada');
    const outside = await client(app, 'ada');
    const bob = await client(app, 'bob');
    await bob.ok('room:join', { room: 'club' });
    await tab1.ok('room:join', { room: 'club' });
    await tab2.ok('room:join', { room: 'club' });
    await outside.ok('room:join', { room: 'other' });
    const mine = await send(tab1, 'club', 'mine');

    const created = await request(app.url).post('/rooms/club/bans').set(admin).send({ userId: 'ada', reason: 'spam' }).expect(201);
    const ban = (created.body as { ban: RoomRestriction }).ban;
    expect(ban).toEqual({ room: 'club', userId: 'ada', reason: 'spam', createdAt: expect.any(String), until: null, by: 'admin-api-key' });
    // Out of the room when the answer comes: no waiting.
    expect(await socketsIn(app, 'club')).toEqual(['bob']);
    await expect(bob.waitFor('room:member-left')).resolves.toEqual({ room: 'club', user: { id: 'ada', name: 'ada' } });
    for (const tab of [tab1, tab2, outside]) {
      await expect(tab.waitFor('room:banned')).resolves.toEqual({ room: 'club', reason: 'spam', until: null });
    }
    await expectRefusedEverything(tab1, 'club', 'you are banned from room club until an admin lifts it (reason: spam)');
    // The payload is checked before the ban.
    expect(detailFields(failure(await tab1.request('message:send', { room: 'club', text: '' }), ErrorCode.VALIDATION_FAILED))).toEqual([
      'text',
    ]);
    expect(detailFields(failure(await tab1.request('room:join', { room: 'club', historyLimit: -1 }), ErrorCode.VALIDATION_FAILED))).toEqual(
      ['historyLimit'],
    );
    await send(bob, 'club', 'not for ada');
    // A banned user may still take back their own message.
    expect((await tab2.ok<{ message: Message }>('message:delete', { room: 'club', seq: mine.seq })).message.text).toBe('');
    await settle(tab1, tab2, outside, bob);
    for (const tab of [tab1, tab2, outside]) expect(tab.events('room:banned')).toHaveLength(1);
    // Only what came before the ban ('mine' reaches the author's other tab in the room).
    expect([tab1, tab2, outside].map((tab) => tab.events('message:new').map((message) => message.text))).toEqual([[], ['mine'], []]);
    expect(bob.events('room:member-left')).toHaveLength(1);
    expect(bob.events('typing')).toEqual([]);
    expect(bob.events('message:updated').map((message) => message.seq)).toEqual([mine.seq]);
    expect((await tab1.ok<RoomsListResult>('rooms:list', {})).rooms.map((entry) => entry.room)).toEqual(['other']);
    expect((await request(app.url).get('/rooms/club/bans').set(admin).expect(200)).body).toEqual({ bans: [ban], next: null });
    expect((await request(app.url).get('/rooms/club/mutes').set(admin).expect(200)).body).toEqual({ mutes: [], next: null });

    // Banning again replaces the ban (200) and tells the sockets again; nobody is left to leave.
    const again = await request(app.url).post('/rooms/club/bans').set(admin).send({ userId: 'ada', seconds: 600 }).expect(200);
    const replaced = (again.body as { ban: RoomRestriction }).ban;
    expect(replaced).toEqual({ ...ban, reason: null, createdAt: expect.any(String), until: isoAfter(replaced.createdAt, 600) });
    await expect(tab1.waitFor('room:banned', 2)).resolves.toEqual({ room: 'club', reason: null, until: replaced.until });
    failure(await tab1.request('room:join', { room: 'club' }), ErrorCode.FORBIDDEN);
    expect(failure(await tab1.request('room:join', { room: 'club' }), ErrorCode.FORBIDDEN).message).toBe(
      `you are banned from room club until ${replaced.until}`,
    );

    expect((await request(app.url).delete('/rooms/club/bans/ada').set(admin).expect(200)).body).toEqual({ ban: replaced });
    const missing = await request(app.url).delete('/rooms/club/bans/ada').set(admin).expect(404);
    expect(missing.body).toMatchObject({ code: ErrorCode.NOT_FOUND, message: 'ada is not banned from room club' });
    await tab1.ok('room:join', { room: 'club', historyLimit: 0 });
    await expect(bob.waitFor('room:member-joined')).resolves.toEqual({ room: 'club', user: { id: 'ada', name: 'ada' } });
    await send(tab1, 'club', 'back');
    await tab1.ok('typing', { room: 'club', typing: true });
    await settle(tab1, tab2, outside, bob);
    expect(bob.events('room:member-left')).toHaveLength(1);
    expect(bob.events('message:new').map((message) => message.text)).toEqual(['mine', 'back']);
    expect(tab2.events('room:banned')).toHaveLength(2);
    expect((await request(app.url).get('/rooms/club/bans').set(admin).expect(200)).body).toEqual({ bans: [], next: null });
  });

  it('a ban ends by itself: refused with its end, then joined again without anyone lifting it', async () => {
    const app = await start();
    const ada = await client(app, 'ada');
    const created = await request(app.url).post('/rooms/brief/bans').set(admin).send({ userId: 'ada', seconds: 1 }).expect(201);
    const ban = (created.body as { ban: RoomRestriction }).ban;
    expect(ban.until).toBe(isoAfter(ban.createdAt, 1));
    expect(failure(await ada.request('room:join', { room: 'brief' }), ErrorCode.FORBIDDEN).message).toBe(
      `you are banned from room brief until ${ban.until}`,
    );
    await eventually(async () => (await ada.request('room:join', { room: 'brief' })).ok, 'the one-second ban ended', 5000, 100);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(ban.until!));
    expect((await request(app.url).get('/rooms/brief/bans').set(admin).expect(200)).body).toEqual({ bans: [], next: null });
    await send(ada, 'brief', 'free again');
    // Its row stays until the hourly prune (run here at once) deletes it.
    const prune = app.app.get(RestrictionPruneService);
    await expect(prune.pruneNow()).resolves.toBe(1);
    await expect(prune.pruneNow()).resolves.toBe(0);
    await request(app.url).delete('/rooms/brief/bans/ada').set(admin).expect(404);
  });

  it('mutes: the user keeps receiving but may not send, edit or type; deletes their own; unmuted on lift and on expiry', async () => {
    const app = await start();
    const ada = await client(app, 'ada');
    const adaTab = await client(app, 'ada');
    const bob = await client(app, 'bob');
    for (const member of [ada, adaTab, bob]) await member.ok('room:join', { room: 'hall' });
    const mine = await send(ada, 'hall', 'before');

    const created = await request(app.url)
      .post('/rooms/hall/mutes')
      .set(admin)
      .send({ userId: 'ada', seconds: 600, reason: 'flood' })
      .expect(201);
    const mute = (created.body as { mute: RoomRestriction }).mute;
    expect(mute).toEqual({
      room: 'hall',
      userId: 'ada',
      reason: 'flood',
      createdAt: expect.any(String),
      until: isoAfter(mute.createdAt, 600),
      by: 'admin-api-key',
    });
    for (const tab of [ada, adaTab])
      await expect(tab.waitFor('room:muted')).resolves.toEqual({ room: 'hall', reason: 'flood', until: mute.until });
    await expectRefusedPosting(ada, 'hall', mine.seq, `you are muted in room hall until ${mute.until} (reason: flood)`);
    await send(bob, 'hall', 'still heard');
    await ada.ok('room:read', { room: 'hall', seq: 2 });
    await ada.ok('message:delete', { room: 'hall', seq: mine.seq });
    expect(await socketsIn(app, 'hall')).toEqual(['ada', 'ada', 'bob']);
    expect((await request(app.url).get('/rooms/hall/mutes').set(admin).expect(200)).body).toEqual({ mutes: [mute], next: null });
    await request(app.url).post('/rooms/hall/mutes').set(admin).send({ userId: 'ada', seconds: 600, reason: 'flood' }).expect(200);

    const lifted = await request(app.url).delete('/rooms/hall/mutes/ada').set(admin).expect(200);
    expect((lifted.body as { mute: RoomRestriction }).mute).toMatchObject({ room: 'hall', userId: 'ada', reason: 'flood' });
    for (const tab of [ada, adaTab]) await expect(tab.waitFor('room:unmuted')).resolves.toEqual({ room: 'hall' });
    await send(ada, 'hall', 'after');
    await request(app.url).delete('/rooms/hall/mutes/ada').set(admin).expect(404);

    // A one-second mute: muted, then unmuted by itself.
    const brief = (await request(app.url).post('/rooms/hall/mutes').set(admin).send({ userId: 'ada', seconds: 1 }).expect(201)).body as {
      mute: RoomRestriction;
    };
    await expect(ada.waitFor('room:muted', 3)).resolves.toEqual({ room: 'hall', reason: null, until: brief.mute.until });
    failure(await ada.request('message:send', { room: 'hall', text: 'again?' }), ErrorCode.FORBIDDEN);
    await expect(ada.waitFor('room:unmuted', 2, 5000)).resolves.toEqual({ room: 'hall' });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(brief.mute.until!));
    await send(ada, 'hall', 'free');

    await settle(ada, adaTab, bob);
    expect(ada.events('message:new').map((message) => message.text)).toEqual(['still heard']);
    expect(adaTab.events('message:new').map((message) => message.text)).toEqual(['before', 'still heard', 'after', 'free']);
    expect(bob.events('message:new').map((message) => message.text)).toEqual(['before', 'after', 'free']);
    expect(bob.events('message:updated').map((message) => message.seq)).toEqual([mine.seq]);
    expect(bob.events('typing')).toEqual([]);
    for (const tab of [ada, adaTab]) {
      expect(tab.events('room:muted')).toHaveLength(3);
      expect(tab.events('room:unmuted')).toHaveLength(2);
    }
    expect(bob.events('room:muted')).toEqual([]);
    expect(bob.events('room:member-left')).toEqual([]);
  });

  it('bans a user id never seen yet: their first visit is refused', async () => {
    const app = await start();
    await request(app.url).post('/rooms/door/bans').set(admin).send({ userId: 'newcomer' }).expect(201);
    const newcomer = await client(app, 'newcomer');
    expect(failure(await newcomer.request('room:join', { room: 'door' }), ErrorCode.FORBIDDEN).message).toBe(
      'you are banned from room door until an admin lifts it',
    );
    await settle(newcomer);
    expect(newcomer.events('room:banned')).toEqual([]);
  });

  it('lets admin sockets ban, unban, mute and unmute with acks that mirror REST; other sockets are refused', async () => {
    const app = await start();
    const root = await client(app, 'root', { admin: true });
    const ada = await client(app, 'ada');
    const bob = await client(app, 'bob');
    await ada.ok('room:join', { room: 'den' });
    await bob.ok('room:join', { room: 'den' });

    const refused = failure(await bob.request('room:ban', { room: 'den', userId: 'ada' }), ErrorCode.FORBIDDEN);
    expect(refused.message).toBe('room:ban needs an admin connection');
    for (const event of ['room:unban', 'room:mute', 'room:unmute'])
      failure(await bob.request(event, { room: 'den', userId: 'ada' }), ErrorCode.FORBIDDEN);

    const { ban } = await root.ok<{ ban: RoomRestriction }>('room:ban', { room: 'den', userId: 'ada', reason: 'rude', seconds: 60 });
    expect(ban).toEqual({
      room: 'den',
      userId: 'ada',
      reason: 'rude',
      createdAt: expect.any(String),
      until: isoAfter(ban.createdAt, 60),
      by: 'root',
    });
    expect(await socketsIn(app, 'den')).toEqual(['bob']);
    await expect(ada.waitFor('room:banned')).resolves.toEqual({ room: 'den', reason: 'rude', until: ban.until });
    await expect(bob.waitFor('room:member-left')).resolves.toEqual({ room: 'den', user: { id: 'ada', name: 'ada' } });
    expect((await request(app.url).get('/rooms/den/bans').set(admin).expect(200)).body).toEqual({ bans: [ban], next: null });
    expect(await root.ok('room:unban', { room: 'den', userId: 'ada' })).toEqual({ ban });
    expect(failure(await root.request('room:unban', { room: 'den', userId: 'ada' }), ErrorCode.NOT_FOUND).message).toBe(
      'ada is not banned from room den',
    );

    await ada.ok('room:join', { room: 'den' });
    const { mute } = await root.ok<{ mute: RoomRestriction }>('room:mute', { room: 'den', userId: 'ada' });
    expect(mute).toEqual({ room: 'den', userId: 'ada', reason: null, createdAt: expect.any(String), until: null, by: 'root' });
    await expect(ada.waitFor('room:muted')).resolves.toEqual({ room: 'den', reason: null, until: null });
    failure(await ada.request('typing', { room: 'den', typing: true }), ErrorCode.FORBIDDEN);
    expect(await root.ok('room:unmute', { room: 'den', userId: 'ada' })).toEqual({ mute });
    await expect(ada.waitFor('room:unmuted')).resolves.toEqual({ room: 'den' });
    failure(await root.request('room:unmute', { room: 'den', userId: 'ada' }), ErrorCode.NOT_FOUND);
    await settle(ada, bob, root);
    expect(ada.events('room:banned')).toHaveLength(1);
    expect(bob.events('room:member-left')).toHaveLength(1);
    expect(bob.events('room:member-joined')).toHaveLength(1);
  });

  it('refuses bad input as 400 / VALIDATION_FAILED with details, before any permission rule, changing nothing', async () => {
    const app = await start();
    const bob = await client(app, 'bob');
    const root = await client(app, 'root', { admin: true });
    const bodies: Array<[unknown, string[]]> = [
      [{}, ['userId']],
      [{ userId: 'has space' }, ['userId']],
      [{ userId: 'ada', seconds: 0 }, ['seconds']],
      [{ userId: 'ada', seconds: -1 }, ['seconds']],
      [{ userId: 'ada', seconds: 31_536_001 }, ['seconds']],
      [{ userId: 'ada', seconds: 1.5 }, ['seconds']],
      [{ userId: 'ada', seconds: '60' }, ['seconds']],
      [{ userId: 'ada', reason: 'x'.repeat(501) }, ['reason']],
      [{ userId: 'ada', reason: 7 }, ['reason']],
      [{ userId: 'ada', until: null }, ['until']],
    ];
    for (const kind of ['bans', 'mutes']) {
      for (const [body, fields] of bodies) {
        const response = await request(app.url)
          .post(`/rooms/lobby/${kind}`)
          .set(admin)
          .send(body as object)
          .expect(400);
        expect([kind, body, response.body.code, detailFields(response.body)]).toEqual([kind, body, ErrorCode.VALIDATION_FAILED, fields]);
      }
      const badRoom = await request(app.url).post(`/rooms/-bad/${kind}`).set(admin).send({ userId: 'ada' }).expect(400);
      expect(detailFields(badRoom.body)).toEqual(['name']);
      expect(detailFields((await request(app.url).delete(`/rooms/lobby/${kind}/has%20space`).set(admin).expect(400)).body)).toEqual([
        'userId',
      ]);
      for (const query of ['limit=501', 'limit=0', 'limit=x', 'after=has%20space']) {
        const response = await request(app.url).get(`/rooms/lobby/${kind}?${query}`).set(admin).expect(400);
        expect(detailFields(response.body)).toEqual([query.split('=')[0]]);
      }
      await request(app.url).post(`/rooms/lobby/${kind}`).send({ userId: 'ada' }).expect(401);
      await request(app.url).get(`/rooms/lobby/${kind}`).expect(401);
      // A reserved room passes the name pattern and is refused by the service.
      expect((await request(app.url).post(`/rooms/user:ada/${kind}`).set(admin).send({ userId: 'ada' }).expect(403)).body.message).toBe(
        'user:ada is a reserved room name',
      );
    }
    // The limits themselves are accepted.
    const longest = { userId: 'ada', reason: 'x'.repeat(500), seconds: 31_536_000 };
    expect((await request(app.url).post('/rooms/edge/mutes').set(admin).send(longest).expect(201)).body.mute.reason).toHaveLength(500);
    await request(app.url).get('/rooms/edge/mutes?limit=500').set(admin).expect(200);

    const payloads: Array<[unknown, string[]]> = [
      [{ userId: 'ada' }, ['room']],
      [{ room: 'bad room', userId: 'ada' }, ['room']],
      [{ room: 'lobby', userId: 'ada', seconds: 0 }, ['seconds']],
      [{ room: 'lobby', userId: 'ada', extra: 1 }, ['extra']],
    ];
    for (const event of ['room:ban', 'room:mute']) {
      for (const [payload, fields] of payloads) {
        // Validation comes first: the non-admin gets VALIDATION_FAILED, not FORBIDDEN.
        for (const sender of [bob, root]) {
          expect([event, payload, detailFields(failure(await sender.request(event, payload), ErrorCode.VALIDATION_FAILED))]).toEqual([
            event,
            payload,
            fields,
          ]);
        }
      }
    }
    for (const event of ['room:unban', 'room:unmute']) {
      expect(
        detailFields(failure(await root.request(event, { room: 'lobby', userId: 'ada', seconds: 5 }), ErrorCode.VALIDATION_FAILED)),
      ).toEqual(['seconds']);
    }
    expect((await request(app.url).get('/rooms/lobby/bans').set(admin).expect(200)).body).toEqual({ bans: [], next: null });
    expect((await request(app.url).get('/rooms/lobby/mutes').set(admin).expect(200)).body).toEqual({ mutes: [], next: null });
    expect((await request(app.url).get('/rooms/edge/mutes').set(admin).expect(200)).body.mutes).toHaveLength(1);
  });

  it('pages the bans of a room by user id: 100 by default, up to 500, ended ones not listed', async () => {
    const app = await start();
    const users = Array.from({ length: 103 }, (_, i) => `user-${String(i).padStart(3, '0')}`);
    for (const userId of users) await request(app.url).post('/rooms/big/bans').set(admin).send({ userId }).expect(201);
    await request(app.url).post('/rooms/big/mutes').set(admin).send({ userId: 'muted' }).expect(201);
    await request(app.url).post('/rooms/small/bans').set(admin).send({ userId: 'user-000' }).expect(201);

    const first = (await request(app.url).get('/rooms/big/bans').set(admin).expect(200)).body as RoomBansPage;
    expect(first.bans.map((ban) => ban.userId)).toEqual(users.slice(0, 100));
    expect(first.next).toBe('user-099');
    const two = (await request(app.url).get('/rooms/big/bans?limit=2&after=user-050').set(admin).expect(200)).body as RoomBansPage;
    expect(two.bans.map((ban) => ban.userId)).toEqual(['user-051', 'user-052']);
    expect(two.next).toBe('user-052');
    const mutes = (await request(app.url).get('/rooms/big/mutes').set(admin).expect(200)).body as RoomMutesPage;
    expect(mutes.mutes.map((mute) => mute.userId)).toEqual(['muted']);

    // A short ban is listed while it lasts (read right after it is made) and not after.
    await request(app.url).post('/rooms/big/bans').set(admin).send({ userId: 'zz-brief', seconds: 2 }).expect(201);
    const rest = (await request(app.url).get(`/rooms/big/bans?after=${first.next}`).set(admin).expect(200)).body as RoomBansPage;
    expect(rest.bans.map((ban) => ban.userId)).toEqual([...users.slice(100), 'zz-brief']);
    expect(rest.next).toBeNull();
    expect(
      ((await request(app.url).get('/rooms/big/bans?limit=500&after=').set(admin).expect(200)).body as RoomBansPage).bans,
    ).toHaveLength(104);
    await eventually(
      async () => !((await request(app.url).get('/rooms/big/bans?after=user-102').set(admin).expect(200)).body as RoomBansPage).bans.length,
      'the two-second ban ended and is no longer listed',
      5000,
      100,
    );
  });
});

// Skipped with the reason without the services, failing on CI instead (see missingServices).
const servicesMissing = await missingServices();
const describeTwoNodes =
  servicesMissing === undefined
    ? describePostgres
    : (title: string, body: () => void) => describe.skip(`${title} [skipped: ${servicesMissing}]`, body);

describeTwoNodes('moderation across two nodes on PostgreSQL and Redis (e2e, in process)', () => {
  const clients: TestClient[] = [];
  const nodes: RunningApp[] = [];
  let schema: TestSchema;
  const redisPrefix = uniqueName('moderation');

  afterAll(async () => {
    closeAll(clients.splice(0));
    for (const node of nodes.splice(0)) await node.close();
    await schema?.drop();
    await deleteRedisKeys(REDIS_URL, redisPrefix);
  });

  async function client(node: RunningApp, name: string): Promise<TestClient> {
    const connected = await connect(node.url, name);
    clients.push(connected);
    return connected;
  }

  it('a ban made on node a takes the sockets on both nodes out of the room before the answer; a mute reaches both', async () => {
    schema = await TestSchema.create('e2e');
    const env = { DATABASE_URL: schema.url, REDIS_URL, REDIS_PREFIX: redisPrefix };
    nodes.push(await startApp({ ...env, NODE_ID: 'node-a' }), await startApp({ ...env, NODE_ID: 'node-b' }));
    const [a, b] = nodes as [RunningApp, RunningApp];
    const onA = await client(a, 'ada');
    const onB = await client(b, 'ada');
    const bob = await client(b, 'bob');
    for (const member of [bob, onA, onB]) await member.ok('room:join', { room: 'both' });

    await request(a.url).post('/rooms/both/bans').set(admin).send({ userId: 'ada', reason: 'spam' }).expect(201);
    // Checked right after the answer, with no waiting: each node's own sockets and memory.
    expect(await socketsIn(a, 'both', true)).toEqual([]);
    expect(await socketsIn(b, 'both', true)).toEqual(['bob']);
    const message = 'you are banned from room both until an admin lifts it (reason: spam)';
    expect(failure(await onB.request('message:send', { room: 'both', text: 'sneaky' }), ErrorCode.FORBIDDEN).message).toBe(message);
    await expectRefusedEverything(onB, 'both', message);
    for (const tab of [onA, onB]) await expect(tab.waitFor('room:banned')).resolves.toEqual({ room: 'both', reason: 'spam', until: null });
    await expect(bob.waitFor('room:member-left')).resolves.toEqual({ room: 'both', user: { id: 'ada', name: 'ada' } });

    await request(b.url).delete('/rooms/both/bans/ada').set(admin).expect(200);
    await onA.ok('room:join', { room: 'both' });
    await request(b.url).post('/rooms/both/mutes').set(admin).send({ userId: 'ada' }).expect(201);
    expect(failure(await onA.request('message:send', { room: 'both', text: 'hi' }), ErrorCode.FORBIDDEN).message).toBe(
      'you are muted in room both until an admin lifts it',
    );
    await expect(onA.waitFor('room:muted')).resolves.toEqual({ room: 'both', reason: null, until: null });
    await request(a.url).delete('/rooms/both/mutes/ada').set(admin).expect(200);
    await send(onA, 'both', 'heard on b');
    await expect(bob.waitFor('message:new')).resolves.toMatchObject({ text: 'heard on b' });
    await settle(onA, onB, bob);
    for (const tab of [onA, onB]) expect(tab.events('room:banned')).toHaveLength(1);
    expect(onB.events('room:muted')).toHaveLength(1);
    expect(onB.events('room:unmuted')).toHaveLength(1);
    expect(bob.events('room:member-left')).toHaveLength(1);
  });
});
