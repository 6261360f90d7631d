import { describe, expect, it } from '@jest/globals';
import { AddressRateLimiter } from './address-rate-limiter.js';

describe('AddressRateLimiter', () => {
  it('gives each address its own bucket', () => {
    const limiter = new AddressRateLimiter({ perSecond: 10, burst: 2 });
    expect([limiter.take('a', 0), limiter.take('a', 0), limiter.take('a', 0)]).toEqual([0, 0, 100]);
    expect([limiter.take('b', 0), limiter.take('b', 0)]).toEqual([0, 0]);
    expect(limiter.take('a', 100)).toBe(0);
  });

  it('forgets addresses whose bucket has refilled, and only those', () => {
    const limiter = new AddressRateLimiter({ perSecond: 10, burst: 5 });
    for (let i = 0; i < 1000; i += 1) limiter.take(`10.0.${i >> 8}.${i & 255}`, 0);
    for (let i = 0; i < 5; i += 1) limiter.take('busy', 400);
    expect(limiter.size).toBe(1001);
    limiter.sweep(50);
    expect(limiter.size).toBe(1001);
    limiter.sweep(500);
    expect(limiter.size).toBe(1);
    // busy kept its state: one token refilled since 400, not a fresh burst of five.
    expect([limiter.take('busy', 500), limiter.take('busy', 500)]).toEqual([0, 100]);
  });

  it('never tracks more than maxAddresses, forgetting the least recently seen first', () => {
    const limiter = new AddressRateLimiter({ perSecond: 1, burst: 1 }, 100);
    limiter.take('attacker', 0);
    for (let i = 0; i < 10_000; i += 1) {
      limiter.take(`2001:db8::${i.toString(16)}`, 0);
      if (i % 50 === 0) limiter.take('attacker', 0);
      expect(limiter.size).toBeLessThanOrEqual(100);
    }
    // Seen recently, so still tracked and still limited.
    expect(limiter.take('attacker', 0)).toBe(1000);
    expect(limiter.size).toBe(100);
  });
});
