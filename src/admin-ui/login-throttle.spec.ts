import { describe, expect, it } from '@jest/globals';
import { LOGIN_WINDOW_MS, LoginThrottle, MAX_THROTTLED_ADDRESSES } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('refuses an address from its 5th failure until the minute that began with its 1st is over', () => {
    const throttle = new LoginThrottle(5);
    const reached = [0, 1000, 2000, 3000, 4000].map((at) => throttle.recordFailure('a', at));
    expect(reached).toEqual([false, false, false, false, true]);
    expect(throttle.retryAfterMs('a', 4000)).toBe(LOGIN_WINDOW_MS - 4000);
    expect(throttle.retryAfterMs('a', LOGIN_WINDOW_MS - 1)).toBe(1);
    expect(throttle.retryAfterMs('b', 4000)).toBe(0);
    expect(throttle.retryAfterMs('a', LOGIN_WINDOW_MS)).toBe(0);
    expect(throttle.size).toBe(0);
  });

  it('lets an address below the limit try, and forgets it on success', () => {
    const throttle = new LoginThrottle(3);
    throttle.recordFailure('a', 0);
    throttle.recordFailure('a', 0);
    expect(throttle.retryAfterMs('a', 0)).toBe(0);
    throttle.forget('a');
    throttle.recordFailure('a', 0);
    throttle.recordFailure('a', 0);
    expect(throttle.retryAfterMs('a', 0)).toBe(0);
  });

  it(`remembers at most ${MAX_THROTTLED_ADDRESSES} addresses, expired ones first out, then the oldest`, () => {
    const throttle = new LoginThrottle(1);
    for (let i = 0; i < MAX_THROTTLED_ADDRESSES; i++) throttle.recordFailure(`old-${i}`, 0);
    expect(throttle.size).toBe(MAX_THROTTLED_ADDRESSES);
    for (let i = 0; i < 100; i++) throttle.recordFailure(`late-${i}`, LOGIN_WINDOW_MS + i);
    expect(throttle.size).toBe(MAX_THROTTLED_ADDRESSES);
    for (let i = 0; i < 3 * MAX_THROTTLED_ADDRESSES; i++) throttle.recordFailure(`flood-${i}`, LOGIN_WINDOW_MS + 200);
    expect(throttle.size).toBe(MAX_THROTTLED_ADDRESSES);
    // The newest addresses are the ones still refused.
    expect(throttle.retryAfterMs(`flood-${3 * MAX_THROTTLED_ADDRESSES - 1}`, LOGIN_WINDOW_MS + 200)).toBeGreaterThan(0);
  });
});
