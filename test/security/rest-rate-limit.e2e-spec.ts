import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import request from 'supertest';
import { RestRateLimiter } from '../../src/limits/rest-rate-limiter.js';
import { type RunningApp, startApp } from '../support/app.js';
import { ADMIN_KEY } from '../support/suite.js';

/** The production defaults: TEST_ENV raises them for every other test. */
const DEFAULT_REST_LIMITS = {
  REST_RATE_PER_SECOND: undefined,
  REST_RATE_BURST: undefined,
  ADMIN_REST_RATE_PER_SECOND: undefined,
  ADMIN_REST_RATE_BURST: undefined,
};
const REST_BURST = 60;
const ADMIN_BURST = 30;

/**
 * Holds the clock still, so "a burst" means no token is refilled while it is sent, whatever the
 * machine's speed: the counts below are exact. Only Date.now is frozen; timers keep running.
 */
function freezeClock(): { advance(ms: number): void } {
  let now = Date.now();
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  return { advance: (ms) => void (now += ms) };
}

describe('REST rate limits per client address', () => {
  let server: RunningApp;
  let clock: { advance(ms: number): void };

  beforeAll(async () => {
    server = await startApp({ ...DEFAULT_REST_LIMITS, TRUST_PROXY: 'true' });
  });
  afterAll(() => server.close());
  afterEach(() => {
    jest.restoreAllMocks();
  });

  const from = (address: string) => ({
    history: () => request(server.url).get('/rooms/lobby/messages').set('X-Forwarded-For', address),
    get: (path: string) => request(server.url).get(path).set('X-Forwarded-For', address),
    announce: (key = ADMIN_KEY) =>
      request(server.url).post('/announcements').set('X-Forwarded-For', address).set('X-Api-Key', key).send({ text: 'hi' }),
  });

  async function statuses(count: number, send: () => request.Test): Promise<number[]> {
    const answers: number[] = [];
    for (let i = 0; i < count; i += 1) answers.push((await send()).status);
    return answers;
  }

  it('answers the 61st request of a burst from one address 429 RATE_LIMITED with Retry-After; another address is served', async () => {
    clock = freezeClock();
    const attacker = from('203.0.113.1');
    expect(await statuses(REST_BURST, attacker.history)).toEqual(Array(REST_BURST).fill(200));
    const refused = await attacker.history();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    // One token at 20 per second.
    expect(refused.body).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'too many requests from this address, slow down',
      retryAfterMs: 50,
    });
    expect((await attacker.get('/users')).status).toBe(429);
    expect((await attacker.get('/rooms/lobby')).status).toBe(429);

    await from('203.0.113.2').history().expect(200);
    // Waiting as told lets exactly one more through.
    clock.advance(50);
    await attacker.history().expect(200);
    await attacker.history().expect(429);
  });

  it('never limits /health, /health/ready and /metrics, also for a limited address', async () => {
    clock = freezeClock();
    const scraper = from('203.0.113.3');
    expect(await statuses(REST_BURST + 1, scraper.history)).toContain(429);
    for (const path of ['/health', '/health/ready', '/metrics']) {
      expect(await statuses(REST_BURST + 10, () => scraper.get(path))).toEqual(Array(REST_BURST + 10).fill(200));
    }
  });

  it('gives admin routes a bucket of their own, per address, counting refused credentials too', async () => {
    clock = freezeClock();
    const admin = from('203.0.113.4');
    expect(await statuses(ADMIN_BURST, () => admin.announce())).toEqual(Array(ADMIN_BURST).fill(201));
    const refused = await admin.announce();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 100 });
    for (const [method, path] of [
      ['post', '/rooms/lobby/messages'],
      ['delete', '/users/ada/connections'],
    ] as const) {
      const res = await request(server.url)
        [method](path)
        .set('X-Forwarded-For', '203.0.113.4')
        .set('X-Api-Key', ADMIN_KEY)
        .send({ text: 'x' });
      expect(res.status).toBe(429);
    }
    // The general bucket of that address is untouched, and the admin bucket is per address.
    expect(await statuses(REST_BURST, admin.history)).toEqual(Array(REST_BURST).fill(200));
    await admin.history().expect(429);
    await from('203.0.113.5').announce().expect(201);

    // Guessing keys spends the admin bucket like any request: the right key then waits too.
    const guesser = from('203.0.113.6');
    expect(await statuses(ADMIN_BURST, () => guesser.announce('wrong-key'))).toEqual(Array(ADMIN_BURST).fill(401));
    await guesser.announce().expect(429);
  });

  it('forgets idle addresses: memory holds only the addresses still refilling', async () => {
    const limiter = server.app.get(RestRateLimiter);
    clock = freezeClock();
    for (let i = 0; i < 100; i += 1) {
      await from(`198.51.100.${i}`).get('/rooms').expect(200);
      await from(`198.51.100.${i}`).announce('wrong-key').expect(401);
    }
    const before = limiter.trackedAddresses();
    expect(before.general).toBeGreaterThanOrEqual(100);
    expect(before.admin).toBeGreaterThanOrEqual(100);
    clock.advance(60_000);
    limiter.sweep(Date.now());
    expect(limiter.trackedAddresses()).toEqual({ general: 0, admin: 0 });
  });
});

describe('REST rate limits without TRUST_PROXY', () => {
  let server: RunningApp;
  beforeAll(async () => {
    server = await startApp({ ...DEFAULT_REST_LIMITS, REST_RATE_BURST: '5' });
  });
  afterAll(() => server.close());
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('ignores X-Forwarded-For: a client cannot pick a fresh address per request', async () => {
    freezeClock();
    for (let i = 1; i <= 5; i += 1) await request(server.url).get('/rooms').set('X-Forwarded-For', `192.0.2.${i}`).expect(200);
    await request(server.url).get('/rooms').set('X-Forwarded-For', '192.0.2.99').expect(429);
    await request(server.url).get('/health').expect(200);
  });
});
