import { describe, expect, it } from '@jest/globals';
import type { Ack, ExceptionEvent, MessageSendResult } from '../../src/contract.js';
import { ErrorCode, failure } from '../support/acks.js';
import { type TestClient, within } from '../support/clients.js';
import { ADMIN_KEY, e2eApp, emitNoAck, emitRaw } from '../support/suite.js';

/** Every client-to-server event of the v1 contract. */
const EVENTS = ['room:join', 'room:leave', 'room:history', 'message:send', 'message:direct', 'direct:history', 'typing', 'announce'];

const NOT_AN_OBJECT: Array<[string, unknown]> = [
  ['a string', 'lobby'],
  ['a number', 42],
  ['a boolean', true],
  ['null', null],
  ['an array', [{ room: 'lobby' }]],
  ['binary data', Buffer.from('{"room":"lobby"}')],
];

const PAYLOAD_ERROR = {
  code: ErrorCode.VALIDATION_FAILED,
  message: 'payload must be a JSON object',
  details: [{ field: '(payload)', messages: ['payload must be a JSON object'] }],
};

/** Sends one raw socket.io packet (engine.io message) on the client's connection. */
function sendPacket(client: TestClient, packet: string): void {
  (client.socket.io as unknown as { engine: { send(data: string): void } }).engine.send(packet);
}

describe('garbage input (e2e)', () => {
  const server = e2eApp();

  /** The connection still works end to end after the garbage. */
  async function stillServes(client: TestClient): Promise<void> {
    await client.ok('room:join', { room: 'alive' });
    const { message } = await client.ok<MessageSendResult>('message:send', { room: 'alive', text: 'still here' });
    expect(message.text).toBe('still here');
    expect((await server.http().get('/health')).status).toBe(200);
  }

  describe.each(EVENTS)('%s', (event) => {
    it.each(NOT_AN_OBJECT)('answers %s as payload with VALIDATION_FAILED', async (_label, payload) => {
      const client = await server.connect('ada');
      expect(await client.request(event, payload)).toEqual({ ok: false, error: PAYLOAD_ERROR });
    });

    it('answers a missing payload with VALIDATION_FAILED', async () => {
      const client = await server.connect('ada');
      expect(await emitRaw(client, event)).toEqual({ ok: false, error: PAYLOAD_ERROR });
    });

    it('answers extra arguments with VALIDATION_FAILED and does not run the handler', async () => {
      const client = await server.connect('ada');
      const error = failure(await emitRaw(client, event, { room: 'lobby', text: 'x' }, 'extra', 3), ErrorCode.VALIDATION_FAILED);
      expect(error.details).toEqual([{ field: '(arguments)', messages: ['expected exactly one payload argument'] }]);
    });

    it.each(['__proto__', 'constructor', 'prototype'])('answers a %s key with VALIDATION_FAILED naming it', async (key) => {
      const client = await server.connect('ada');
      const payload = JSON.parse(`{"room":"lobby","text":"x","to":"bob","with":"bob","typing":true,"${key}":{"isAdmin":true}}`);
      const error = failure(await client.request(event, payload), ErrorCode.VALIDATION_FAILED);
      expect(error.details?.map((d) => d.field)).toContain(key);
    });

    it('answers without an ack through `exception` { event, code, message, details }', async () => {
      const client = await server.connect('ada');
      emitNoAck(client, event, 'not an object');
      const exception = await client.waitFor('exception');
      expect(exception).toEqual({ event, ...PAYLOAD_ERROR });
    });
  });

  it('does not let a __proto__ payload make a connection admin or pollute the server', async () => {
    const client = await server.connect('ada');
    const polluting = JSON.parse('{"text":"x","__proto__":{"isAdmin":true,"polluted":true}}');
    failure(await client.request('announce', polluting), ErrorCode.VALIDATION_FAILED);
    const nested = JSON.parse('{"room":"lobby","constructor":{"prototype":{"isAdmin":true}}}');
    failure(await client.request('room:join', nested), ErrorCode.VALIDATION_FAILED);
    failure(await client.request('announce', { text: 'am I admin now?' }), ErrorCode.FORBIDDEN);
    const bystander = await server.connect('bob');
    failure(await bystander.request('announce', { text: 'or me?' }), ErrorCode.FORBIDDEN);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await stillServes(client);
  });

  it('answers an unknown event with UNKNOWN_EVENT, by ack or by `exception`', async () => {
    const client = await server.connect('ada');
    for (const event of [
      'room:destroy',
      'admin:grant',
      'auth:login',
      'toString',
      '__proto__',
      'constructor',
      'message:new',
      'session',
      'x'.repeat(64),
    ]) {
      expect(await client.request(event, { room: 'lobby' })).toEqual({
        ok: false,
        error: { code: ErrorCode.UNKNOWN_EVENT, message: `unknown event ${event}` },
      });
    }
    // A longer name is echoed cut to 64 characters: the answer never repeats a payload-sized name.
    expect(await client.request('y'.repeat(50_000), { room: 'lobby' })).toEqual({
      ok: false,
      error: { code: ErrorCode.UNKNOWN_EVENT, message: `unknown event ${'y'.repeat(64)}...` },
    });
    emitNoAck(client, 'no-such-event', { room: 'lobby' });
    await expect(client.waitFor('exception')).resolves.toEqual({
      event: 'no-such-event',
      code: ErrorCode.UNKNOWN_EVENT,
      message: 'unknown event no-such-event',
    });
    await stillServes(client);
  });

  it('answers raw packets with a numeric or an "error" event name as unknown events', async () => {
    const client = await server.connect('ada');
    sendPacket(client, '2[123,{"room":"lobby"}]');
    sendPacket(client, '2["error",{"room":"lobby"}]');
    await client.waitFor('exception', 2);
    expect(client.events('exception')).toEqual([
      { event: '123', code: ErrorCode.UNKNOWN_EVENT, message: 'unknown event 123' },
      { event: 'error', code: ErrorCode.UNKNOWN_EVENT, message: 'unknown event error' },
    ]);
    await stillServes(client);
  });

  it('closes only the connection that sends an unparsable packet', async () => {
    const bad = await server.connect('mallory');
    const good = await server.connect('ada');
    const closed = new Promise<string>((resolve) => bad.socket.once('disconnect', (reason) => resolve(reason)));
    sendPacket(bad, '2{not json');
    await expect(within(closed, 'the server to close the bad connection')).resolves.toBe('transport close');
    await stillServes(good);
  });

  it('closes a connection that sends more than MAX_PAYLOAD_BYTES, and keeps serving others', async () => {
    const big = await server.connect('mallory');
    const good = await server.connect('ada');
    const closed = new Promise<string>((resolve) => big.socket.once('disconnect', (reason) => resolve(reason)));
    big.socket.emit('message:send', { room: 'lobby', text: 'x'.repeat(70 * 1024) }, () => undefined);
    await expect(within(closed, 'the server to close the oversized connection')).resolves.toBe('transport close');
    await stillServes(good);
  });

  it('answers failures of valid events without an ack through `exception`, and successes with nothing', async () => {
    const client = await server.connect('ada');
    await client.ok('room:join', { room: 'quiet' });
    emitNoAck(client, 'message:send', { room: 'not-joined', text: 'x' });
    emitNoAck(client, 'room:leave', { room: 'elsewhere' });
    emitNoAck(client, 'message:send', { room: 'quiet', text: 'fine' });
    emitNoAck(client, 'announce', { text: 'x' });
    await client.waitFor('exception', 2);
    await client.barrier();
    // Handlers run concurrently: a synchronous one may answer before an earlier asynchronous one.
    const exceptions = (client.events('exception') as ExceptionEvent[]).sort((a, b) => a.event.localeCompare(b.event));
    expect(exceptions).toEqual([
      { event: 'announce', code: ErrorCode.FORBIDDEN, message: 'announce needs an admin connection' },
      { event: 'message:send', code: ErrorCode.FORBIDDEN, message: 'join not-joined before sending to it' },
    ]);
  });

  it('ignores a non-function in the ack position and answers through `exception`', async () => {
    const client = await server.connect('ada');
    emitNoAck(client, 'room:join', { room: 'lobby' }, 'not a callback');
    await expect(client.waitFor('exception')).resolves.toMatchObject({ event: 'room:join', code: ErrorCode.VALIDATION_FAILED });
  });

  it('keeps strange but valid strings intact', async () => {
    const client = await server.connect('ada');
    await client.ok('room:join', { room: 'strings' });
    for (const text of ['<script>alert(1)</script>', '{"__proto__":{}}', '\u0000nul', '😀'.repeat(10), 'a\u202Eb']) {
      const { message } = await client.ok<MessageSendResult>('message:send', { room: 'strings', text });
      expect(message.text).toBe(text);
    }
  });

  it('survives a burst of mixed garbage from many connections', async () => {
    const clients = await Promise.all(['g1', 'g2', 'g3', 'g4'].map((name) => server.connect(name)));
    const admin = await server.connect('root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
    const garbage: unknown[] = [null, 1, 'x', [], {}, { room: 7 }, { room: 'lobby', extra: true }, JSON.parse('{"__proto__":null}')];
    const acks: Array<Ack<unknown>> = await Promise.all(
      clients.flatMap((client) => EVENTS.flatMap((event) => garbage.map((payload) => client.request(event, payload)))),
    );
    expect(acks.every((ack) => !ack.ok && ack.error.code === ErrorCode.VALIDATION_FAILED)).toBe(true);
    expect(await admin.ok('announce', { text: 'after the storm' })).toMatchObject({ announcement: { text: 'after the storm' } });
    for (const client of clients) await stillServes(client);
  });
});
