import { afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { InboundRateLimiter, type RateDecision } from './inbound-rate-limiter.js';

// The classes under test log through Nest's Logger; their messages are not what is tested here.
beforeAll(() => Logger.overrideLogger(false));

interface FakeSocket {
  id: string;
  data: { user: { id: string; name: string } };
  disconnect: jest.Mock;
}

function fakeSocket(userId: string, id = `${userId}-socket`): FakeSocket & Socket {
  return { id, data: { user: { id: userId, name: userId } }, disconnect: jest.fn() } as unknown as FakeSocket & Socket;
}

/** Sends `perSecond` events per second for `seconds`, spread evenly; returns every decision. */
function sendSteadily(limiter: InboundRateLimiter, socket: Socket, event: string, perSecond: number, seconds: number): RateDecision[] {
  const decisions: RateDecision[] = [];
  const gap = 1000 / perSecond;
  for (let i = 0; i < perSecond * seconds; i++) {
    decisions.push(limiter.check(socket, event));
    jest.advanceTimersByTime(gap);
  }
  return decisions;
}

describe('InboundRateLimiter', () => {
  let limiter: InboundRateLimiter;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    limiter = new InboundRateLimiter(loadConfig({}));
  });
  afterEach(() => {
    limiter.onModuleDestroy();
    jest.useRealTimers();
  });

  it('admits the burst (30) and then answers RATE_LIMITED with retryAfterMs at the default 10/s', () => {
    const socket = fakeSocket('ada');
    const decisions = Array.from({ length: 31 }, () => limiter.check(socket, 'message:send'));
    expect(decisions.slice(0, 30).every((d) => d === undefined)).toBe(true);
    expect(decisions[30]).toEqual({ code: ErrorCode.RATE_LIMITED, message: 'too many events, slow down', retryAfterMs: 100 });
    jest.advanceTimersByTime(100);
    expect(limiter.check(socket, 'message:send')).toBeUndefined();
  });

  it('shares one budget between the sockets of a user and none between users', () => {
    const tab1 = fakeSocket('ada', 's1');
    const tab2 = fakeSocket('ada', 's2');
    for (let i = 0; i < 30; i++) limiter.check(tab1, 'room:join');
    expect(limiter.check(tab2, 'room:join')).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    expect(limiter.check(fakeSocket('bob'), 'room:join')).toBeUndefined();
  });

  it('gives typing its own lower budget (burst 5, 2/s) and drops the excess silently', () => {
    const socket = fakeSocket('ada');
    const typing = Array.from({ length: 6 }, () => limiter.check(socket, 'typing'));
    expect(typing).toEqual([undefined, undefined, undefined, undefined, undefined, 'drop']);
    // The event budget is untouched by typing.
    expect(Array.from({ length: 30 }, () => limiter.check(socket, 'message:send')).every((d) => d === undefined)).toBe(true);
    jest.advanceTimersByTime(500);
    expect(limiter.check(socket, 'typing')).toBeUndefined();
  });

  it('disconnects a socket sending 5x its rate within 10 seconds', () => {
    const socket = fakeSocket('flooder');
    const started = Date.now();
    for (let i = 0; i < 50 * 10 && socket.disconnect.mock.calls.length === 0; i++) {
      limiter.check(socket, 'message:send');
      jest.advanceTimersByTime(20);
    }
    expect(socket.disconnect).toHaveBeenCalledWith(true);
    expect(Date.now() - started).toBeLessThanOrEqual(10_000);
  });

  it('disconnects at 1000 events per second within half a second', () => {
    const socket = fakeSocket('flooder');
    const started = Date.now();
    while (socket.disconnect.mock.calls.length === 0 && Date.now() - started < 10_000) {
      limiter.check(socket, 'room:history');
      jest.advanceTimersByTime(1);
    }
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('does not disconnect a socket that is merely over its rate (2x for 30 seconds)', () => {
    const socket = fakeSocket('eager');
    const decisions = sendSteadily(limiter, socket, 'message:send', 20, 30);
    expect(decisions.filter((d) => d !== undefined).length).toBeGreaterThan(200);
    expect(socket.disconnect).not.toHaveBeenCalled();
  });

  it('disconnects a socket that floods typing (dropped events count as refusals)', () => {
    const socket = fakeSocket('typist');
    sendSteadily(limiter, socket, 'typing', 100, 5);
    expect(socket.disconnect).toHaveBeenCalledWith(true);
  });

  it('does not disconnect a fast typist at 5x the typing rate', () => {
    const socket = fakeSocket('typist');
    sendSteadily(limiter, socket, 'typing', 10, 30);
    expect(socket.disconnect).not.toHaveBeenCalled();
  });

  it('starts a fresh flood window per socket, so a reconnect is judged on its own', () => {
    const first = fakeSocket('flooder', 'a');
    while (first.disconnect.mock.calls.length === 0) limiter.check(first, 'x');
    const second = fakeSocket('flooder', 'b');
    // The user's bucket is still empty, so the new socket is refused at once, but not cut off at once.
    expect(limiter.check(second, 'x')).toMatchObject({ code: ErrorCode.RATE_LIMITED });
    expect(second.disconnect).not.toHaveBeenCalled();
  });
});
