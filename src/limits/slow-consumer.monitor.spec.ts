import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Server } from 'socket.io';
import { loadConfig } from '../config/app-config.js';
import { SlowConsumerMonitor } from './slow-consumer.monitor.js';

// The classes under test log through Nest's Logger; their messages are not what is tested here.
beforeAll(() => Logger.overrideLogger(false));

interface FakeSocket {
  id: string;
  conn: { writeBuffer: Array<{ data?: unknown }>; transport: { socket?: { bufferedAmount: number } } };
  disconnect: jest.Mock;
}

function socket(id: string, bufferedAmount: number, queued: unknown[] = []): FakeSocket {
  return {
    id,
    conn: { writeBuffer: queued.map((data) => ({ data })), transport: { socket: { bufferedAmount } } },
    disconnect: jest.fn(),
  };
}

describe('SlowConsumerMonitor', () => {
  let monitor: SlowConsumerMonitor;
  beforeEach(() => {
    jest.useFakeTimers();
    monitor = new SlowConsumerMonitor(loadConfig({ MAX_BUFFERED_BYTES: '4096' }));
  });
  afterEach(() => {
    monitor.onModuleDestroy();
    jest.useRealTimers();
  });

  function watch(...sockets: FakeSocket[]): void {
    const server = { of: () => ({ sockets: new Map(sockets.map((s) => [s.id, s])) }) } as unknown as Server;
    monitor.attach(server);
  }

  it('disconnects sockets whose unsent bytes pass the bound, within a second', () => {
    const reading = socket('reading', 4096);
    const stalledWs = socket('stalled-ws', 4097);
    const stalledQueue = socket('stalled-queue', 0, ['x'.repeat(3000), Buffer.alloc(2000)]);
    watch(reading, stalledWs, stalledQueue);
    jest.advanceTimersByTime(1000);
    expect(reading.disconnect).not.toHaveBeenCalled();
    expect(stalledWs.disconnect).toHaveBeenCalledWith(true);
    expect(stalledQueue.disconnect).toHaveBeenCalledWith(true);
  });

  it('copes with a transport without a WebSocket (long-polling) and with empty packets', () => {
    const polling = socket('polling', 0, [undefined, 'ok']);
    delete polling.conn.transport.socket;
    watch(polling);
    jest.advanceTimersByTime(1000);
    expect(polling.disconnect).not.toHaveBeenCalled();
  });
});
