import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Ack, DirectMessage, Message, MessagePage, MessageSendResult } from '../../src/contract.js';
import { connect, type TestClient, within } from '../support/clients.js';
import { GatewayProcess } from '../support/gateway-process.js';
import { defaultLimits } from '../support/test-limits.js';
import { emitNoAck, eventually } from '../support/suite.js';
import { type Frame, RawSocket, socketEvents } from './support/raw-socket.js';
import { startFlooder } from './support/flooder.js';
import { fragmentFlood, TcpClient } from './support/tcp-websocket.js';
import { HS_SECRET, inSeconds, sign, unsignedToken } from './support/tokens.js';

/** The isolation bound the issue sets: another client's message arrives within this while one floods. */
const DELIVERY_BOUND_MS = 250;
/** How far RSS may sit above the warm start after the whole battery (allocator slack, JIT code). */
const RSS_MARGIN_BYTES = 40 * 1024 * 1024;

/**
 * Hostile input against the real server process (`node dist/main.js`, JWT mode, default limits,
 * JSON logs at info): raw protocol abuse, a flood, oversized packets. After each abuse a fresh
 * client must still be served; at the end the process is up, memory is back near its warm start,
 * nothing unhandled was logged and no secret or message text reached the log.
 */
describe('hostile input against the server process', () => {
  const adminKey = `admin-key-${randomUUID()}`;
  const adminUiPassword = `admin-ui-password-${randomUUID()}`;
  /** Everything that must never appear in the log: keys, every token used, every message text. */
  const secrets = new Set<string>([HS_SECRET, adminKey, adminUiPassword]);
  const clients: TestClient[] = [];
  const raws: RawSocket[] = [];
  let server: GatewayProcess;
  let warmRss = 0;

  async function token(sub: string, claims: Record<string, unknown> = {}): Promise<string> {
    const value = await sign({ sub, ...claims }, HS_SECRET);
    secrets.add(value);
    return value;
  }

  function text(label: string): string {
    const value = `${label} ${randomUUID()}`;
    secrets.add(value);
    return value;
  }

  async function client(user: string): Promise<TestClient> {
    const c = await connect(server.url, user, { auth: { token: await token(user) } });
    clients.push(c);
    return c;
  }

  async function raw(): Promise<RawSocket> {
    const r = await RawSocket.open(server.url);
    raws.push(r);
    return r;
  }

  async function rawConnected(user: string): Promise<RawSocket> {
    const r = await raw();
    expect(await r.connect({ token: await token(user) })).toMatch(/^40\{"sid":/);
    return r;
  }

  /** "Still up": a fresh pair of clients can connect, join, send and receive. */
  async function assertServes(): Promise<void> {
    const id = randomUUID().slice(0, 8);
    const [a, b] = await Promise.all([client(`probe-a-${id}`), client(`probe-b-${id}`)]);
    const room = `probe-${id}`;
    await a.ok('room:join', { room });
    await b.ok('room:join', { room });
    const { message } = await a.ok<MessageSendResult>('message:send', { room, text: text('probe') });
    await expect(b.waitFor('message:new')).resolves.toEqual(message);
    a.close();
    b.close();
  }

  beforeAll(async () => {
    server = await GatewayProcess.start({
      // The limits a client meets in production; only those counted per address stay raised, as
      // every client here connects from 127.0.0.1.
      ...defaultLimits(
        'RATE_LIMIT_PER_SECOND',
        'RATE_LIMIT_BURST',
        'TYPING_RATE_LIMIT_PER_SECOND',
        'TYPING_RATE_LIMIT_BURST',
        'MAX_CONNECTIONS_PER_USER',
        'MAX_ROOMS_PER_SOCKET',
      ),
      JWT_SECRET: HS_SECRET,
      ADMIN_API_KEY: adminKey,
      ADMIN_UI: 'true',
      ADMIN_UI_PASSWORD: adminUiPassword,
      // High enough that every hostile login below reaches the credential checks, not the throttle.
      ADMIN_UI_LOGIN_FAILURES_PER_MINUTE: '1000',
    });
    // Warm up with the same kinds of traffic as the battery, so the baseline is a warm process.
    for (let i = 0; i < 3; i++) await assertServes();
    warmRss = server.rssBytes();
  }, 90_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const r of raws) r.close();
    await server?.stop();
  });

  describe('raw socket.io frames on an authenticated connection', () => {
    const closing: Array<[string, Frame[]]> = [
      ['42[{"toString":"foo"}] (object as event name)', ['42[{"toString":"foo"}]']],
      ['42[true,"foo"] (boolean as event name)', ['42[true,"foo"]']],
      ['42[null,"bar"] (null as event name)', ['42[null,"bar"]']],
      ['2[{"toString":"foo"}] sent as an engine.io packet', ['2[{"toString":"foo"}]']],
      ['2[true,"foo"] sent as an engine.io packet', ['2[true,"foo"]']],
      ['2[null,"bar"] sent as an engine.io packet', ['2[null,"bar"]']],
      [
        '51-["hello",{"_placeholder":true,"num":"splice"}] with a binary frame',
        ['451-["hello",{"_placeholder":true,"num":"splice"}]', Buffer.from([1, 2, 3])],
      ],
      ['511-[...] (more attachments than allowed)', ['4511-["hello",{"_placeholder":true,"num":0}]']],
      ['40 a second time', ['40{}']],
      ['4abc (not a socket.io packet)', ['4abc']],
      ['an empty frame', ['']],
    ];

    it.each(closing)('%s closes that connection only', async (_name, frames) => {
      const bystander = await rawConnected(`bystander-${randomUUID().slice(0, 8)}`);
      const abuser = await rawConnected(`abuser-${randomUUID().slice(0, 8)}`);
      abuser.send(...frames);
      await abuser.waitClosed('the abusive connection to be closed');
      expect(bystander.isOpen).toBe(true);
      await assertServes();
    });

    it('42["error"] is answered as an unknown event and runs nothing', async () => {
      const r = await rawConnected('error-event');
      r.send('42["error"]');
      const answer = await r.next((f) => typeof f === 'string' && f.includes('"exception"'), 'exception');
      expect(socketEvents([answer])).toEqual([['exception', { event: 'error', code: 'UNKNOWN_EVENT', message: 'unknown event error' }]]);
      await assertServes();
    });

    it('5 (an engine.io upgrade on a WebSocket) is ignored and the connection keeps working', async () => {
      const r = await rawConnected('upgrade-packet');
      r.send('5', '421["room:history",{"room":"lobby","limit":1}]');
      const ack = await r.next((f) => typeof f === 'string' && f.startsWith('431'), 'ack 1');
      expect(JSON.parse((ack as string).slice(3))).toEqual([{ ok: true, data: { messages: [], hasMore: false } }]);
      await assertServes();
    });

    it('__proto__ and constructor.prototype payloads are refused and leave prototypes alone', async () => {
      const r = await rawConnected('polluter');
      r.send(
        '421["room:join",{"room":"proto","__proto__":{"isAdmin":true,"allowedRooms":[]}}]',
        '422["announce",{"text":"x","constructor":{"prototype":{"isAdmin":true}}}]',
        '423["room:join",{"room":"proto"}]',
        '424["announce",{"text":"still not an admin"}]',
      );
      const acks = await Promise.all(
        [1, 2, 3, 4].map((id) => r.next((f) => typeof f === 'string' && f.startsWith(`43${id}[`), `ack ${id}`)),
      );
      const [joinPolluted, announcePolluted, join, announce] = acks.map((f) => (JSON.parse((f as string).slice(3)) as [Ack<unknown>])[0]);
      expect(joinPolluted).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      expect(announcePolluted).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
      // Had Object.prototype gained allowedRooms: [] or isAdmin: true, these two would differ.
      expect(join).toMatchObject({ ok: true, data: { room: 'proto' } });
      expect(announce).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
      await assertServes();
    });

    it('a signed token carrying __proto__.role = admin does not make an admin', async () => {
      const r = await raw();
      const forged = await token('proto-claims', { ['__proto__']: { role: 'admin' } });
      // A computed key makes an own "__proto__" property, just as JSON.parse does on the server.
      expect(Buffer.from(forged.split('.')[1]!, 'base64url').toString()).toContain('__proto__');
      expect(await r.connect({ token: forged })).toMatch(/^40/);
      r.send('421["announce",{"text":"hello"}]');
      const ack = await r.next((f) => typeof f === 'string' && f.startsWith('431'), 'announce ack');
      expect(JSON.parse((ack as string).slice(3))).toMatchObject([{ ok: false, error: { code: 'FORBIDDEN' } }]);
    });
  });

  describe('before and around the handshake', () => {
    it('42[...] before CONNECT closes the connection and is never processed', async () => {
      const bob = await client('bob-before-connect');
      const r = await raw();
      r.send(`42${JSON.stringify(['message:direct', { to: 'bob-before-connect', text: text('before connect') }])}`);
      await r.waitClosed('the connection to be closed');
      await bob.barrier();
      expect(bob.events('message:direct')).toHaveLength(0);
    });

    it('an event sent straight after a refused handshake is never processed', async () => {
      const bob = await client('bob-after-refusal');
      const refused: string[] = [
        await token('mallory', { exp: inSeconds(-10) }),
        unsignedToken({ sub: 'mallory' }),
        await sign({ sub: 'mallory' }, 'another-secret-of-at-least-32-characters!!'),
      ];
      for (const bad of refused) secrets.add(bad);
      const directToBob = (): string => `42${JSON.stringify(['message:direct', { to: 'bob-after-refusal', text: text('after refusal') }])}`;
      for (const bad of refused) {
        // In the same breath as the CONNECT: the event meets a namespace that is not connected.
        const eager = await raw();
        eager.send(`40${JSON.stringify({ token: bad })}`, directToBob());
        await eager.waitClosed('the eager connection to be closed');
        const answers = eager.frames.filter((f) => typeof f === 'string' && /^4[04]/.test(f));
        expect(answers.every((f) => (f as string).startsWith('44{"message":"UNAUTHORIZED"'))).toBe(true);
        // Right after reading the refusal.
        const patient = await raw();
        expect(await patient.connect({ token: bad })).toMatch(/^44\{"message":"UNAUTHORIZED","data":\{"code":"UNAUTHORIZED"/);
        patient.send(directToBob());
        await patient.waitClosed('the refused connection to be closed');
      }
      await bob.barrier();
      expect(bob.events('message:direct')).toHaveLength(0);
      const history = await bob.ok<MessagePage<DirectMessage>>('direct:history', { with: 'mallory' });
      expect(history.messages).toEqual([]);
    });

    it.each<[string, string]>([
      ['a string', '40"token"'],
      ['an array', '40["token"]'],
    ])('a CONNECT whose auth is %s closes the connection', async (_name, frame) => {
      const r = await raw();
      r.send(frame);
      await r.waitClosed('the connection to be closed');
    });

    it.each<[string, unknown]>([
      ['an operator object', { $ne: null }],
      ['a number', 1],
      ['a 60 KB string', 'a'.repeat(60_000)],
      ['three empty segments', '..'],
      ['a token with an overlong header', `${Buffer.from('{"alg":"HS256","x":"' + 'y'.repeat(40_000) + '"}').toString('base64url')}.e30.`],
    ])('a CONNECT whose token is %s is refused UNAUTHORIZED', async (_name, hostileToken) => {
      const r = await raw();
      expect(await r.connect({ token: hostileToken })).toMatch(/^44\{"message":"UNAUTHORIZED"/);
    });

    it('two CONNECTs before the first answer leave no connection behind once closed', async () => {
      const user = 'double-connect';
      const auth = JSON.stringify({ token: await token(user) });
      const r = await raw();
      r.send(`40${auth}`, `40${auth}`);
      await r.next((f) => typeof f === 'string' && f.startsWith('40{'), 'a CONNECT answer');
      r.close();
      const bearer = `Bearer ${await token('reader')}`;
      await eventually(
        async () => (await request(server.url).get(`/users/${user}`).set('Authorization', bearer)).status === 404,
        `${user} is gone from presence`,
        undefined,
        50,
      );
      await assertServes();
    });

    it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
      '?EIO=4&transport=%s is refused as an unknown transport',
      async (transport) => {
        const res = await request(server.url).get(`/socket.io/?EIO=4&transport=${transport}`);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ code: 0, message: 'Transport unknown' });
      },
    );

    it('an upgrade request with a body is refused without hurting anyone', async () => {
      const tcp = await TcpClient.open(server.url);
      const body = Buffer.alloc(200_000, 'x');
      tcp.write(TcpClient.upgradeRequest(new URL(server.url).host, [`Content-Length: ${body.length}`]));
      tcp.write(body);
      await tcp.waitEnded('the server to end the connection');
      const status = tcp.received.toString('latin1').split('\r\n')[0] ?? '';
      // Either refused outright, or upgraded and then closed on the garbage "frames".
      expect(status).toMatch(/^HTTP\/1\.1 (101|400)/);
      await assertServes();
    });

    it('a flood of fragments of one unfinished message is cut off at MAX_PAYLOAD_BYTES', async () => {
      const tcp = await TcpClient.open(server.url);
      tcp.write(TcpClient.upgradeRequest(new URL(server.url).host));
      expect(await tcp.statusLine()).toBe('HTTP/1.1 101 Switching Protocols');
      // 1 MiB in 1 KiB fragments that never finish: 16 x the 64 KiB default.
      tcp.write(fragmentFlood(1024, 1024));
      await tcp.waitEnded('the server to end the connection');
      const frames = tcp.received.subarray(tcp.received.indexOf('\r\n\r\n') + 4);
      // The last frame the server sent is a close frame with status 1009 (message too big).
      const close = frames.subarray(frames.lastIndexOf(Buffer.from([0x88])));
      expect(close.readUInt16BE(2)).toBe(1009);
      await assertServes();
    });

    it('a packet over MAX_PAYLOAD_BYTES closes that connection; others keep receiving', async () => {
      const [sender, reader, big] = await Promise.all([client('size-sender'), client('size-reader'), client('size-big')]);
      await Promise.all([sender.ok('room:join', { room: 'sizes' }), reader.ok('room:join', { room: 'sizes' })]);
      const disconnected = new Promise<string>((resolve) => big.socket.once('disconnect', resolve));
      emitNoAck(big, 'message:send', { room: 'sizes', text: 'x'.repeat(70 * 1024) });
      await expect(within(disconnected, 'the oversized sender to be disconnected')).resolves.toBe('transport close');
      const { message } = await sender.ok<MessageSendResult>('message:send', { room: 'sizes', text: text('after big') });
      await expect(reader.waitFor('message:new')).resolves.toEqual(message);
    });
  });

  describe('the admin UI namespace', () => {
    /** A raw CONNECT to /admin; resolves with the answer (`40/admin,...` or `44/admin,...`). */
    async function adminConnect(auth: unknown): Promise<string> {
      const r = await raw();
      r.send(`40/admin,${JSON.stringify(auth)}`);
      return (await r.next((f) => typeof f === 'string' && /^4[04]\/admin,/.test(f), 'the /admin CONNECT answer')) as string;
    }

    it.each<[string, unknown]>([
      ['no password', { username: 'admin' }],
      ['a number as password', { username: 'admin', password: 12345 }],
      ['null as password', { username: 'admin', password: null }],
      ['an object as password', { username: 'admin', password: { $gt: '' } }],
      ['an array as password', { username: 'admin', password: ['x'] }],
      ['a 60 KB password', { username: 'admin', password: 'p'.repeat(60_000) }],
      ['a number as username and password', { username: 1, password: 2 }],
      ['an object as session id', { sessionId: { length: 16 } }],
      ['an empty auth object', {}],
    ])('a handshake with %s gets connect_error and the process keeps serving', async (_name, auth) => {
      expect(await adminConnect(auth)).toBe('44/admin,{"message":"invalid credentials"}');
      expect(server.alive).toBe(true);
      await assertServes();
    });

    it('the configured credentials still log in', async () => {
      expect(await adminConnect({ username: 'admin', password: adminUiPassword })).toMatch(/^40\/admin,\{"sid":/);
    });
  });

  describe('a client flooding at 1000 events per second', () => {
    it('is rate limited and cut off while another user still gets messages within 250 ms', async () => {
      const [alice, bob] = await Promise.all([client('iso-alice'), client('iso-bob')]);
      await alice.ok('room:join', { room: 'isolation' });
      await bob.ok('room:join', { room: 'isolation' });

      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      bob.socket.on('message:new', (m: Message) => {
        const started = sentAt.get(m.text);
        if (started !== undefined) latencies.push(Date.now() - started);
      });
      const flooder = startFlooder(server.url, await token('flooder'));
      await flooder.started;
      // Alice sends at her own pace (4 per second, well within her own limit) for 3 seconds.
      for (let i = 0; i < 12; i++) {
        const body = text(`isolation ${i}`);
        sentAt.set(body, Date.now());
        emitNoAck(alice, 'message:send', { room: 'isolation', text: body });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const report = await flooder.stop();
      await bob.barrier();

      expect(latencies).toHaveLength(sentAt.size);
      expect(Math.max(...latencies)).toBeLessThan(DELIVERY_BOUND_MS);
      expect(report.retryAfterMs.length).toBeGreaterThan(100);
      expect(report.retryAfterMs.every((ms) => ms > 0 && ms <= 100)).toBe(true);
      expect(report.cutOffs).toBeGreaterThanOrEqual(2);
      await assertServes();
    }, 30_000);
  });

  describe('the process afterwards', () => {
    it('REST with credentials works and leaves no credential in the log', async () => {
      const reader = await token('rest-reader');
      await request(server.url).get('/users').set('Authorization', `Bearer ${reader}`).expect(200);
      await request(server.url).get('/users').expect(401);
      await request(server.url)
        .post('/announcements')
        .set('X-Api-Key', adminKey)
        .send({ text: text('announcement') })
        .expect(201);
      await request(server.url).post('/announcements').set('X-Api-Key', `${adminKey}x`).send({ text: 'nope' }).expect(401);
    });

    it('repeating the raw abuse does not grow memory, log anything unhandled or leak a secret', async () => {
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          [['42[{"toString":"foo"}]'], ['4511-[]'], ['4abc'], ['451-["x",{"_placeholder":true,"num":"splice"}]', Buffer.from([1])]].map(
            async (frames) => {
              const r = await rawConnected(`round-${round}-${randomUUID().slice(0, 6)}`);
              r.send(...frames);
              await r.waitClosed('abusive connection closed');
            },
          ),
        );
        const r = await raw();
        expect(await r.connect({ token: unsignedToken({ sub: 'none' }) })).toMatch(/^44/);
      }
      await assertServes();
      for (const c of clients) c.close();
      for (const r of raws) r.close();

      expect(server.alive).toBe(true);
      const rss = server.rssBytes();
      expect(rss).toBeLessThan(warmRss + RSS_MARGIN_BYTES);

      const log = server.lines.join('\n');
      expect(log).not.toMatch(/unhandled|uncaught/i);
      const severe = server.entries.filter((e) => typeof e.level !== 'number' || e.level >= 50);
      expect(severe).toEqual([]);
      const leaked = [...secrets].filter((secret) => log.includes(secret));
      expect(leaked).toEqual([]);
      // The signatures alone must not be there either (a token logged in part is still a token).
      const signatures = [...secrets].filter((s) => s.split('.').length === 3).map((t) => t.split('.')[2]!);
      expect(signatures.filter((sig) => sig.length > 0 && log.includes(sig))).toEqual([]);
    }, 60_000);
  });
});

/**
 * The process's unhandled-rejection policy (src/logging/unhandled-rejections.ts). No client input
 * can cause a rejection (that is what the battery above checks), so a preloaded module makes one
 * on SIGUSR2 in an otherwise ordinary server process.
 */
describe('an unhandled promise rejection in the server process', () => {
  const probe = `probe-rejection-${randomUUID()}`;
  const preload = `process.on('SIGUSR2', () => { Promise.reject(new Error('${probe}')); });`;
  let server: GatewayProcess;

  beforeAll(async () => {
    server = await GatewayProcess.start({
      NODE_OPTIONS: `--import=data:text/javascript;base64,${Buffer.from(preload).toString('base64')}`,
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('is logged as an error with its stack, and the process keeps serving', async () => {
    server.signal('SIGUSR2');
    const logged = (): Array<Record<string, unknown>> =>
      server.entries.filter((e) => e.msg === 'unhandled promise rejection; the process keeps serving');
    await eventually(() => logged().length === 1 || !server.alive, 'the rejection to be logged');
    expect(server.alive).toBe(true);
    const [entry] = logged();
    expect(entry).toMatchObject({ level: 50, context: 'Process', err: { type: 'Error', message: probe } });
    expect(String((entry!.err as { stack?: unknown }).stack)).toContain(`Error: ${probe}`);
    await request(server.url).get('/health').expect(200);
    const c = await connect(server.url, 'after-rejection');
    await c.ok('room:join', { room: 'after-rejection' });
    c.close();
  });
});
