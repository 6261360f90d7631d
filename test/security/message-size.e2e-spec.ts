import { describe, expect, it } from '@jest/globals';
import type { Announcement, DirectMessage, DirectSendResult, Message, MessagePage, MessageSendResult } from '../../src/contract.js';
import { ErrorCode, failure } from '../support/acks.js';
import { ADMIN_KEY, e2eApp } from '../support/suite.js';

/** The defaults: MAX_MESSAGE_LENGTH 4000, MAX_PAYLOAD_BYTES 65536 (the padded text fits in one packet). */
const MAX_MESSAGE_LENGTH = 4000;
/** One visible character padded far past the limit: the trimmed length is 1, the stored one 65,001. */
const PADDED = `x${' '.repeat(65_000)}`;
const TOO_LONG = `text must be at most ${MAX_MESSAGE_LENGTH} characters`;
/** Exactly MAX_MESSAGE_LENGTH characters, padding included: the longest text accepted. */
const LONGEST = ` ${'é'.repeat(MAX_MESSAGE_LENGTH - 2)} `;

describe('message size: the length rule applies to the text as sent', () => {
  const server = e2eApp();
  const admin = { 'X-Api-Key': ADMIN_KEY };

  it('refuses "x" plus 65,000 spaces on message:send, message:direct and announce, storing and delivering nothing', async () => {
    const ada = await server.connect('ada');
    const bob = await server.connect('bob');
    const root = await server.connect('root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
    for (const c of [ada, bob]) await c.ok('room:join', { room: 'padded' });

    const attempts = [
      await ada.request('message:send', { room: 'padded', text: PADDED }),
      await ada.request('message:direct', { to: 'bob', text: PADDED }),
      await root.request('announce', { text: PADDED }),
    ];
    for (const ack of attempts) {
      expect(failure(ack, ErrorCode.VALIDATION_FAILED).details).toEqual([{ field: 'text', messages: [TOO_LONG] }]);
    }
    await Promise.all([ada, bob, root].map((c) => c.barrier()));
    expect([...bob.events('message:new'), ...bob.events('message:direct'), ...bob.events('announcement')]).toEqual([]);
    expect(await bob.ok<MessagePage<Message>>('room:history', { room: 'padded' })).toEqual({ messages: [], hasMore: false });
    expect(await bob.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ada' })).toEqual({ messages: [], hasMore: false });
    expect((await server.http().get('/rooms/padded').expect(200)).body.lastSeq).toBe(0);
  });

  it('refuses it on the admin REST posts with 400 VALIDATION_FAILED, storing nothing', async () => {
    for (const path of ['/rooms/padded-rest/messages', '/announcements']) {
      const res = await server.http().post(path).set(admin).send({ text: PADDED }).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        code: ErrorCode.VALIDATION_FAILED,
        // The rule is a DTO rule now: the message is that of every malformed request.
        message: 'request is invalid',
        details: [{ field: 'text', messages: [TOO_LONG] }],
      });
    }
    await server.http().get('/rooms/padded-rest').expect(404);
  });

  it('accepts exactly MAX_MESSAGE_LENGTH characters, padding included, and refuses one more, on every path', async () => {
    expect(LONGEST).toHaveLength(MAX_MESSAGE_LENGTH);
    const ada = await server.connect('ada');
    const root = await server.connect('root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
    await ada.ok('room:join', { room: 'longest' });

    expect((await ada.ok<MessageSendResult>('message:send', { room: 'longest', text: LONGEST })).message.text).toBe(LONGEST);
    expect((await ada.ok<DirectSendResult>('message:direct', { to: 'bob', text: LONGEST })).message.text).toBe(LONGEST);
    expect((await root.ok<{ announcement: Announcement }>('announce', { text: LONGEST })).announcement.text).toBe(LONGEST);
    const posted = await server.http().post('/rooms/longest/messages').set(admin).send({ text: LONGEST }).expect(201);
    expect(posted.body.message.text).toBe(LONGEST);
    expect((await server.http().post('/announcements').set(admin).send({ text: LONGEST }).expect(201)).body.announcement.text).toBe(
      LONGEST,
    );
    const stored = await ada.ok<MessagePage<Message>>('room:history', { room: 'longest' });
    expect(stored.messages.map((m) => m.text)).toEqual([LONGEST, LONGEST]);

    const oneMore = `${LONGEST}x`;
    failure(await ada.request('message:send', { room: 'longest', text: oneMore }), ErrorCode.VALIDATION_FAILED);
    failure(await ada.request('message:direct', { to: 'bob', text: oneMore }), ErrorCode.VALIDATION_FAILED);
    failure(await root.request('announce', { text: oneMore }), ErrorCode.VALIDATION_FAILED);
    await server.http().post('/rooms/longest/messages').set(admin).send({ text: oneMore }).expect(400);
    await server.http().post('/announcements').set(admin).send({ text: oneMore }).expect(400);
    expect((await server.http().get('/rooms/longest').expect(200)).body.lastSeq).toBe(2);
  });
});
