import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Authenticator } from '../../src/auth/credentials.js';
import { ChatService } from '../../src/chat/chat.service.js';
import type { ErrorBody } from '../../src/contract.js';
import { MESSAGE_STORE_ENGINE, type MessageStore } from '../../src/messages/message-store.js';
import { MessagesService } from '../../src/messages/messages.service.js';
import { RoomsService } from '../../src/rooms/rooms.service.js';
import { ErrorCode } from '../support/acks.js';
import { ADMIN_KEY, e2eApp, emitNoAck } from '../support/suite.js';

const SECRET_TEXT = 'card 4111-1111-1111-1111';
const INTERNAL: ErrorBody = { code: ErrorCode.INTERNAL, message: 'Internal server error' };

/** An error whose message and stack carry the offending payload, as a careless bug would. */
function leakyBug(): Error {
  return new TypeError(`Cannot read properties of undefined (reading '${SECRET_TEXT}')`);
}

function expectNoLeak(serialized: string): void {
  expect(serialized).not.toContain(SECRET_TEXT);
  expect(serialized).not.toContain('TypeError');
  expect(serialized).not.toMatch(/\bat \S+ \(|\.ts:\d+|\.js:\d+|node_modules/);
}

describe('unexpected failures (e2e)', () => {
  const server = e2eApp();

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('answers a socket event whose service throws a non-AppError with a bare INTERNAL', async () => {
    jest.spyOn(server.app.get(MessagesService), 'sendToRoom').mockRejectedValue(leakyBug());
    const client = await server.connect('ada');
    await client.ok('room:join', { room: 'lobby' });
    const ack = await client.request('message:send', { room: 'lobby', text: SECRET_TEXT });
    expect(ack).toEqual({ ok: false, error: INTERNAL });
    expectNoLeak(JSON.stringify(ack));
  });

  it('answers a synchronous throw the same way, and through `exception` without an ack', async () => {
    jest.spyOn(server.app.get(ChatService), 'typing').mockImplementation(() => {
      throw leakyBug();
    });
    const client = await server.connect('ada');
    await client.ok('room:join', { room: 'lobby' });
    expect(await client.request('typing', { room: 'lobby', typing: true })).toEqual({ ok: false, error: INTERNAL });
    emitNoAck(client, 'typing', { room: 'lobby', typing: true });
    const exception = await client.waitFor('exception');
    expect(exception).toEqual({ event: 'typing', ...INTERNAL });
    expectNoLeak(JSON.stringify(client.received));
  });

  it('answers a failing message store with UNAVAILABLE, without its error text', async () => {
    // The engine fails; the guard MessageStore is provided as turns that into UNAVAILABLE.
    jest
      .spyOn(server.app.get<MessageStore>(MESSAGE_STORE_ENGINE), 'appendRoomMessage')
      .mockRejectedValue(new Error(`db said: ${SECRET_TEXT}`));
    const client = await server.connect('ada');
    await client.ok('room:join', { room: 'lobby' });
    const ack = await client.request('message:send', { room: 'lobby', text: SECRET_TEXT });
    expect(ack).toEqual({ ok: false, error: { code: ErrorCode.UNAVAILABLE, message: 'message store is unavailable, try again' } });
    expectNoLeak(JSON.stringify(ack));
  });

  it('keeps serving after the failure', async () => {
    const spy = jest.spyOn(server.app.get(MessagesService), 'sendToRoom').mockRejectedValueOnce(leakyBug());
    const client = await server.connect('ada');
    await client.ok('room:join', { room: 'after' });
    expect(await client.request('message:send', { room: 'after', text: 'x' })).toEqual({ ok: false, error: INTERNAL });
    expect(await client.ok('message:send', { room: 'after', text: 'y' })).toMatchObject({ message: { text: 'y', seq: 1 } });
    expect(spy).toHaveBeenCalledTimes(2);
  });

  it('answers a failing REST lookup with 500 { statusCode, code: INTERNAL, message } only', async () => {
    jest.spyOn(server.app.get(RoomsService), 'list').mockRejectedValue(leakyBug());
    const res = await server.http().get('/rooms').expect(500);
    expect(res.body).toEqual({ statusCode: 500, ...INTERNAL });
    expectNoLeak(res.text);
  });

  it('answers a failing admin action with 500 INTERNAL, without the posted text', async () => {
    jest.spyOn(server.app.get(MessagesService), 'postSystemMessage').mockRejectedValue(leakyBug());
    const res = await server.http().post('/rooms/lobby/messages').set('X-Api-Key', ADMIN_KEY).send({ text: SECRET_TEXT }).expect(500);
    expect(res.body).toEqual({ statusCode: 500, ...INTERNAL });
    expectNoLeak(res.text);
  });

  it('refuses a handshake whose authenticator throws a non-AppError with connect_error INTERNAL', async () => {
    jest.spyOn(server.app.get(Authenticator), 'authenticate').mockRejectedValue(leakyBug());
    const error = await server.refuse({ auth: { username: 'ada' } });
    expect(error.message).toBe('INTERNAL');
    expect(error.data).toEqual(INTERNAL);
    expectNoLeak(JSON.stringify({ message: error.message, data: error.data }));
  });
});
