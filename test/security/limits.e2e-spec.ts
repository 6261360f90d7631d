import type { EventEmitter } from 'node:events';
import type { Socket as NetSocket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { ChatEmitter } from '../../src/chat/chat-emitter.js';
import type { ChatServer } from '../../src/chat/chat-socket.js';
import type { Ack, ConnectErrorData, MessageSendResult } from '../../src/contract.js';
import { MemoryPresenceStore } from '../../src/presence/memory-presence.store.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, refusedConnect, type TestClient, within } from '../support/clients.js';
import { emitNoAck, eventually } from '../support/suite.js';
import { RawPoller } from './support/raw-polling.js';
import { RawSocket } from './support/raw-socket.js';
import { HS_SECRET, sign } from './support/tokens.js';

const RATE_LIMITED = { ok: false, error: { code: 'RATE_LIMITED' } };

/** socket.io CONNECT answers in a list of engine.io packets: accepted (`40{"sid"...`) and refused (`44...`). */
function connectAnswers(packets: string[]): { accepted: string[]; refused: string[] } {
  return { accepted: packets.filter((p) => p.startsWith('40{"sid"')), refused: packets.filter((p) => p.startsWith('44')) };
}

function io(running: RunningApp): ChatServer {
  return running.app.get(ChatEmitter).server;
}

/** Sockets on the chat namespace of this node whose user id starts with `prefix`. */
function socketsOf(running: RunningApp, prefix: string): number {
  return [...io(running).of('/').sockets.values()].filter((socket) => socket.data.user?.id.startsWith(prefix)).length;
}

describe('abuse limits', () => {
  let server: RunningApp;
  const clients: TestClient[] = [];
  const raws: RawSocket[] = [];

  async function client(user: string, extraHeaders?: Record<string, string>): Promise<TestClient> {
    const c = await connect(server.url, user, { extraHeaders });
    clients.push(c);
    return c;
  }

  afterEach(() => {
    closeAll(clients.splice(0));
    for (const r of raws.splice(0)) r.close();
  });

  describe('per-user rate limit on inbound events', () => {
    beforeAll(async () => {
      server = await startApp({
        RATE_LIMIT_PER_SECOND: '5',
        RATE_LIMIT_BURST: '5',
        TYPING_RATE_LIMIT_PER_SECOND: '1',
        TYPING_RATE_LIMIT_BURST: '5',
      });
    });
    afterAll(() => server.close());

    it("answers events past the burst with RATE_LIMITED and retryAfterMs, shared by the user's sockets", async () => {
      const [tab1, tab2, other] = await Promise.all([client('limited'), client('limited'), client('unrelated')]);
      const acks = await Promise.all(Array.from({ length: 8 }, () => tab1.request('room:history', { room: 'r', limit: 1 })));
      expect(acks.filter((a) => a.ok)).toHaveLength(5);
      const refused = acks.filter((a) => !a.ok);
      expect(refused).toHaveLength(3);
      for (const ack of refused) {
        expect(ack).toMatchObject(RATE_LIMITED);
        const wait = (ack as Extract<Ack<unknown>, { ok: false }>).error.retryAfterMs;
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThanOrEqual(200);
      }
      // The same user on another socket has no fresh budget; another user has their own.
      await expect(tab2.request('room:history', { room: 'r', limit: 1 })).resolves.toMatchObject(RATE_LIMITED);
      await expect(other.ok('room:history', { room: 'r', limit: 1 })).resolves.toBeDefined();
      // Without an ack the refusal arrives as `exception`.
      emitNoAck(tab2, 'room:history', { room: 'r', limit: 1 });
      await expect(tab2.waitFor('exception')).resolves.toMatchObject({ event: 'room:history', code: 'RATE_LIMITED' });
      // After waiting as told, the next event goes through.
      const retry = await tab1.request('room:history', { room: 'r', limit: 1 });
      const waitMs = retry.ok ? 0 : (retry.error.retryAfterMs ?? 0);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      await expect(tab1.ok('room:history', { room: 'r', limit: 1 })).resolves.toBeDefined();
    });

    it('drops typing past its own lower limit silently, without spending the event budget', async () => {
      const [typist, watcher] = await Promise.all([client('typist'), client('watcher')]);
      await typist.ok('room:join', { room: 'typing-room' });
      await watcher.ok('room:join', { room: 'typing-room' });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // refill the two joins

      const started = Date.now();
      const acks: Array<Ack<unknown>> = [];
      for (let i = 0; i < 20; i++) acks.push(await typist.request('typing', { room: 'typing-room', typing: i % 2 === 0 }));
      const elapsedMs = Date.now() - started;
      expect(acks.every((a) => a.ok)).toBe(true);

      await watcher.barrier();
      const delivered = watcher.events('typing').length;
      expect(delivered).toBeGreaterThanOrEqual(5);
      expect(delivered).toBeLessThanOrEqual(5 + Math.floor(elapsedMs / 1000));
      // Typing had its own bucket: the event budget is untouched.
      const sends = await Promise.all(
        Array.from({ length: 4 }, (_, i) => typist.request('message:send', { room: 'typing-room', text: `m${i}` })),
      );
      expect(sends.every((a) => a.ok)).toBe(true);
    });

    it('disconnects a socket that keeps flooding; its neighbours are unaffected', async () => {
      const [flooder, neighbour] = await Promise.all([client('flooder'), client('neighbour')]);
      const gone = new Promise<string>((resolve) => flooder.socket.once('disconnect', resolve));
      for (let i = 0; i < 400; i++) emitNoAck(flooder, 'room:history', { room: 'r', limit: 1 });
      await expect(within(gone, 'the flooder to be disconnected')).resolves.toBe('io server disconnect');
      expect(flooder.events('exception').length).toBeGreaterThan(100);
      await expect(neighbour.ok('room:history', { room: 'r', limit: 1 })).resolves.toBeDefined();
    });

    it('disconnects a socket that floods typing too', async () => {
      const flooder = await client('typing-flooder');
      await flooder.ok('room:join', { room: 'typing-flood' });
      const gone = new Promise<string>((resolve) => flooder.socket.once('disconnect', resolve));
      for (let i = 0; i < 400; i++) emitNoAck(flooder, 'typing', { room: 'typing-flood', typing: true });
      await expect(within(gone, 'the typing flooder to be disconnected')).resolves.toBe('io server disconnect');
    });
  });

  describe('MAX_PAYLOAD_BYTES', () => {
    beforeAll(async () => {
      server = await startApp({ MAX_PAYLOAD_BYTES: '8192', MAX_MESSAGE_LENGTH: '100000' });
    });
    afterAll(() => server.close());

    it.each<['websocket' | 'polling']>([['websocket'], ['polling']])(
      'closes a %s connection that sends a larger packet; others keep receiving',
      async (transport) => {
        const big = clients[clients.push(await connect(server.url, 'big', { transports: [transport] })) - 1]!;
        const [sender, reader] = await Promise.all([client('sender'), client('reader')]);
        await Promise.all([
          sender.ok('room:join', { room: 'sizes' }),
          reader.ok('room:join', { room: 'sizes' }),
          big.ok('room:join', { room: 'sizes' }),
        ]);
        // Just under the limit is fine.
        await big.ok('message:send', { room: 'sizes', text: 'y'.repeat(7 * 1024) });
        const gone = new Promise<string>((resolve) => big.socket.once('disconnect', resolve));
        emitNoAck(big, 'message:send', { room: 'sizes', text: 'x'.repeat(9 * 1024) });
        await expect(within(gone, `the ${transport} sender to be disconnected`)).resolves.toMatch(/transport (close|error)/);
        const { message } = await sender.ok<MessageSendResult>('message:send', { room: 'sizes', text: 'after' });
        await expect(reader.waitFor('message:new', 2)).resolves.toEqual(message);
        await reader.barrier();
        expect(reader.events('message:new').map((m) => m.text.length)).toEqual([7 * 1024, 'after'.length]);
      },
    );
  });

  describe('connection caps', () => {
    describe('per user', () => {
      // JWT mode: token verification is asynchronous, which widens any check-then-register gap.
      let token: (sub: string) => Promise<string>;
      const capped = async (sub: string): Promise<TestClient> => {
        const c = await connect(server.url, sub, { auth: { token: await token(sub) } });
        clients.push(c);
        return c;
      };
      const connections = async (sub: string): Promise<number> =>
        (
          await request(server.url)
            .get(`/users/${sub}`)
            .set('Authorization', `Bearer ${await token('reader')}`)
        ).body.connections ?? 0;

      beforeAll(async () => {
        server = await startApp({ MAX_CONNECTIONS_PER_USER: '3', JWT_SECRET: HS_SECRET });
        token = (sub) => sign({ sub }, HS_SECRET);
      });
      afterAll(() => server.close());

      it('refuses the connection past the cap with FORBIDDEN and admits again after one closes', async () => {
        const tabs = [await capped('capped'), await capped('capped'), await capped('capped')];
        const refused = await refusedConnect(server.url, { auth: { token: await token('capped') } });
        expect(refused.message).toBe('FORBIDDEN');
        await capped('someone-else');
        tabs[0]!.close();
        await eventually(async () => (await connections('capped')) === 2, 'presence to drop to 2');
        await capped('capped');
      });

      it('holds under concurrent handshakes of the same user', async () => {
        const attempts = await Promise.allSettled(Array.from({ length: 12 }, () => capped('burst')));
        expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(3);
        for (const a of attempts.filter((x) => x.status === 'rejected')) {
          expect((a as PromiseRejectedResult).reason).toMatchObject({ message: 'FORBIDDEN' });
        }
        await eventually(async () => (await connections('burst')) === 3, 'presence to show 3');
      });

      it('does not count handshakes whose client left before they completed', async () => {
        const count = MemoryPresenceStore.prototype.connectionCount;
        let counted = 0;
        const spy = jest.spyOn(MemoryPresenceStore.prototype, 'connectionCount').mockImplementation(async function (
          this: MemoryPresenceStore,
          ...args
        ) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          counted += 1;
          return count.apply(this, args);
        });
        try {
          const auth = JSON.stringify({ token: await token('leaver') });
          for (let i = 0; i < 5; i++) {
            const r = await RawSocket.open(server.url);
            r.send(`40${auth}`);
            // Gone while the server is still counting connections.
            await new Promise((resolve) => setTimeout(resolve, 20));
            r.close();
            await r.waitClosed('the leaver to be gone');
          }
          // The rest of each handshake runs in microtasks right after its count, so once all five
          // counts are done and a poll later, every admit has finished.
          await eventually(() => counted === 5, 'the five slowed connection counts to finish');
        } finally {
          spy.mockRestore();
        }
        await capped('leaver');
      });

      it('holds when the presence store answers slowly (as a networked store does)', async () => {
        const register = MemoryPresenceStore.prototype.connect;
        const spy = jest.spyOn(MemoryPresenceStore.prototype, 'connect').mockImplementation(async function (
          this: MemoryPresenceStore,
          ...args
        ) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return register.apply(this, args);
        });
        try {
          const attempts = await Promise.allSettled(Array.from({ length: 12 }, () => capped('slow-store')));
          expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(3);
          await eventually(async () => (await connections('slow-store')) === 3, 'presence to show 3');
        } finally {
          spy.mockRestore();
        }
      });
    });

    describe('per client address', () => {
      beforeAll(async () => {
        server = await startApp({ MAX_CONNECTIONS_PER_ADDRESS: '3' });
      });
      afterAll(() => server.close());

      it('counts every transport connection, socket.io or not, and refuses past the cap', async () => {
        raws.push(await RawSocket.open(server.url), await RawSocket.open(server.url));
        await client('addr-a');
        const refusedRaw = RawSocket.attempt(server.url);
        raws.push(refusedRaw);
        await refusedRaw.waitClosed('the fourth transport connection to be refused');
        expect(refusedRaw.frames.some((f) => typeof f === 'string' && f.startsWith('0{'))).toBe(false);
        const refused = await refusedConnect(server.url, { auth: { username: 'addr-b' } });
        expect(refused.message).toMatch(/websocket error|FORBIDDEN/);
        // Closing one frees a slot.
        raws[0]!.close();
        await eventually(async () => {
          const probe = RawSocket.attempt(server.url);
          const opened = await Promise.race([
            probe
              .next((f) => typeof f === 'string' && f.startsWith('0{'), 'open')
              .then(
                () => true,
                () => false,
              ),
            probe.closed.then(() => false),
          ]);
          raws.push(probe);
          return opened;
        }, 'a slot to free up');
      });
    });

    describe('sockets per transport', () => {
      beforeAll(async () => {
        server = await startApp();
      });
      afterAll(() => server.close());

      it('makes one socket of many CONNECTs sent in one long-polling POST; the others are refused', async () => {
        const poller = await RawPoller.open(server.url);
        const connects = Array.from({ length: 30 }, (_, i) => `40${JSON.stringify({ username: `multi-${i}` })}`);
        expect(await poller.send(...connects)).toBe(200);
        const packets = await poller.collect((p) => /^4[04]/.test(p), 30, 'an answer to every CONNECT');
        const { accepted, refused } = connectAnswers(packets);
        expect(accepted).toHaveLength(1);
        expect(refused).toHaveLength(29);
        for (const answer of refused) expect(answer).toMatch(/^44\{"message":"FORBIDDEN","data":\{"code":"FORBIDDEN"/);
        expect(socketsOf(server, 'multi-')).toBe(1);
      });

      it('makes one socket of CONNECTs sent back to back on a WebSocket', async () => {
        const raw = await RawSocket.open(server.url);
        raws.push(raw);
        raw.send(...Array.from({ length: 10 }, (_, i) => `40${JSON.stringify({ username: `ws-multi-${i}` })}`));
        await eventually(() => raw.frames.filter((f) => typeof f === 'string' && /^4[04]/.test(f)).length === 10, 'ten CONNECT answers');
        const { accepted, refused } = connectAnswers(raw.frames.filter((f): f is string => typeof f === 'string'));
        expect([accepted.length, refused.length]).toEqual([1, 9]);
        expect(socketsOf(server, 'ws-multi-')).toBe(1);
      });

      it('keeps no listener per connect/disconnect cycle on a transport kept open', async () => {
        const connections: EventEmitter[] = [];
        const onConnection = (connection: EventEmitter): void => void connections.push(connection);
        io(server).engine.on('connection', onConnection);
        const raw = await RawSocket.open(server.url);
        raws.push(raw);
        io(server).engine.off('connection', onConnection);
        const [connection] = connections;
        const closeListeners: number[] = [];
        for (let cycle = 0; cycle < 30; cycle++) {
          raw.frames.length = 0;
          // Accepted every time: the previous socket's claim on the transport went with it.
          expect(await raw.connect({ username: 'cycler' })).toMatch(/^40\{"sid"/);
          raw.send('41');
          await eventually(() => socketsOf(server, 'cycler') === 0, 'the socket to be gone');
          closeListeners.push(connection!.listenerCount('close'));
        }
        expect(raw.isOpen).toBe(true);
        expect(new Set(closeListeners)).toEqual(new Set([closeListeners[0]]));
      });
    });

    describe('per client address, counted per socket', () => {
      beforeAll(async () => {
        server = await startApp({ MAX_CONNECTIONS_PER_ADDRESS: '2' });
      });
      afterAll(() => server.close());

      it('lets two transports carry at most two sockets, however many CONNECTs they send', async () => {
        const pollers = [await RawPoller.open(server.url), await RawPoller.open(server.url)];
        await expect(RawPoller.open(server.url)).rejects.toThrow(/handshake refused: 403/);
        const answers = await Promise.all(
          pollers.map(async (poller, n) => {
            const connects = Array.from({ length: 20 }, (_, i) => `40${JSON.stringify({ username: `capped-${n}-${i}` })}`);
            expect(await poller.send(...connects)).toBe(200);
            return connectAnswers(await poller.collect((p) => /^4[04]/.test(p), 20, 'an answer to every CONNECT'));
          }),
        );
        expect(answers.map((a) => a.accepted.length)).toEqual([1, 1]);
        expect(socketsOf(server, 'capped-')).toBe(2);
      });
    });

    describe('per client address behind a trusted proxy', () => {
      beforeAll(async () => {
        server = await startApp({ MAX_CONNECTIONS_PER_ADDRESS: '2', TRUST_PROXY: 'true' });
      });
      afterAll(() => server.close());

      it('takes the address the proxy saw, so a spoofed X-Forwarded-For entry does not buy more connections', async () => {
        // The proxy appends the peer it saw (203.0.113.7); what the client sent comes before it.
        await client('xff-a', { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' });
        await client('xff-b', { 'X-Forwarded-For': '198.51.100.2, 203.0.113.7' });
        const refused = await refusedConnect(server.url, {
          auth: { username: 'xff-c' },
          extraHeaders: { 'X-Forwarded-For': '198.51.100.3, 203.0.113.7' },
        });
        expect(refused.message).toMatch(/websocket error|FORBIDDEN/);
        // Another real client behind the same proxy has its own budget.
        await client('xff-d', { 'X-Forwarded-For': '203.0.113.8' });
      });
    });

    describe('joined rooms per socket', () => {
      beforeAll(async () => {
        server = await startApp({ MAX_ROOMS_PER_SOCKET: '3' });
      });
      afterAll(() => server.close());

      it('refuses joins past the cap, also when sent at once; rejoining and leaving work', async () => {
        const c = await client('roomy');
        const joins = await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map((room) => c.request('room:join', { room })));
        expect(joins.filter((a) => a.ok)).toHaveLength(3);
        expect(joins.filter((a) => !a.ok)).toEqual([
          expect.objectContaining({ error: expect.objectContaining({ code: 'FORBIDDEN' }) }),
          expect.objectContaining({ error: expect.objectContaining({ code: 'FORBIDDEN' }) }),
        ]);
        await expect(c.ok('room:join', { room: 'r1' })).resolves.toMatchObject({ room: 'r1' });
        await c.ok('room:leave', { room: 'r1' });
        await expect(c.ok('room:join', { room: 'r5' })).resolves.toMatchObject({ room: 'r5' });
        // The cap is per socket: another socket of the same user starts from zero.
        const other = await client('roomy');
        await expect(other.ok('room:join', { room: 'r9' })).resolves.toMatchObject({ room: 'r9' });
      });
    });
  });

  describe('handshake rate per client address', () => {
    async function rawConnect(username: string, localAddress?: string): Promise<string> {
      const raw = await RawSocket.open(server.url, {}, undefined, localAddress);
      raws.push(raw);
      return raw.connect({ username });
    }

    function refusal(answer: string): { message: string; data: ConnectErrorData } {
      return JSON.parse(answer.slice(2)) as { message: string; data: ConnectErrorData };
    }

    describe('by TCP peer', () => {
      beforeAll(async () => {
        server = await startApp({ HANDSHAKE_RATE_PER_SECOND: '1', HANDSHAKE_RATE_BURST: '3' });
      });
      afterAll(() => server.close());

      it('answers the handshake past the burst with RATE_LIMITED and retryAfterMs; other addresses are unaffected', async () => {
        for (let i = 0; i < 3; i++) expect(await rawConnect(`peer-${i}`)).toMatch(/^40\{"sid"/);
        const { message, data } = refusal(await rawConnect('peer-3'));
        expect(message).toBe('RATE_LIMITED');
        expect(data).toEqual({ code: 'RATE_LIMITED', message: expect.any(String), retryAfterMs: expect.any(Number) });
        expect(data.retryAfterMs).toBeGreaterThan(0);
        expect(data.retryAfterMs).toBeLessThanOrEqual(1000);
        // Another address has a budget of its own.
        for (let i = 0; i < 3; i++) expect(await rawConnect(`other-peer-${i}`, '127.0.0.2')).toMatch(/^40\{"sid"/);
        // Waiting as told is enough for the next attempt.
        await new Promise((resolve) => setTimeout(resolve, data.retryAfterMs));
        expect(await rawConnect('peer-4')).toMatch(/^40\{"sid"/);
      });
    });

    describe('behind a trusted proxy', () => {
      beforeAll(async () => {
        server = await startApp({ HANDSHAKE_RATE_PER_SECOND: '1', HANDSHAKE_RATE_BURST: '2', TRUST_PROXY: 'true' });
      });
      afterAll(() => server.close());

      it('takes the address the proxy appended, like the connection cap', async () => {
        await client('xff-rate-a', { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' });
        await client('xff-rate-b', { 'X-Forwarded-For': '198.51.100.2, 203.0.113.7' });
        const refused = await refusedConnect(server.url, {
          auth: { username: 'xff-rate-c' },
          extraHeaders: { 'X-Forwarded-For': '198.51.100.3, 203.0.113.7' },
        });
        expect(refused.message).toBe('RATE_LIMITED');
        expect(refused.data).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) });
        await client('xff-rate-d', { 'X-Forwarded-For': '203.0.113.8' });
      });
    });
  });

  describe('slow consumers', () => {
    beforeAll(async () => {
      // The default limit: the readers' own bursts below (ten 50 KB messages at once) stay under it.
      server = await startApp({ MAX_BUFFERED_BYTES: String(1024 * 1024), MAX_MESSAGE_LENGTH: '60000' });
    });
    afterAll(() => server.close());

    it('disconnects a socket that stops reading while others keep receiving everything', async () => {
      const sloth = await RawSocket.open(server.url);
      raws.push(sloth);
      expect(await sloth.connect({ username: 'sloth' })).toMatch(/^40/);
      sloth.send('421["room:join",{"room":"firehose"}]');
      await sloth.next((f) => typeof f === 'string' && f.startsWith('431'), 'join ack');
      const [sender, reader] = await Promise.all([client('firehose-sender'), client('firehose-reader')]);
      await Promise.all([sender.ok('room:join', { room: 'firehose' }), reader.ok('room:join', { room: 'firehose' })]);

      // Stop reading: the kernel buffers fill, then the server's own buffer for this socket grows.
      (sloth.ws as unknown as { _socket: NetSocket })._socket.pause();
      const text = 'z'.repeat(50_000);
      let sent = 0;
      const slothGone = async (): Promise<boolean> => (await request(server.url).get('/users/sloth')).status === 404;
      await within(
        (async () => {
          while (!(await slothGone())) {
            await Promise.all(Array.from({ length: 10 }, () => sender.ok('message:send', { room: 'firehose', text })));
            sent += 10;
          }
        })(),
        'the slow consumer to be disconnected',
        20_000,
      );
      await reader.barrier();
      expect(reader.events('message:new')).toHaveLength(sent);
      expect(server.app.getHttpServer().listening).toBe(true);
    }, 30_000);
  });
});
