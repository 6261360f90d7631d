import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../config/app-config.js';
import { HandshakeRateLimiter } from './handshake-rate-limiter.js';

function request(peer: string, forwarded?: string): IncomingMessage {
  return { headers: forwarded ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
}

describe('HandshakeRateLimiter', () => {
  let limiter: HandshakeRateLimiter;
  afterEach(() => limiter.onModuleDestroy());

  it('grants the burst per address, then answers how long to wait', () => {
    limiter = new HandshakeRateLimiter(loadConfig({ HANDSHAKE_RATE_PER_SECOND: '2', HANDSHAKE_RATE_BURST: '3' }));
    const grants = Array.from({ length: 3 }, () => limiter.take(request('10.0.0.1'), 0));
    expect(grants).toEqual([0, 0, 0]);
    expect(limiter.take(request('10.0.0.1'), 0)).toBe(500);
    expect(limiter.take(request('10.0.0.2'), 0)).toBe(0);
    expect(limiter.take(request('10.0.0.1'), 500)).toBe(0);
  });

  it('keys on the proxy-appended address when TRUST_PROXY is set', () => {
    limiter = new HandshakeRateLimiter(loadConfig({ HANDSHAKE_RATE_PER_SECOND: '1', HANDSHAKE_RATE_BURST: '1', TRUST_PROXY: 'true' }));
    expect(limiter.take(request('10.0.0.9', 'spoof-1, 203.0.113.7'), 0)).toBe(0);
    expect(limiter.take(request('10.0.0.9', 'spoof-2, 203.0.113.7'), 0)).toBe(1000);
    expect(limiter.take(request('10.0.0.9', '203.0.113.8'), 0)).toBe(0);
  });

  it('forgets addresses whose bucket has refilled, so the map holds only recent ones', () => {
    limiter = new HandshakeRateLimiter(loadConfig({ HANDSHAKE_RATE_PER_SECOND: '5', HANDSHAKE_RATE_BURST: '20' }));
    for (let i = 0; i < 1000; i++) limiter.take(request(`10.0.${i >> 8}.${i & 255}`), 0);
    limiter.take(request('10.9.9.9'), 3000);
    expect(limiter.trackedAddresses).toBe(1001);
    // 1 token each refills in 200 ms; the one taken at 3 s is not full yet at 3.1 s.
    limiter.forgetFull(3100);
    expect(limiter.trackedAddresses).toBe(1);
    limiter.forgetFull(3200);
    expect(limiter.trackedAddresses).toBe(0);
  });
});
