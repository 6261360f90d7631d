import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { DirectMessage, DirectSendResult, Message, MessagePage, MessageSendResult, RoomJoinResult } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { RawSocket } from './support/raw-socket.js';

/** Text that breaks naive SQL or HTML handling; it must come back exactly as sent. */
const HOSTILE_TEXTS = [
  "'; DROP TABLE messages; --",
  "Robert'); DELETE FROM rooms WHERE '1'='1",
  '" OR 1=1 -- ',
  '<script>alert(document.cookie)</script>',
  '<img src=x onerror="alert(1)"> &amp; &lt;b&gt;',
  '${process.exit(1)} {{constructor.constructor("return process")()}} %s %d %n',
  '\\x27 \\u0027 \\\\ \' " `',
  'line one\nline two\r\n\ttabbed',
  'emoji 🧨 and RTL \u202e gnp.exe and zero\u200bwidth',
];

/** Objects an attacker hopes will reach a merge or an assignment as keys. */
const POLLUTING_JSON = [
  '{"__proto__":{"polluted":"yes","isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes","isAdmin":true}}}',
  '{"__proto__":{"__proto__":{"polluted":"yes"}}}',
];

interface PrototypeSnapshot {
  object: string[];
  array: string[];
  fn: string[];
}

function snapshot(): PrototypeSnapshot {
  return {
    object: Object.getOwnPropertyNames(Object.prototype).sort(),
    array: Object.getOwnPropertyNames(Array.prototype).sort(),
    fn: Object.getOwnPropertyNames(Function.prototype).sort(),
  };
}

describe('hostile payloads', () => {
  let server: RunningApp;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startApp();
  });
  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });

  async function client(name: string, auth?: Record<string, unknown>): Promise<TestClient> {
    const c = await connect(server.url, name, { auth });
    clients.push(c);
    return c;
  }

  it('__proto__ and constructor.prototype anywhere in the input leave Object.prototype untouched', async () => {
    const before = snapshot();
    const c = await client('proto');
    await c.ok('room:join', { room: 'proto-room' });
    for (const json of POLLUTING_JSON) {
      const evil = JSON.parse(json) as Record<string, unknown>;
      // As the whole payload, merged into a valid payload, and nested in a field.
      for (const event of ['room:join', 'message:send', 'direct:history', 'typing', 'announce', 'auth:refresh']) {
        const answers = [
          await c.request(event, evil),
          await c.request(event, { room: 'proto-room', text: 'x', ...evil }),
          await c.request(event, { room: evil, text: evil, with: evil, token: evil, typing: evil }),
        ];
        for (const answer of answers) expect(answer).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      }
      // In the handshake auth object.
      const raw = await RawSocket.open(server.url);
      expect(await raw.connect({ username: 'proto-hs', ...evil })).toMatch(/^40/);
      raw.send('421["announce",{"text":"am I admin?"}]');
      const ack = await raw.next((f) => typeof f === 'string' && f.startsWith('431'), 'announce ack');
      expect(JSON.parse((ack as string).slice(3))).toMatchObject([{ ok: false, error: { code: 'FORBIDDEN' } }]);
      raw.close();
      // In REST bodies and query strings.
      const body = await request(server.url)
        .post('/announcements')
        .set('X-Api-Key', 'test-admin-key')
        .set('Content-Type', 'application/json')
        .send(`{"text":"hi",${json.slice(1)}`);
      // class-transformer drops these keys before validation sees them: accepted, ignored.
      expect(body.status).toBe(201);
      expect(Object.keys(body.body.announcement).sort()).toEqual(['from', 'id', 'sentAt', 'text']);
      await request(server.url).get('/rooms/proto-room/messages?__proto__[polluted]=yes&constructor[prototype][polluted]=yes').expect(400);
    }
    expect(snapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    // The server still behaves: a fresh message round trip works.
    const other = await client('proto-peer');
    await other.ok('room:join', { room: 'proto-room' });
    await c.ok('message:send', { room: 'proto-room', text: 'still fine' });
    await expect(other.waitFor('message:new')).resolves.toMatchObject({ text: 'still fine' });
  });

  it('SQL and HTML text is stored and returned verbatim on every path', async () => {
    const sender = await client('verbatim-sender');
    const receiver = await client('verbatim-receiver');
    await sender.ok('room:join', { room: 'verbatim' });
    await receiver.ok('room:join', { room: 'verbatim' });

    const acked: Message[] = [];
    for (const text of HOSTILE_TEXTS) {
      const { message } = await sender.ok<MessageSendResult>('message:send', { room: 'verbatim', text });
      expect(message.text).toBe(text);
      acked.push(message);
    }
    await receiver.waitFor('message:new', HOSTILE_TEXTS.length);
    expect(receiver.events('message:new').map((m) => m.text)).toEqual(HOSTILE_TEXTS);

    const history = await receiver.ok<MessagePage<Message>>('room:history', { room: 'verbatim', limit: 100 });
    expect(history.messages.map((m) => m.text)).toEqual(HOSTILE_TEXTS);
    const joined = await (await client('late-joiner')).ok<RoomJoinResult>('room:join', { room: 'verbatim', historyLimit: 100 });
    expect(joined.history.map((m) => m.text)).toEqual(HOSTILE_TEXTS);

    const rest = await request(server.url).get('/rooms/verbatim/messages?limit=100').expect(200);
    expect(rest.headers['content-type']).toMatch(/^application\/json/);
    expect(rest.body.messages).toEqual(acked);

    const direct: DirectMessage[] = [];
    for (const text of HOSTILE_TEXTS) {
      direct.push((await sender.ok<DirectSendResult>('message:direct', { to: 'verbatim-receiver', text })).message);
    }
    await receiver.waitFor('message:direct', HOSTILE_TEXTS.length);
    expect(receiver.events('message:direct').map((m) => m.text)).toEqual(HOSTILE_TEXTS);
    const dm = await receiver.ok<MessagePage<DirectMessage>>('direct:history', { with: 'verbatim-sender', limit: 100 });
    expect(dm.messages).toEqual(direct);

    const admin = await request(server.url)
      .post('/announcements')
      .set('X-Api-Key', 'test-admin-key')
      .send({ text: HOSTILE_TEXTS[3] })
      .expect(201);
    expect(admin.body.announcement.text).toBe(HOSTILE_TEXTS[3]);
    await expect(receiver.waitFor('announcement')).resolves.toMatchObject({ text: HOSTILE_TEXTS[3] });
  });

  it('users and rooms named after Object.prototype members are ordinary names', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const users = await Promise.all(names.map((name) => client(name)));
    for (const [i, user] of users.entries()) {
      expect(user.session?.user).toEqual({ id: names[i], name: names[i] });
      await user.ok('room:join', { room: names[(i + 1) % names.length]!.replace(/^_+/, 'p') });
    }
    const [proto, ctor] = users as [TestClient, TestClient];
    const { message } = await proto.ok<DirectSendResult>('message:direct', { to: 'constructor', text: 'hello' });
    await expect(ctor.waitFor('message:direct')).resolves.toEqual(message);
    await expect(ctor.ok<MessagePage<DirectMessage>>('direct:history', { with: '__proto__' })).resolves.toEqual({
      messages: [message],
      hasMore: false,
    });
    await proto.ok('room:join', { room: 'toString' });
    const sent = await proto.ok<MessageSendResult>('message:send', { room: 'toString', text: 'in toString' });
    await expect(users[3]!.ok<MessagePage<Message>>('room:history', { room: 'toString' })).resolves.toEqual({
      messages: [sent.message],
      hasMore: false,
    });
    const listed = await request(server.url).get('/users/__proto__').expect(200);
    expect(listed.body).toMatchObject({ id: '__proto__', connections: 1 });
    await request(server.url).get('/rooms/constructor').expect(200);
    await request(server.url).get('/rooms/valueOf').expect(404);
  });

  it('REST bodies nested deeper than 32 levels are 400 VALIDATION_FAILED, not a stack overflow answered 500', async () => {
    const post = (body: string) =>
      request(server.url).post('/announcements').set('X-Api-Key', 'test-admin-key').set('Content-Type', 'application/json').send(body);
    const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const tooDeep = 'request body nests deeper than 32 levels';
    // Each of these is a few KB to 30 KB, under the 100 KB body limit.
    for (const body of [`{"text":${arrays(5000)}}`, `{"text":"hi","x":${objects(5000)}}`, arrays(10_000), `{"text":${arrays(32)}}`]) {
      const res = await post(body);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 400,
        body: { statusCode: 400, code: 'VALIDATION_FAILED', message: tooDeep },
      });
    }
    // 32 levels in all (the body object and 31 below it) still reach validation.
    const atLimit = await post(`{"text":${arrays(31)}}`);
    expect(atLimit.status).toBe(400);
    expect(atLimit.body).toMatchObject({ code: 'VALIDATION_FAILED', message: 'request is invalid' });
    await post('{"text":"still served"}').expect(201);
  });

  it('a REST body that is not JSON gets a constant message that never quotes the body', async () => {
    const marker = 'secret-body-marker-7f3a';
    for (const body of [marker, `{"text":"${marker}`, `{"text":"hi",${marker}}`, `["${marker}"`, `{"text":"hi"} ${marker}`]) {
      const res = await request(server.url)
        .post('/announcements')
        .set('X-Api-Key', 'test-admin-key')
        .set('Content-Type', 'application/json')
        .send(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, code: 'VALIDATION_FAILED', message: 'request body is not valid JSON' });
      expect(res.text).not.toContain(marker.slice(0, 6));
    }
  });

  it('hostile strings in identifiers are refused, not interpreted', async () => {
    const c = await client('ids');
    for (const room of ["lobby'; DROP TABLE rooms; --", '<script>', '../../etc/passwd', 'user:ids', '__proto__', ' lobby']) {
      await expect(c.request('room:join', { room })).resolves.toMatchObject({
        ok: false,
        error: { code: expect.stringMatching(/VALIDATION_FAILED|FORBIDDEN/) },
      });
    }
    for (const path of ["/rooms/x'%20OR%201=1/messages", '/rooms/%3Cscript%3E', '/users/%3Cimg%20src=x%3E']) {
      await request(server.url).get(path).expect(400);
    }
    for (const username of ["' OR 1=1 --", '<b>', '__proto__ ', '']) {
      const raw = await RawSocket.open(server.url);
      expect(await raw.connect({ username })).toMatch(/^44\{"message":"UNAUTHORIZED"/);
      raw.close();
    }
  });
});
