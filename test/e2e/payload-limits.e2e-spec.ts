import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Ack, FieldError } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { ErrorCode, failure } from '../support/acks.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { ADMIN_KEY } from '../support/suite.js';

interface LimitedApp {
  label: string;
  maxMessageLength: number;
  running?: RunningApp;
  ada?: TestClient;
  root?: TestClient;
}

/**
 * The text rule is a DTO rule whose limit comes from config: two apps with different
 * MAX_MESSAGE_LENGTH in one process (as here) must each enforce their own, on the socket path
 * (valid payloads through the compiled check, refused ones through class-validator's details)
 * and on REST. A limit kept per process (class-validator's useContainer, a module variable)
 * would hold both apps to whichever app registered last.
 */
describe('MAX_MESSAGE_LENGTH holds per app, with two apps in one process (e2e)', () => {
  const small: LimitedApp = { label: 'small', maxMessageLength: 5 };
  const large: LimitedApp = { label: 'large', maxMessageLength: 8 };
  const clients: TestClient[] = [];

  beforeAll(async () => {
    // Both apps exist before either validates anything.
    [small.running, large.running] = await Promise.all([
      startApp({ MAX_MESSAGE_LENGTH: String(small.maxMessageLength) }),
      startApp({ MAX_MESSAGE_LENGTH: String(large.maxMessageLength) }),
    ]);
    for (const app of [small, large]) {
      app.ada = await connect(app.running!.url, 'ada');
      app.root = await connect(app.running!.url, 'root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
      clients.push(app.ada, app.root);
      await app.ada.ok('room:join', { room: 'limits' });
      // seq 1, ada's: what the message:edit below edits.
      await app.ada.ok('message:send', { room: 'limits', text: 'seed' });
    }
  });

  afterAll(async () => {
    closeAll(clients);
    await Promise.all([small.running?.close(), large.running?.close()]);
  });

  const tooLong = (app: LimitedApp): FieldError[] => [
    { field: 'text', messages: [`text must be at most ${app.maxMessageLength} characters`] },
  ];

  /** Texts of the app's own limit, padding included, and one character more. */
  const longest = (app: LimitedApp): string => ` ${'x'.repeat(app.maxMessageLength - 2)} `;

  const socketSends = (app: LimitedApp, text: string): Array<Promise<Ack<unknown>>> => [
    app.ada!.request('message:send', { room: 'limits', text }),
    app.ada!.request('message:edit', { room: 'limits', seq: 1, text }),
    app.ada!.request('message:direct', { to: 'bob', text }),
    app.root!.request('announce', { text }),
  ];

  const restPosts = (app: LimitedApp, text: string): request.Test[] => [
    request(app.running!.url).post('/rooms/limits/messages').set('X-Api-Key', ADMIN_KEY).send({ text }),
    request(app.running!.url).post('/announcements').set('X-Api-Key', ADMIN_KEY).send({ text }),
  ];

  it('accepts up to its own limit and refuses one more on every socket event, the apps used in turn', async () => {
    // Alternating apps, in both orders, so that a limit shared through anything global shows.
    for (const order of [
      [small, large, small],
      [large, small, large],
    ]) {
      for (const app of order) {
        for (const ack of await Promise.all(socketSends(app, longest(app)))) expect(ack).toMatchObject({ ok: true });
        for (const ack of await Promise.all(socketSends(app, `${longest(app)}x`))) {
          expect(failure(ack, ErrorCode.VALIDATION_FAILED).details).toEqual(tooLong(app));
        }
      }
    }
  });

  it('accepts up to its own limit and refuses one more on the admin REST posts, the apps used in turn', async () => {
    for (const order of [
      [large, small, large],
      [small, large, small],
    ]) {
      for (const app of order) {
        for (const res of await Promise.all(restPosts(app, longest(app)))) expect(res.status).toBe(201);
        for (const res of await Promise.all(restPosts(app, `${longest(app)}x`))) {
          expect(res.status).toBe(400);
          expect(res.body).toEqual({
            statusCode: 400,
            code: ErrorCode.VALIDATION_FAILED,
            message: 'request is invalid',
            details: tooLong(app),
          });
        }
      }
    }
  });

  it('takes a text between the two limits in the larger app only', async () => {
    const between = 'x'.repeat(large.maxMessageLength);
    expect(between.length).toBeGreaterThan(small.maxMessageLength);
    await large.ada!.ok('room:join', { room: 'between' });
    await small.ada!.ok('room:join', { room: 'between' });
    expect(await large.ada!.ok('message:send', { room: 'between', text: between })).toMatchObject({ message: { text: between, seq: 1 } });
    failure(await small.ada!.request('message:send', { room: 'between', text: between }), ErrorCode.VALIDATION_FAILED);
    expect((await request(large.running!.url).get('/rooms/between').expect(200)).body.lastSeq).toBe(1);
    expect((await request(small.running!.url).get('/rooms/between').expect(200)).body.lastSeq).toBe(0);
  });
});
