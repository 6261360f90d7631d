import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import request from 'supertest';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';

/** Reads one sample from Prometheus text: `name{labels} value`. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('metrics (e2e)', () => {
  let server: RunningApp;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startApp({ RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '20' });
  });

  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });

  it('counts known traffic exactly', async () => {
    const ada = await connect(server.url, 'm-ada');
    const bob = await connect(server.url, 'm-bob');
    const bobTab = await connect(server.url, 'm-bob');
    clients.push(ada, bob, bobTab);
    await ada.ok('room:join', { room: 'm-room' });
    await bob.ok('room:join', { room: 'm-room' });
    await ada.ok('message:send', { room: 'm-room', text: 'one' });
    await ada.ok('message:send', { room: 'm-room', text: 'two', clientMsgId: 'c-1' });
    await ada.ok('message:send', { room: 'm-room', text: 'two', clientMsgId: 'c-1' });
    await ada.ok('message:direct', { to: 'm-bob', text: 'hi' });
    expect((await ada.request('message:send', { room: 'nowhere', text: 'x' })).ok).toBe(false);
    expect((await ada.request('no-such-event', {})).ok).toBe(false);
    // A flooder fires 30 events at once against a burst of 20: count what it was refused.
    const flooder = await connect(server.url, 'm-flood');
    clients.push(flooder);
    const answers = await Promise.all(Array.from({ length: 30 }, () => flooder.request('room:history', { room: 'm-room' })));
    const refused = answers.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED').length;
    expect(refused).toBeGreaterThanOrEqual(5);

    const res = await request(server.url).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(sample(text, 'chat_connected_sockets')).toBe(4);
    expect(sample(text, 'chat_connected_users')).toBe(3);
    expect(sample(text, 'chat_rooms')).toBe(1);
    expect(sample(text, 'chat_inbound_events_total', 'event="message:send",outcome="ok"')).toBe(3);
    expect(sample(text, 'chat_inbound_events_total', 'event="message:send",outcome="FORBIDDEN"')).toBe(1);
    expect(sample(text, 'chat_inbound_events_total', 'event="(unknown)",outcome="UNKNOWN_EVENT"')).toBe(1);
    expect(sample(text, 'chat_inbound_events_total', 'event="room:history",outcome="RATE_LIMITED"')).toBe(refused);
    expect(sample(text, 'chat_inbound_events_total', 'event="room:history",outcome="ok"')).toBe(30 - refused);
    expect(sample(text, 'chat_messages_delivered_total', 'kind="room"')).toBe(2);
    expect(sample(text, 'chat_messages_delivered_total', 'kind="direct"')).toBe(1);
    expect(sample(text, 'chat_errors_total', 'code="RATE_LIMITED"')).toBe(refused);
    expect(sample(text, 'chat_errors_total', 'code="FORBIDDEN"')).toBe(1);
    expect(sample(text, 'chat_errors_total', 'code="UNKNOWN_EVENT"')).toBe(1);
    expect(sample(text, 'chat_rate_limited_total', 'event="room:history"')).toBe(refused);
    expect(sample(text, 'chat_ack_latency_seconds_count', 'event="message:send"')).toBe(4);
    expect(sample(text, 'chat_inbound_events_total', 'event="room:join",outcome="ok"')).toBe(2);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('records every event name the gateway has no handler for under one label, rate limited or not', async () => {
    // 200/s with a burst of 1: most of a quick burst of 5000 events is refused by the rate limiter
    // (the path that used to label by name), some are admitted and answered UNKNOWN_EVENT.
    const limited = await startApp({ RATE_LIMIT_PER_SECOND: '200', RATE_LIMIT_BURST: '1' });
    const prober = await connect(limited.url, 'm-prober');
    try {
      const names = Array.from({ length: 5000 }, (_, i) => `probe-${i}-${'x'.repeat(40)}`);
      const answers = await Promise.all(names.map((name) => prober.request(name, {}, 20_000)));
      const codes = new Set(answers.map((a) => (a.ok ? 'ok' : a.error.code)));
      expect(codes).toEqual(new Set(['RATE_LIMITED', 'UNKNOWN_EVENT']));
      const text = (await request(limited.url).get('/metrics').expect(200)).text;
      expect(text).not.toContain('probe-');
      expect(Buffer.byteLength(text)).toBeLessThan(100 * 1024);
      const refused = answers.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED').length;
      expect(sample(text, 'chat_inbound_events_total', 'event="(unknown)",outcome="RATE_LIMITED"')).toBe(refused);
      expect(sample(text, 'chat_inbound_events_total', 'event="(unknown)",outcome="UNKNOWN_EVENT"')).toBe(5000 - refused);
      expect(sample(text, 'chat_rate_limited_total', 'event="(unknown)"')).toBe(refused);
    } finally {
      prober.close();
      await limited.close();
    }
  });
});

describe('who may scrape /metrics (e2e)', () => {
  const ADMIN_KEY = 'metrics-admin-key';
  const SECRET = 'metrics-suite-hs256-secret-0123456789abcdef';
  const token = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT({ exp: Math.floor(Date.now() / 1000) + 600, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
  const started: RunningApp[] = [];
  const start = async (env: Record<string, string>): Promise<string> => {
    const running = await startApp({ ADMIN_API_KEY: ADMIN_KEY, ...env });
    started.push(running);
    return running.url;
  };

  afterAll(async () => {
    await Promise.all(started.map((running) => running.close()));
  });

  it('in JWT mode answers only to X-Api-Key or an admin token; Prometheus text for them', async () => {
    const url = await start({ JWT_SECRET: SECRET });
    const anonymous = await request(url).get('/metrics').expect(401);
    expect(anonymous.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(anonymous.text).not.toContain('chat_connected_sockets');
    await request(url).get('/metrics').set('X-Api-Key', `${ADMIN_KEY}x`).expect(401);
    await request(url).get('/metrics').set('Authorization', `Bearer ${ADMIN_KEY}x`).expect(401);
    const user = await request(url)
      .get('/metrics')
      .set('Authorization', `Bearer ${await token({ sub: 'ada' })}`)
      .expect(403);
    expect(user.body).toMatchObject({ code: 'FORBIDDEN' });
    const adminToken = `Bearer ${await token({ sub: 'prometheus', role: 'admin' })}`;
    for (const credentials of [{ 'X-Api-Key': ADMIN_KEY }, { Authorization: `Bearer ${ADMIN_KEY}` }, { Authorization: adminToken }]) {
      const res = await request(url).get('/metrics').set(credentials).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toContain('chat_connected_sockets');
    }
  });

  it('METRICS_PUBLIC=true opens it in JWT mode; METRICS_PUBLIC=false closes it in open mode', async () => {
    const jwtPublic = await start({ JWT_SECRET: SECRET, METRICS_PUBLIC: 'true' });
    expect((await request(jwtPublic).get('/metrics').expect(200)).text).toContain('chat_connected_sockets');
    const openPrivate = await start({ METRICS_PUBLIC: 'false' });
    await request(openPrivate).get('/metrics').expect(401);
    await request(openPrivate).get('/metrics').set('X-Api-Key', ADMIN_KEY).expect(200);
  });
});
