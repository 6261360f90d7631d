import { describe, expect, it } from '@jest/globals';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('grants the burst at once, then one token per 1/rate seconds', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(50)).toBe(50);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.take(100)).toBe(100);
  });

  it('never holds more than the burst, however long it idles', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect(bucket.isFull(3_600_000)).toBe(true);
    expect([bucket.take(3_600_000), bucket.take(3_600_000), bucket.take(3_600_000)]).toEqual([0, 0, 100]);
  });

  it('reports full only once refilled completely', () => {
    const bucket = new TokenBucket(1, 2, 0);
    bucket.take(0);
    expect(bucket.isFull(500)).toBe(false);
    expect(bucket.isFull(1000)).toBe(true);
  });

  it('does not mint tokens when the clock goes backwards', () => {
    const bucket = new TokenBucket(10, 1, 1000);
    expect(bucket.take(1000)).toBe(0);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(1000)).toBe(100);
  });

  it('rounds the wait up so retrying after retryAfterMs succeeds', () => {
    const bucket = new TokenBucket(3, 1, 0);
    bucket.take(0);
    const wait = bucket.take(0);
    expect(wait).toBe(334);
    expect(bucket.take(wait)).toBe(0);
  });
});
