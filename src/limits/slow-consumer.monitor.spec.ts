import { EventEmitter } from 'node:events';
import { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { Socket as NetSocket } from 'node:net';
import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Server } from 'socket.io';
import { loadConfig } from '../config/app-config.js';
import { packetBytes, SlowConsumerMonitor, webSocketOf } from './slow-consumer.monitor.js';

// The classes under test log through Nest's Logger; their messages are not what is tested here.
beforeAll(() => Logger.overrideLogger(false));

const LIMIT = 4096;
const WRITE_TIMEOUT_MS = 2000;

type Middleware = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

interface FakeWebSocket {
  bufferedAmount: number;
  terminate: jest.Mock;
}

class FakeConnection extends EventEmitter {
  readonly close = jest.fn((discard?: boolean) => {
    void discard;
    this.emit('close');
  });

  constructor(readonly transport: { name: string; sid: string; socket?: FakeWebSocket }) {
    super();
  }

  /** What engine.io's sendPacket does: packetCreate, then (when writable) a flush of the buffer. */
  send(data: unknown, { flushed }: { flushed: boolean }): void {
    this.emit('packetCreate', { type: 'message', data });
    if (flushed) this.emit('flush');
  }
}

interface FakeResponse {
  response: ServerResponse;
  state: { writableFinished: boolean };
  destroy: jest.Mock;
}

/** A real ServerResponse whose progress the test sets. */
function fakeResponse(): FakeResponse {
  const response = new ServerResponse(new IncomingMessage(new NetSocket()));
  const state = { writableFinished: false };
  const destroy = jest.fn();
  Object.defineProperty(response, 'writableFinished', { get: () => state.writableFinished });
  response.destroy = destroy as unknown as ServerResponse['destroy'];
  return { response, state, destroy };
}

describe('SlowConsumerMonitor', () => {
  let monitor: SlowConsumerMonitor;
  let engine: EventEmitter & { use(middleware: Middleware): void };
  let middleware: Middleware;

  beforeEach(() => {
    jest.useFakeTimers();
    monitor = new SlowConsumerMonitor(
      loadConfig({ MAX_BUFFERED_BYTES: String(LIMIT), POLLING_WRITE_TIMEOUT_MS: String(WRITE_TIMEOUT_MS) }),
    );
    engine = Object.assign(new EventEmitter(), { use: (m: Middleware) => (middleware = m) });
    monitor.attach({ engine } as unknown as Server);
  });
  afterEach(() => {
    monitor.onModuleDestroy();
    jest.useRealTimers();
  });

  function open(transport: 'polling' | 'websocket', sid = 'sid-1'): FakeConnection {
    const connection = new FakeConnection({
      name: transport,
      sid,
      socket: transport === 'websocket' ? { bufferedAmount: 0, terminate: jest.fn() } : undefined,
    });
    engine.emit('connection', connection);
    return connection;
  }

  function poll(sid: string): FakeResponse {
    const fake = fakeResponse();
    const request = { method: 'GET', url: `/socket.io/?EIO=4&transport=polling&sid=${sid}` } as IncomingMessage;
    let passed = false;
    middleware(request, fake.response, () => (passed = true));
    expect(passed).toBe(true);
    return fake;
  }

  it('closes at the first packet queued beyond the limit, without waiting for a timer', () => {
    const connection = open('polling');
    // Nobody is polling: everything stays queued.
    connection.send('x'.repeat(3000), { flushed: false });
    connection.send(Buffer.alloc(1096), { flushed: false });
    expect(connection.close).not.toHaveBeenCalled();
    // Held: 4096, the limit. One packet beyond it, however large, is allowed ...
    connection.send('x'.repeat(100_000), { flushed: false });
    expect(connection.close).not.toHaveBeenCalled();
    // ... and the next one closes the connection.
    connection.send('x', { flushed: false });
    expect(connection.close).toHaveBeenCalledWith(true);
  });

  it('allows a single packet larger than the limit to a connection that holds nothing', () => {
    const connection = open('websocket');
    connection.send('x'.repeat(LIMIT * 10), { flushed: true });
    connection.transport.socket!.bufferedAmount = LIMIT * 10;
    expect(connection.close).not.toHaveBeenCalled();
    // Sent by the time the next one comes.
    connection.transport.socket!.bufferedAmount = 0;
    connection.send('x'.repeat(LIMIT * 10), { flushed: true });
    expect(connection.close).not.toHaveBeenCalled();
  });

  it('leaves a client alone that keeps taking what it is sent', () => {
    const connection = open('websocket');
    for (let i = 0; i < 100; i++) connection.send('y'.repeat(3000), { flushed: true });
    jest.advanceTimersByTime(2000);
    expect(connection.close).not.toHaveBeenCalled();
  });

  it('counts the bytes a WebSocket has not sent yet and terminates it when they pass the limit', () => {
    const connection = open('websocket');
    const webSocket = connection.transport.socket!;
    connection.send('z'.repeat(3000), { flushed: true });
    webSocket.bufferedAmount = 3000;
    connection.send('z'.repeat(1200), { flushed: true });
    expect(connection.close).not.toHaveBeenCalled();
    webSocket.bufferedAmount = 4200;
    connection.send('z'.repeat(200), { flushed: true });
    expect(connection.close).toHaveBeenCalledWith(true);
    expect(webSocket.terminate).toHaveBeenCalled();
  });

  it('counts what was flushed into long-polling responses until they finish, and lets go of them on close', () => {
    const connection = open('polling', 'poller');
    const first = poll('poller');
    connection.send('a'.repeat(3000), { flushed: true });
    const second = poll('poller');
    connection.send('b'.repeat(1300), { flushed: true });
    expect(connection.close).not.toHaveBeenCalled();
    // Held before this packet: 4300, both responses unfinished.
    connection.send('c'.repeat(300), { flushed: false });
    expect(connection.close).toHaveBeenCalledWith(true);
    expect(first.destroy).toHaveBeenCalled();
    expect(second.destroy).toHaveBeenCalled();
  });

  it('forgets a response once it has been handed to the network', () => {
    const connection = open('polling', 'reader');
    for (let i = 0; i < 10; i++) {
      const done = poll('reader');
      connection.send('d'.repeat(3000), { flushed: true });
      done.state.writableFinished = true;
      done.response.emit('finish');
    }
    connection.send('d', { flushed: false });
    jest.advanceTimersByTime(WRITE_TIMEOUT_MS * 2);
    expect(connection.close).not.toHaveBeenCalled();
  });

  it('closes a long-polling session whose response is not taken within the write timeout', () => {
    const connection = open('polling', 'stalled');
    const waiting = open('polling', 'waiting');
    const stalled = poll('stalled');
    poll('waiting');
    connection.send('e'.repeat(100), { flushed: true });
    jest.advanceTimersByTime(WRITE_TIMEOUT_MS - 500);
    expect(connection.close).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1000);
    expect(connection.close).toHaveBeenCalledWith(true);
    expect(stalled.destroy).toHaveBeenCalled();
    // A poll still waiting for something to send has nothing to write.
    jest.advanceTimersByTime(60_000);
    expect(waiting.close).not.toHaveBeenCalled();
  });

  it('tracks only GET requests of known sessions', () => {
    const connection = open('polling', 'known');
    const untracked = fakeResponse();
    let passed = 0;
    middleware(
      { method: 'GET', url: '/socket.io/?EIO=4&transport=polling&sid=other' } as IncomingMessage,
      untracked.response,
      () => passed++,
    );
    middleware(
      { method: 'POST', url: '/socket.io/?EIO=4&transport=polling&sid=known' } as IncomingMessage,
      untracked.response,
      () => passed++,
    );
    expect(passed).toBe(2);
    // Nothing took this flush for a poll of its own, so nothing holds it.
    connection.send('f'.repeat(LIMIT * 2), { flushed: true });
    connection.send('f', { flushed: false });
    jest.advanceTimersByTime(WRITE_TIMEOUT_MS * 2);
    expect(connection.close).not.toHaveBeenCalled();
  });
});

describe('packetBytes', () => {
  it('measures strings, buffers and nothing', () => {
    expect([packetBytes('abc'), packetBytes(Buffer.alloc(5)), packetBytes(new ArrayBuffer(7)), packetBytes(undefined)]).toEqual([
      3, 5, 7, 0,
    ]);
  });
});

describe('webSocketOf (pins the private field engine.io keeps its WebSocket in)', () => {
  // The engine.io that socket.io itself loads.
  const engineIo = createRequire(createRequire(import.meta.url).resolve('socket.io'))('engine.io') as {
    transports: Record<string, new (request: unknown) => object>;
  };

  it("finds the ws WebSocket under the installed engine.io's websocket transport", () => {
    const webSocket = Object.assign(new EventEmitter(), { bufferedAmount: 123, terminate: () => undefined });
    const transport = new engineIo.transports.websocket!({ _query: { EIO: '4' }, websocket: webSocket });
    expect(webSocketOf(transport)).toBe(webSocket);
    expect(webSocketOf(transport)?.bufferedAmount).toBe(123);
  });

  it('finds nothing under the polling transport', () => {
    const transport = new engineIo.transports.polling!({ _query: { EIO: '4' } });
    expect(webSocketOf(transport)).toBeUndefined();
  });
});
