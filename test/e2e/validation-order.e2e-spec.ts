import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { HS_SECRET, sign, type Claims } from '../security/support/tokens.js';
import { type RunningApp, startApp } from '../support/app.js';
import { detailFields, ErrorCode, failure } from '../support/acks.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { ADMIN_KEY, e2eApp } from '../support/suite.js';

const MAX_MESSAGE_LENGTH = 20;
const TOO_LONG = 'x'.repeat(MAX_MESSAGE_LENGTH + 1);

/**
 * One socket event sent twice by a client that breaks a membership, permission or identity rule:
 * once with a well-formed payload (refused by that rule), once with a payload that also breaks a
 * payload rule (VALIDATION_FAILED naming the payload's fields: the rule was never looked at).
 */
interface OrderCase {
  event: string;
  rule: string;
  /** Who sends it (default ada): cases that leave stored state behind (memberships) get a user of their own. */
  user?: string;
  /** Run first on the same socket (to fill a cap, say). */
  setup?: (client: TestClient) => Promise<void>;
  wellFormed: unknown;
  refusedAs: ErrorCode;
  /** For a rule that answers VALIDATION_FAILED itself: the fields it names. */
  refusedFields?: string[];
  malformed: unknown;
  fields: string[];
}

async function expectOrder(client: TestClient, c: OrderCase): Promise<void> {
  await c.setup?.(client);
  const refused = failure(await client.request(c.event, c.wellFormed), c.refusedAs);
  if (c.refusedFields) expect(detailFields(refused)).toEqual(c.refusedFields);
  const invalid = failure(await client.request(c.event, c.malformed), ErrorCode.VALIDATION_FAILED);
  expect(detailFields(invalid)).toEqual(c.fields);
}

/** Every event of the contract, open mode, from the non-admin user ada who has joined nothing. */
const OPEN_MODE_CASES: OrderCase[] = [
  {
    event: 'room:join',
    rule: 'reserved room',
    wellFormed: { room: 'user:bob' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'user:bob', historyLimit: 101 },
    fields: ['historyLimit'],
  },
  {
    event: 'room:join',
    rule: 'MAX_ROOMS_PER_SOCKET reached',
    setup: async (client) => {
      await client.ok('room:join', { room: 'first' });
    },
    wellFormed: { room: 'second' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'second', sinceSeq: -1 },
    fields: ['sinceSeq'],
  },
  {
    event: 'room:join',
    rule: 'MAX_MEMBERSHIPS_PER_USER reached',
    user: 'member-of-one',
    setup: async (client) => {
      // The membership stays after the socket leaves; the socket's own room cap is free again.
      await client.ok('room:join', { room: 'kept' });
      await client.ok('room:leave', { room: 'kept' });
    },
    wellFormed: { room: 'second' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'second', sinceRev: -1 },
    fields: ['sinceRev'],
  },
  {
    event: 'room:leave',
    rule: 'reserved room',
    wellFormed: { room: 'system:ops' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'system:ops', historyLimit: 1 },
    fields: ['historyLimit'],
  },
  {
    event: 'room:history',
    rule: 'reserved room',
    wellFormed: { room: 'user:bob' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'user:bob', limit: 0 },
    fields: ['limit'],
  },
  {
    event: 'message:send',
    rule: 'not joined',
    wellFormed: { room: 'elsewhere', text: 'hi' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'elsewhere', text: '' },
    fields: ['text'],
  },
  {
    event: 'message:send',
    rule: 'not joined (text too long)',
    wellFormed: { room: 'elsewhere', text: 'hi' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'elsewhere', text: TOO_LONG },
    fields: ['text'],
  },
  {
    event: 'message:send',
    rule: 'reserved room',
    wellFormed: { room: 'user:ada', text: 'hi' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'user:ada', text: ' \n ' },
    fields: ['text'],
  },
  {
    event: 'message:direct',
    rule: 'to yourself',
    wellFormed: { to: 'ada', text: 'hi' },
    refusedAs: ErrorCode.VALIDATION_FAILED,
    refusedFields: ['to'],
    malformed: { to: 'ada', text: TOO_LONG },
    fields: ['text'],
  },
  {
    event: 'direct:history',
    rule: 'beforeId outside the conversation',
    wellFormed: { with: 'bob', beforeId: 'not-a-message' },
    refusedAs: ErrorCode.NOT_FOUND,
    malformed: { with: 'bob', beforeId: 'not-a-message', limit: 0 },
    fields: ['limit'],
  },
  {
    event: 'typing',
    rule: 'not joined',
    wellFormed: { room: 'elsewhere', typing: true },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'elsewhere', typing: 'yes' },
    fields: ['typing'],
  },
  {
    event: 'announce',
    rule: 'not admin',
    wellFormed: { text: 'hello all' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { text: '' },
    fields: ['text'],
  },
  {
    event: 'announce',
    rule: 'not admin (text too long)',
    wellFormed: { text: 'hello all' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { text: TOO_LONG },
    fields: ['text'],
  },
  {
    event: 'room:forget',
    rule: 'reserved room',
    wellFormed: { room: 'user:bob' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'user:bob', seq: 1 },
    fields: ['seq'],
  },
  {
    event: 'room:read',
    rule: 'not a member',
    wellFormed: { room: 'elsewhere', seq: 0 },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'elsewhere', seq: -1 },
    fields: ['seq'],
  },
  {
    event: 'room:read',
    rule: 'seq past the last message',
    user: 'reader',
    setup: async (client) => {
      await client.ok('room:join', { room: 'readable' });
    },
    wellFormed: { room: 'readable', seq: 5 },
    refusedAs: ErrorCode.VALIDATION_FAILED,
    refusedFields: ['seq'],
    malformed: { room: 'readable', seq: 5, upTo: 5 },
    fields: ['upTo'],
  },
  {
    event: 'message:edit',
    rule: 'not joined',
    wellFormed: { room: 'elsewhere', seq: 1, text: 'fixed' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'elsewhere', seq: 1, text: TOO_LONG },
    fields: ['text'],
  },
  {
    event: 'message:edit',
    rule: 'no such message',
    user: 'editor',
    setup: async (client) => {
      await client.ok('room:join', { room: 'editable' });
    },
    wellFormed: { room: 'editable', seq: 1, text: 'fixed' },
    refusedAs: ErrorCode.NOT_FOUND,
    malformed: { room: 'editable', seq: 0, text: 'fixed' },
    fields: ['seq'],
  },
  {
    event: 'message:delete',
    rule: 'reserved room',
    wellFormed: { room: 'user:bob', seq: 1 },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'user:bob', seq: 1, text: '' },
    fields: ['text'],
  },
  {
    event: 'message:delete',
    rule: 'no such message',
    wellFormed: { room: 'elsewhere', seq: 1 },
    refusedAs: ErrorCode.NOT_FOUND,
    malformed: { room: 'elsewhere', seq: 1.5 },
    fields: ['seq'],
  },
  ...(['room:ban', 'room:mute'] as const).map((event): OrderCase => ({
    event,
    rule: 'not an admin connection',
    wellFormed: { room: 'lobby', userId: 'bob', seconds: 60 },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'lobby', userId: 'bob', seconds: 0 },
    fields: ['seconds'],
  })),
  ...(['room:unban', 'room:unmute'] as const).map((event): OrderCase => ({
    event,
    rule: 'not an admin connection',
    wellFormed: { room: 'lobby', userId: 'bob' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { room: 'lobby', userId: 'bob', reason: 'x' },
    fields: ['reason'],
  })),
  {
    event: 'auth:refresh',
    rule: 'open mode',
    wellFormed: { token: 'some-token' },
    refusedAs: ErrorCode.FORBIDDEN,
    malformed: { token: '' },
    fields: ['token'],
  },
];

describe('payload rules come before every other rule (e2e)', () => {
  describe('open mode', () => {
    const server = e2eApp({ MAX_MESSAGE_LENGTH: String(MAX_MESSAGE_LENGTH), MAX_ROOMS_PER_SOCKET: '1', MAX_MEMBERSHIPS_PER_USER: '1' });
    const admin = { 'X-Api-Key': ADMIN_KEY };

    it('covers every client event of the contract that has a rule besides its payload', () => {
      // rooms:list has none: any caller may list their own memberships.
      expect([...new Set(OPEN_MODE_CASES.map((c) => c.event))].sort()).toEqual([
        'announce',
        'auth:refresh',
        'direct:history',
        'message:delete',
        'message:direct',
        'message:edit',
        'message:send',
        'room:ban',
        'room:forget',
        'room:history',
        'room:join',
        'room:leave',
        'room:mute',
        'room:read',
        'room:unban',
        'room:unmute',
        'typing',
      ]);
    });

    it.each(OPEN_MODE_CASES)('$event ($rule): VALIDATION_FAILED before the rule', async (c) => {
      await expectOrder(await server.connect(c.user ?? 'ada'), c);
    });

    it('writes nothing for a malformed chat-state event that a rule would have let through', async () => {
      const writer = await server.connect('writer');
      await writer.ok('room:join', { room: 'stateful' });
      const { message } = await writer.ok<{ message: { seq: number; rev: number } }>('message:send', { room: 'stateful', text: 'kept' });
      const listener = await server.connect('listener');
      await listener.ok('room:join', { room: 'stateful' });
      const refusals: Array<[string, unknown]> = [
        ['room:read', { room: 'stateful', seq: message.seq, at: 'now' }],
        ['message:edit', { room: 'stateful', seq: message.seq, text: TOO_LONG }],
        ['message:edit', { room: 'stateful', seq: message.seq, text: 'changed', clientMsgId: 'x' }],
        ['message:delete', { room: 'stateful', seq: String(message.seq) }],
        ['room:forget', { room: 'stateful', everywhere: true }],
        ['rooms:list', { room: 'stateful' }],
        ['room:join', { room: 'another', sinceRev: 0, sinceSeq: 0 }],
      ];
      for (const [event, payload] of refusals) failure(await writer.request(event, payload), ErrorCode.VALIDATION_FAILED);
      await listener.barrier();
      expect(listener.events('message:updated')).toEqual([]);
      expect(listener.events('room:member-left')).toEqual([]);
      const { rooms } = await writer.ok<{ rooms: Array<{ room: string; readSeq: number }> }>('rooms:list', {});
      expect(rooms.map(({ room, readSeq }) => ({ room, readSeq }))).toEqual([{ room: 'stateful', readSeq: message.seq }]);
      const history = (await server.http().get('/rooms/stateful/messages').expect(200)).body as { messages: unknown[] };
      expect(history.messages).toEqual([message]);
    });

    it('stores and delivers nothing for a malformed message to a room the sender has not joined', async () => {
      const bob = await server.connect('bob');
      await bob.ok('room:join', { room: 'guarded' });
      const ada = await server.connect('ada');
      failure(await ada.request('message:send', { room: 'guarded', text: TOO_LONG }), ErrorCode.VALIDATION_FAILED);
      await bob.barrier();
      expect(bob.events('message:new')).toEqual([]);
      expect((await server.http().get('/rooms/guarded').expect(200)).body.lastSeq).toBe(0);
    });

    describe('REST', () => {
      it.each([
        ['over-long text', { text: TOO_LONG }, ['text']],
        ['blank text', { text: '   ' }, ['text']],
        ['empty clientMsgId', { text: 'hi', clientMsgId: '' }, ['clientMsgId']],
        ['unknown field', { text: 'hi', from: 'system' }, ['from']],
      ])('POST /rooms/<reserved>/messages with %s is 400, not 403', async (_label, body, fields) => {
        for (const room of ['user:bob', 'system:ops']) {
          await server.http().post(`/rooms/${room}/messages`).set(admin).send({ text: 'hi' }).expect(403);
          const res = await server.http().post(`/rooms/${room}/messages`).set(admin).send(body).expect(400);
          expect(res.body).toMatchObject({ statusCode: 400, code: ErrorCode.VALIDATION_FAILED });
          expect(detailFields(res.body)).toEqual(fields);
        }
      });

      it('GET /rooms/<reserved>/messages with a bad query is 400, not 403', async () => {
        await server.http().get('/rooms/user:bob/messages').expect(403);
        const res = await server.http().get('/rooms/user:bob/messages').query({ limit: 0 }).expect(400);
        expect(detailFields(res.body)).toEqual(['limit']);
      });

      it('GET /rooms/<reserved>/members and DELETE /rooms/<reserved>/messages/<seq> with bad input are 400, not 403', async () => {
        await server.http().get('/rooms/user:bob/members').expect(403);
        const members = await server.http().get('/rooms/user:bob/members').query({ limit: 501 }).expect(400);
        expect(detailFields(members.body)).toEqual(['limit']);
        await server.http().delete('/rooms/user:bob/messages/1').set(admin).expect(403);
        const deletion = await server.http().delete('/rooms/user:bob/messages/0').set(admin).expect(400);
        expect(detailFields(deletion.body)).toEqual(['seq']);
      });

      it('checks credentials first, as the handshake does for sockets: no admin key and a malformed body is 401', async () => {
        await server.http().post('/rooms/user:bob/messages').send({ text: TOO_LONG }).expect(401);
        await server.http().post('/announcements').send({ text: '' }).expect(401);
        await server.http().delete('/rooms/user:bob/messages/x').expect(401);
        await server.http().get('/users/not%20an%20id/rooms').expect(401);
      });
    });
  });

  describe('JWT mode', () => {
    let server: RunningApp;
    const clients: TestClient[] = [];

    beforeAll(async () => {
      server = await startApp({ JWT_SECRET: HS_SECRET, MAX_MESSAGE_LENGTH: String(MAX_MESSAGE_LENGTH) });
    });
    afterEach(() => {
      closeAll(clients.splice(0));
    });
    afterAll(async () => {
      await server.close();
    });

    const token = (sub: string, claims: Claims = {}): Promise<string> => sign({ sub, ...claims }, HS_SECRET);

    async function client(sub: string, claims: Claims = {}): Promise<TestClient> {
      const c = await connect(server.url, sub, { auth: { token: await token(sub, claims) } });
      clients.push(c);
      return c;
    }

    it.each([
      {
        event: 'room:join',
        rule: "outside the token's rooms claim",
        wellFormed: { room: 'lobby' },
        refusedAs: ErrorCode.FORBIDDEN,
        malformed: { room: 'lobby', sinceSeq: 0.5 },
        fields: ['sinceSeq'],
      },
      {
        event: 'room:history',
        rule: "outside the token's rooms claim",
        wellFormed: { room: 'lobby' },
        refusedAs: ErrorCode.FORBIDDEN,
        malformed: { room: 'lobby', beforeSeq: 0 },
        fields: ['beforeSeq'],
      },
      {
        event: 'room:read',
        rule: "outside the token's rooms claim",
        wellFormed: { room: 'lobby', seq: 0 },
        refusedAs: ErrorCode.FORBIDDEN,
        malformed: { room: 'lobby', seq: null },
        fields: ['seq'],
      },
      {
        event: 'message:delete',
        rule: "outside the token's rooms claim",
        wellFormed: { room: 'lobby', seq: 1 },
        refusedAs: ErrorCode.FORBIDDEN,
        malformed: { room: 'lobby', seq: -1 },
        fields: ['seq'],
      },
      {
        event: 'auth:refresh',
        rule: 'a token that does not verify',
        wellFormed: { token: 'not-a-jwt' },
        refusedAs: ErrorCode.UNAUTHORIZED,
        malformed: { token: 'not-a-jwt', user: 'admin' },
        fields: ['user'],
      },
    ] satisfies OrderCase[])('$event ($rule): VALIDATION_FAILED before the rule', async (c) => {
      await expectOrder(await client('scoped', { rooms: ['team-*'] }), c);
    });

    it("auth:refresh with another user's token: VALIDATION_FAILED before FORBIDDEN", async () => {
      const scoped = await client('scoped');
      const others = await token('mallory');
      failure(await scoped.request('auth:refresh', { token: others }), ErrorCode.FORBIDDEN);
      const invalid = failure(await scoped.request('auth:refresh', { token: `${others}${'x'.repeat(8192)}` }), ErrorCode.VALIDATION_FAILED);
      expect(detailFields(invalid)).toEqual(['token']);
    });

    it("GET /rooms/:name/messages outside the token's rooms claim with a bad query is 400, not 403", async () => {
      const bearer = `Bearer ${await token('scoped', { rooms: ['team-*'] })}`;
      await request(server.url).get('/rooms/lobby/messages').set('Authorization', bearer).expect(403);
      const res = await request(server.url).get('/rooms/lobby/messages').query({ beforeSeq: 'x' }).set('Authorization', bearer).expect(400);
      expect(detailFields(res.body)).toEqual(['beforeSeq']);
    });

    it("GET /users/:id/rooms checks credentials first: another user's token with a malformed id is 403, an admin's is 400", async () => {
      const user = `Bearer ${await token('ada')}`;
      await request(server.url).get('/users/not%20an%20id/rooms').set('Authorization', user).expect(403);
      const res = await request(server.url)
        .get('/users/not%20an%20id/rooms')
        .set('Authorization', `Bearer ${await token('root', { role: 'admin' })}`)
        .expect(400);
      expect(detailFields(res.body)).toEqual(['id']);
    });

    it('checks credentials first on admin routes: a non-admin token with a malformed body is 403', async () => {
      const user = `Bearer ${await token('ada')}`;
      await request(server.url).post('/announcements').set('Authorization', user).send({ text: '' }).expect(403);
      await request(server.url)
        .post('/announcements')
        .set('Authorization', `Bearer ${await token('root', { role: 'admin' })}`)
        .send({ text: '' })
        .expect(400);
    });
  });
});
