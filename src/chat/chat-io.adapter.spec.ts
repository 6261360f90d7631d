import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { Server, type Socket } from 'socket.io';
import { io as connectClient } from 'socket.io-client';
import { ErrorCode } from '../common/error-code.js';
import type { AckFn } from '../common/ws-reply.js';
import type { Ack, ErrorBody } from '../contract.js';
import { ChatIoAdapter, type InboundEventPolicy, UNKNOWN_EVENT_LABEL } from './chat-io.adapter.js';
import type { CompiledHandler } from './compiled-gateway.js';

type AnyListener = (this: Socket, event: string | number, ...args: unknown[]) => void;

/** Just enough of a socket.io Socket: the adapter only uses onAny and emit. */
function fakeSocket(): {
  socket: Socket;
  emitted: Array<[string, unknown]>;
  deliver: (event: string | number, ...args: unknown[]) => void;
} {
  const emitted: Array<[string, unknown]> = [];
  let listener: AnyListener | undefined;
  const socket = {
    onAny: (fn: AnyListener) => (listener = fn),
    emit: (event: string, payload: unknown) => emitted.push([event, payload]),
  } as unknown as Socket;
  return { socket, emitted, deliver: (event, ...args) => listener!.call(socket, event, ...args) };
}

type HandlerFn = (payload: unknown, reply: AckFn) => Promise<unknown>;

/** A compiled handler that runs `callback` with the payload and the reply, as the gateway's would. */
function handler(event: string, callback: HandlerFn): [string, CompiledHandler] {
  return [event, (_socket, payload, reply) => callback(payload, reply)];
}

function setup(handlers: Array<[string, CompiledHandler]>, policy?: InboundEventPolicy) {
  const compile = jest.fn(() => new Map(handlers));
  const adapter = new ChatIoAdapter(undefined as unknown as INestApplicationContext, {}, policy, compile);
  adapter.createIOServer(0);
  const client = fakeSocket();
  adapter.bindMessageHandlers(client.socket);
  return { ...client, adapter, compile };
}

/** Delivers an event with an ack and resolves with what the ack received. */
function ask(deliver: (event: string | number, ...args: unknown[]) => void, event: string, ...args: unknown[]): Promise<Ack<unknown>> {
  return new Promise((resolve) => deliver(event, ...args, resolve));
}

describe('ChatIoAdapter', () => {
  // The socket.io server itself is not under test: no port is opened.
  beforeAll(() => {
    jest.spyOn(IoAdapter.prototype, 'createIOServer').mockImplementation(() => ({}) as Server);
  });
  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('runs the handler with the payload and answers the ack with what it returns', async () => {
    const callback = jest.fn<HandlerFn>().mockResolvedValue({ ok: true, data: { room: 'lobby' } });
    const { deliver } = setup([handler('room:leave', callback)]);
    await expect(ask(deliver, 'room:leave', { room: 'lobby' })).resolves.toEqual({ ok: true, data: { room: 'lobby' } });
    expect(callback).toHaveBeenCalledWith({ room: 'lobby' }, expect.any(Function));
  });

  it('answers exactly once even if the handler both replies and returns', async () => {
    const ack = jest.fn();
    const { deliver } = setup([
      handler('typing', async (_payload, reply) => {
        reply({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'first' } });
        return { ok: true, data: {} };
      }),
    ]);
    deliver('typing', {}, ack);
    await new Promise(setImmediate);
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack).toHaveBeenCalledWith({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'first' } });
  });

  it('answers a handler that escaped the filter with INTERNAL only', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { deliver } = setup([handler('typing', () => Promise.reject(new Error('secret detail')))]);
    await expect(ask(deliver, 'typing', {})).resolves.toEqual({
      ok: false,
      error: { code: ErrorCode.INTERNAL, message: 'Internal server error' },
    });
    expect(logged).toHaveBeenCalledTimes(1);
    logged.mockRestore();
  });

  it('answers unknown events, numeric names included, without running anything', async () => {
    const callback = jest.fn<HandlerFn>();
    const { deliver, emitted } = setup([handler('typing', callback)]);
    await expect(ask(deliver, 'nope', {})).resolves.toEqual({
      ok: false,
      error: { code: ErrorCode.UNKNOWN_EVENT, message: 'unknown event nope' },
    });
    deliver(7, {});
    expect(emitted).toEqual([['exception', { event: '7', code: ErrorCode.UNKNOWN_EVENT, message: 'unknown event 7' }]]);
    expect(callback).not.toHaveBeenCalled();
  });

  it('echoes an unknown event name cut to 64 characters, in the ack and in `exception`', async () => {
    const { deliver, emitted } = setup([handler('typing', jest.fn<HandlerFn>())]);
    const name = 'x'.repeat(60_000);
    const cut = `${'x'.repeat(64)}...`;
    await expect(ask(deliver, name, {})).resolves.toEqual({
      ok: false,
      error: { code: ErrorCode.UNKNOWN_EVENT, message: `unknown event ${cut}` },
    });
    deliver(name, {});
    expect(emitted).toEqual([['exception', { event: cut, code: ErrorCode.UNKNOWN_EVENT, message: `unknown event ${cut}` }]]);
  });

  it('refuses extra arguments before running the handler', async () => {
    const callback = jest.fn<HandlerFn>();
    const { deliver } = setup([handler('typing', callback)]);
    const ack = await ask(deliver, 'typing', { room: 'a', typing: true }, 'extra');
    expect(ack).toMatchObject({ ok: false, error: { code: ErrorCode.VALIDATION_FAILED, details: [{ field: '(arguments)' }] } });
    expect(callback).not.toHaveBeenCalled();
  });

  it('emits failures as `exception` when the client sent no ack, and successes not at all', async () => {
    const { deliver, emitted } = setup([
      handler('ok', async () => ({ ok: true, data: {} })),
      handler('bad', async () => ({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'no' } })),
    ]);
    deliver('ok', {});
    deliver('bad', {});
    await new Promise(setImmediate);
    expect(emitted).toEqual([['exception', { event: 'bad', code: ErrorCode.FORBIDDEN, message: 'no' }]]);
  });

  describe('with the compiled handlers', () => {
    it('compiles them once, when Nest creates the server, so a bad table fails start-up', () => {
      const { adapter, compile } = setup([handler('typing', jest.fn<HandlerFn>())]);
      adapter.createIOServer(0);
      adapter.bindMessageHandlers(fakeSocket().socket);
      expect(compile).toHaveBeenCalledTimes(1);
      const failing = new ChatIoAdapter(undefined as unknown as INestApplicationContext, {}, undefined, () => {
        throw new Error('bad table');
      });
      expect(() => failing.createIOServer(0)).toThrow('bad table');
    });

    it('hands the socket, the payload, the reply and the event name to the handler, answering a synchronous result at once', () => {
      const typing = jest.fn<CompiledHandler>(() => ({ ok: true, data: {} }));
      const { socket, deliver } = setup([['typing', typing]]);
      const ack = jest.fn();
      deliver('typing', { room: 'a', typing: true }, ack);
      expect(ack).toHaveBeenCalledWith({ ok: true, data: {} });
      expect(typing).toHaveBeenCalledWith(socket, { room: 'a', typing: true }, expect.any(Function), 'typing');
    });
  });

  it('is not gated by socket.use() middleware: socket.io calls the dispatcher before it (README)', async () => {
    const http = createServer();
    const io = new Server(http);
    jest.spyOn(IoAdapter.prototype, 'createIOServer').mockImplementationOnce(() => io);
    const typing = jest.fn<CompiledHandler>(() => ({ ok: true, data: {} }));
    const adapter = new ChatIoAdapter(undefined as unknown as INestApplicationContext, {}, undefined, () => new Map([['typing', typing]]));
    adapter.createIOServer(0);
    const middleware = jest.fn();
    io.on('connection', (socket) => {
      adapter.bindMessageHandlers(socket);
      // Never calls next(): it would hold back every event from ordinary listeners.
      socket.use(middleware);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const client = connectClient(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, {
      transports: ['websocket'],
      reconnection: false,
    });
    try {
      await expect(client.timeout(5000).emitWithAck('typing', { room: 'a', typing: true })).resolves.toEqual({ ok: true, data: {} });
      expect(typing).toHaveBeenCalledTimes(1);
      expect(middleware).toHaveBeenCalledTimes(1);
    } finally {
      client.close();
      await io.close();
    }
  });

  describe('with an inbound event policy', () => {
    function policy(verdict: ErrorBody | 'drop' | undefined) {
      return { admit: jest.fn((_socket: unknown, _event: string) => verdict), settled: jest.fn() };
    }

    it('answers RATE_LIMITED with retryAfterMs from the policy and skips the handler', async () => {
      const limited: ErrorBody = { code: ErrorCode.RATE_LIMITED, message: 'slow down', retryAfterMs: 250 };
      const rules = policy(limited);
      const callback = jest.fn<HandlerFn>();
      const { deliver } = setup([handler('message:send', callback)], rules);
      await expect(ask(deliver, 'message:send', { room: 'a', text: 'x' })).resolves.toEqual({ ok: false, error: limited });
      expect(callback).not.toHaveBeenCalled();
      expect(rules.settled).toHaveBeenCalledWith('message:send', ErrorCode.RATE_LIMITED, expect.any(Number));
    });

    it('answers a dropped event with ok {} and skips the handler', async () => {
      const rules = policy('drop');
      const callback = jest.fn<HandlerFn>();
      const { deliver } = setup([handler('typing', callback)], rules);
      await expect(ask(deliver, 'typing', { room: 'a', typing: true })).resolves.toEqual({ ok: true, data: {} });
      expect(callback).not.toHaveBeenCalled();
      expect(rules.settled).toHaveBeenCalledWith('typing', 'ok', expect.any(Number));
    });

    it('names an event without a handler by one label, to the limiter and the metrics alike', async () => {
      const rules = policy(undefined);
      const { deliver } = setup([handler('typing', async () => ({ ok: true, data: {} }))], rules);
      await ask(deliver, 'made-up-by-the-client', {});
      expect(rules.admit).toHaveBeenCalledWith(expect.anything(), UNKNOWN_EVENT_LABEL);
      expect(rules.settled).toHaveBeenCalledWith(UNKNOWN_EVENT_LABEL, ErrorCode.UNKNOWN_EVENT, expect.any(Number));
      const limited = policy({ code: ErrorCode.RATE_LIMITED, message: 'slow down', retryAfterMs: 10 });
      const second = setup([], limited);
      await ask(second.deliver, 'another-made-up-name', {});
      expect(limited.settled).toHaveBeenCalledWith(UNKNOWN_EVENT_LABEL, ErrorCode.RATE_LIMITED, expect.any(Number));
    });

    it('reports how an admitted event ended', async () => {
      const rules = policy(undefined);
      const { deliver } = setup(
        [handler('typing', async () => ({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'x' } }))],
        rules,
      );
      await ask(deliver, 'typing', {});
      expect(rules.admit).toHaveBeenCalledTimes(1);
      expect(rules.settled).toHaveBeenCalledWith('typing', ErrorCode.FORBIDDEN, expect.any(Number));
    });
  });
});
