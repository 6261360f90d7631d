import { describe, expect, it } from '@jest/globals';
import type { DirectMessage, DirectSendResult, MessagePage } from '../../src/contract.js';
import { detailFields, ErrorCode, failure } from '../support/acks.js';
import { e2eApp } from '../support/suite.js';

describe('direct messages (e2e)', () => {
  const server = e2eApp({ MAX_MESSAGE_LENGTH: '20' });

  it("reaches every socket of the recipient and the sender's other sockets, nobody else", async () => {
    const adaTab1 = await server.connect('ada');
    const adaTab2 = await server.connect('ada');
    const bobTab1 = await server.connect('bob');
    const bobTab2 = await server.connect('bob');
    const carol = await server.connect('carol');
    const { message, delivered } = await adaTab1.ok<DirectSendResult>('message:direct', { to: 'bob', text: 'psst' });
    expect(delivered).toBe(true);
    expect(message).toEqual({
      id: expect.any(String),
      from: { id: 'ada', name: 'ada' },
      to: { id: 'bob', name: 'bob' },
      text: 'psst',
      sentAt: expect.any(String),
    });
    expect(new Date(message.sentAt).toISOString()).toBe(message.sentAt);
    for (const receiver of [adaTab2, bobTab1, bobTab2]) await expect(receiver.waitFor('message:direct')).resolves.toEqual(message);
    const everyone = [adaTab1, adaTab2, bobTab1, bobTab2, carol];
    await Promise.all(everyone.map((c) => c.barrier()));
    expect(everyone.map((c) => c.events('message:direct').length)).toEqual([0, 1, 1, 1, 0]);
  });

  it('keeps a message to a user without connection and says delivered: false', async () => {
    const ada = await server.connect('ada');
    const { message, delivered } = await ada.ok<DirectSendResult>('message:direct', { to: 'dora', text: 'later' });
    expect(delivered).toBe(false);
    expect(message.to).toEqual({ id: 'dora', name: 'dora' });
    const dora = await server.connect('dora');
    await dora.barrier();
    expect(dora.events('message:direct')).toEqual([]);
    expect(await dora.ok('direct:history', { with: 'ada' })).toEqual({ messages: [message], hasMore: false });
  });

  it('refuses a message to yourself with VALIDATION_FAILED on to', async () => {
    const ada = await server.connect('ada');
    const other = await server.connect('ada');
    const error = failure(await ada.request('message:direct', { to: 'ada', text: 'me' }), ErrorCode.VALIDATION_FAILED);
    expect(error.details).toEqual([{ field: 'to', messages: ['to must be another user'] }]);
    await other.barrier();
    expect(other.events('message:direct')).toEqual([]);
  });

  it.each([
    [{ to: 'bob smith', text: 'x' }, ['to']],
    [{ to: 'bob', text: '   ' }, ['text']],
    [{ to: 'bob', text: 'z'.repeat(21) }, ['text']],
    [{ to: 'bob' }, ['text']],
    [{ to: 'bob', text: 'x', from: 'carol' }, ['from']],
  ])('refuses %j with VALIDATION_FAILED', async (payload, fields) => {
    const ada = await server.connect('ada');
    const error = failure(await ada.request('message:direct', payload), ErrorCode.VALIDATION_FAILED);
    expect(detailFields(error)).toEqual(fields);
  });

  it('dedups by (sender, clientMsgId): the original comes back, nothing is stored or emitted twice', async () => {
    const fay = await server.connect('fay');
    const gus = await server.connect('gus');
    const first = await fay.ok<DirectSendResult>('message:direct', { to: 'gus', text: 'once', clientMsgId: 'dm-1' });
    expect(first.message.clientMsgId).toBe('dm-1');
    const again = await fay.ok<DirectSendResult>('message:direct', { to: 'gus', text: 'once', clientMsgId: 'dm-1' });
    expect(again.message).toEqual(first.message);
    await gus.barrier();
    expect(gus.events('message:direct')).toEqual([first.message]);
    expect((await gus.ok<MessagePage<DirectMessage>>('direct:history', { with: 'fay' })).messages).toEqual([first.message]);
    const fromGus = await gus.ok<DirectSendResult>('message:direct', { to: 'fay', text: 'mine', clientMsgId: 'dm-1' });
    expect(fromGus.message.id).not.toBe(first.message.id);
  });

  describe('direct:history', () => {
    it('pages the conversation chronologically with beforeId and limit', async () => {
      const hal = await server.connect('hal');
      const ivy = await server.connect('ivy');
      const sent: DirectMessage[] = [];
      for (let i = 0; i < 5; i += 1) {
        const sender = i % 2 === 0 ? hal : ivy;
        const to = i % 2 === 0 ? 'ivy' : 'hal';
        sent.push((await sender.ok<DirectSendResult>('message:direct', { to, text: `page ${i}` })).message);
      }
      const newest = await hal.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ivy', limit: 2 });
      expect(newest).toEqual({ messages: sent.slice(3), hasMore: true });
      const older = await ivy.ok<MessagePage<DirectMessage>>('direct:history', { with: 'hal', beforeId: sent[3]!.id, limit: 2 });
      expect(older).toEqual({ messages: sent.slice(1, 3), hasMore: true });
      const oldest = await hal.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ivy', beforeId: sent[1]!.id });
      expect(oldest).toEqual({ messages: sent.slice(0, 1), hasMore: false });
    });

    it("only ever shows the caller's own conversation", async () => {
      const ada = await server.connect('ada');
      const bob = await server.connect('bob');
      const eve = await server.connect('eve');
      const secret = (await ada.ok<DirectSendResult>('message:direct', { to: 'bob', text: 'secret' })).message;
      expect(await eve.ok('direct:history', { with: 'ada' })).toEqual({ messages: [], hasMore: false });
      expect(await eve.ok('direct:history', { with: 'bob' })).toEqual({ messages: [], hasMore: false });
      const error = failure(await eve.request('direct:history', { with: 'bob', beforeId: secret.id }), ErrorCode.NOT_FOUND);
      expect(error.message).toBe('beforeId is not a message of this conversation');
      expect(JSON.stringify(error)).not.toContain('secret');
      expect((await bob.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ada' })).messages).toContainEqual(secret);
    });

    it('answers NOT_FOUND for an unknown beforeId and VALIDATION_FAILED for bad fields', async () => {
      const ada = await server.connect('ada');
      failure(await ada.request('direct:history', { with: 'bob', beforeId: 'no-such-id' }), ErrorCode.NOT_FOUND);
      const error = failure(await ada.request('direct:history', { with: 'b b', limit: 0 }), ErrorCode.VALIDATION_FAILED);
      expect(detailFields(error).sort()).toEqual(['limit', 'with']);
    });
  });
});
