import { describe, expect, it } from '@jest/globals';
import type { Message, MessagePage, MessageSendResult } from '../../src/contract.js';
import { detailFields, ErrorCode, failure } from '../support/acks.js';
import type { TestClient } from '../support/clients.js';
import { e2eApp } from '../support/suite.js';

describe('message:send (e2e)', () => {
  const server = e2eApp({ MAX_MESSAGE_LENGTH: '20' });

  async function inRoom(room: string, ...names: string[]): Promise<TestClient[]> {
    const clients: TestClient[] = [];
    for (const name of names) {
      const client = await server.connect(name);
      await client.ok('room:join', { room });
      clients.push(client);
    }
    return clients;
  }

  it("reaches every other socket in the room, the sender's other tabs included, and only them", async () => {
    const [adaTab1, adaTab2, bob] = await inRoom('m1', 'ada', 'ada', 'bob');
    const outsider = await server.connect('carol');
    const adaElsewhere = await server.connect('ada');
    const { message } = await adaTab1!.ok<MessageSendResult>('message:send', { room: 'm1', text: 'hi all' });
    expect(message).toEqual({
      id: expect.any(String),
      room: 'm1',
      seq: 1,
      from: { id: 'ada', name: 'ada' },
      text: 'hi all',
      sentAt: expect.any(String),
      rev: 1,
    });
    await expect(adaTab2!.waitFor('message:new')).resolves.toEqual(message);
    await expect(bob!.waitFor('message:new')).resolves.toEqual(message);
    const everyone = [adaTab1!, adaTab2!, bob!, outsider, adaElsewhere];
    await Promise.all(everyone.map((c) => c.barrier()));
    expect(adaTab1!.events('message:new')).toEqual([]);
    expect(adaTab2!.events('message:new')).toHaveLength(1);
    expect(bob!.events('message:new')).toHaveLength(1);
    expect(outsider.events('message:new')).toEqual([]);
    expect(adaElsewhere.events('message:new')).toEqual([]);
  });

  it('refuses a sender who is not in the room with FORBIDDEN, storing nothing', async () => {
    const [bob] = await inRoom('m2', 'bob');
    const ada = await server.connect('ada');
    const error = failure(await ada.request('message:send', { room: 'm2', text: 'let me in' }), ErrorCode.FORBIDDEN);
    expect(error.message).toBe('join m2 before sending to it');
    await bob!.barrier();
    expect(bob!.events('message:new')).toEqual([]);
    expect(await bob!.ok('room:history', { room: 'm2' })).toEqual({ messages: [], hasMore: false });
  });

  it("refuses the sender's own reserved user room with FORBIDDEN", async () => {
    const tab1 = await server.connect('ada');
    const tab2 = await server.connect('ada');
    const error = failure(await tab1.request('message:send', { room: 'user:ada', text: 'to my tabs' }), ErrorCode.FORBIDDEN);
    expect(error.message).toBe('user:ada is a reserved room name');
    await tab2.barrier();
    expect(tab2.events('message:new')).toEqual([]);
  });

  it('stores the text as sent and counts its length as sent against MAX_MESSAGE_LENGTH', async () => {
    const [ada] = await inRoom('m3', 'ada');
    const padded = `  ${'x'.repeat(17)}\n`;
    expect((await ada!.ok<MessageSendResult>('message:send', { room: 'm3', text: padded })).message.text).toBe(padded);
    expect((await ada!.ok<MessageSendResult>('message:send', { room: 'm3', text: 'ünïcødé ✓' })).message.text).toBe('ünïcødé ✓');
  });

  it.each([
    ['blank', ' \n\t ', 'text must not be blank'],
    ['empty', '', 'text must not be blank'],
    ['21 characters', 'y'.repeat(21), 'text must be at most 20 characters'],
    ['20 characters padded to 21', ` ${'y'.repeat(20)}`, 'text must be at most 20 characters'],
    ['one character padded past the limit', `y${' '.repeat(20)}`, 'text must be at most 20 characters'],
  ])('refuses %s text with VALIDATION_FAILED details', async (_label, text, why) => {
    const [ada, bob] = await inRoom('m4', 'ada', 'bob');
    const error = failure(await ada!.request('message:send', { room: 'm4', text }), ErrorCode.VALIDATION_FAILED);
    expect(error.details).toEqual([{ field: 'text', messages: [why] }]);
    await bob!.barrier();
    expect(bob!.events('message:new')).toEqual([]);
  });

  it('rejects a spoofed from as an unknown property', async () => {
    const [ada] = await inRoom('m5', 'ada');
    const error = failure(
      await ada!.request('message:send', { room: 'm5', text: 'hi', from: { id: 'root', name: 'root' } }),
      ErrorCode.VALIDATION_FAILED,
    );
    expect(error.details).toEqual([{ field: 'from', messages: ['property from should not exist'] }]);
  });

  it('refuses clientMsgId outside 1-64 characters and null', async () => {
    const [ada] = await inRoom('m6', 'ada');
    for (const clientMsgId of ['', 'c'.repeat(65), null, 5]) {
      const error = failure(await ada!.request('message:send', { room: 'm6', text: 'x', clientMsgId }), ErrorCode.VALIDATION_FAILED);
      expect(detailFields(error)).toEqual(['clientMsgId']);
    }
    const { message } = await ada!.ok<MessageSendResult>('message:send', { room: 'm6', text: 'x', clientMsgId: 'c'.repeat(64) });
    expect(message.clientMsgId).toBe('c'.repeat(64));
  });

  describe('dedup by (user, clientMsgId)', () => {
    it('returns the original message and neither stores nor emits it twice', async () => {
      const [ada, bob] = await inRoom('d1', 'ada', 'bob');
      const first = await ada!.ok<MessageSendResult>('message:send', { room: 'd1', text: 'once', clientMsgId: 'k1' });
      expect(first.message.clientMsgId).toBe('k1');
      const again = await ada!.ok<MessageSendResult>('message:send', { room: 'd1', text: 'once', clientMsgId: 'k1' });
      expect(again).toEqual(first);
      const changed = await ada!.ok<MessageSendResult>('message:send', { room: 'd1', text: 'edited', clientMsgId: 'k1' });
      expect(changed).toEqual(first);
      await bob!.barrier();
      expect(bob!.events('message:new')).toEqual([first.message]);
      const history = await bob!.ok<MessagePage<Message>>('room:history', { room: 'd1' });
      expect(history.messages).toEqual([first.message]);
    });

    it("also across the user's tabs, and under concurrent retries", async () => {
      const [tab1, tab2, bob] = await inRoom('d2', 'ada', 'ada', 'bob');
      const acks = await Promise.all([
        ...Array.from({ length: 5 }, () => tab1!.ok<MessageSendResult>('message:send', { room: 'd2', text: 't', clientMsgId: 'k2' })),
        ...Array.from({ length: 5 }, () => tab2!.ok<MessageSendResult>('message:send', { room: 'd2', text: 't', clientMsgId: 'k2' })),
      ]);
      expect(new Set(acks.map((a) => a.message.id)).size).toBe(1);
      await Promise.all([tab1!.barrier(), tab2!.barrier(), bob!.barrier()]);
      expect(bob!.events('message:new')).toHaveLength(1);
      expect(tab1!.events('message:new').length + tab2!.events('message:new').length).toBe(1);
      expect((await bob!.ok<MessagePage<Message>>('room:history', { room: 'd2' })).messages).toHaveLength(1);
    });

    it('keeps the same clientMsgId of two different users apart', async () => {
      const [ada, bob] = await inRoom('d3', 'ada', 'bob');
      const fromAda = await ada!.ok<MessageSendResult>('message:send', { room: 'd3', text: 'a', clientMsgId: 'same' });
      const fromBob = await bob!.ok<MessageSendResult>('message:send', { room: 'd3', text: 'b', clientMsgId: 'same' });
      expect(fromBob.message.id).not.toBe(fromAda.message.id);
      expect([fromAda.message.seq, fromBob.message.seq]).toEqual([1, 2]);
    });

    it('scopes dedup to the user, not the room: a reused clientMsgId returns the original from its room', async () => {
      const [ada, bob] = await inRoom('d5a', 'ada', 'bob');
      await ada!.ok('room:join', { room: 'd5b' });
      await bob!.ok('room:join', { room: 'd5b' });
      const original = await ada!.ok<MessageSendResult>('message:send', { room: 'd5a', text: 'a', clientMsgId: 'k5' });
      const reused = await ada!.ok<MessageSendResult>('message:send', { room: 'd5b', text: 'b', clientMsgId: 'k5' });
      expect(reused).toEqual(original);
      await bob!.barrier();
      expect(bob!.events('message:new')).toEqual([original.message]);
      expect(await bob!.ok('room:history', { room: 'd5b' })).toEqual({ messages: [], hasMore: false });
    });

    it('does not dedup messages without clientMsgId', async () => {
      const [ada] = await inRoom('d4', 'ada');
      const a = await ada!.ok<MessageSendResult>('message:send', { room: 'd4', text: 'same' });
      const b = await ada!.ok<MessageSendResult>('message:send', { room: 'd4', text: 'same' });
      expect(a.message.id).not.toBe(b.message.id);
      expect(b.message.seq).toBe(2);
      expect(b.message).not.toHaveProperty('clientMsgId');
    });
  });
});
