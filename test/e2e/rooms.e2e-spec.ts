import { describe, expect, it } from '@jest/globals';
import type { Message, MessagePage, MessageSendResult, RoomJoinResult, RoomLeaveResult } from '../../src/contract.js';
import { detailFields, ErrorCode, failure } from '../support/acks.js';
import type { TestClient } from '../support/clients.js';
import { e2eApp } from '../support/suite.js';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('rooms (e2e)', () => {
  const server = e2eApp({ HISTORY_LIMIT: '3' });

  async function fill(client: TestClient, room: string, count: number): Promise<Message[]> {
    const sent: Message[] = [];
    for (let i = 1; i <= count; i += 1) {
      sent.push((await client.ok<MessageSendResult>('message:send', { room, text: `${room} #${i}` })).message);
    }
    return sent;
  }

  it('delivers a room message to the other members exactly once', async () => {
    const ada = await server.connect('ada');
    const bob = await server.connect('bob');
    await ada.ok<RoomJoinResult>('room:join', { room: 'lobby' });
    await bob.ok<RoomJoinResult>('room:join', { room: 'lobby' });
    const { message } = await ada.ok<{ message: Message }>('message:send', { room: 'lobby', text: 'hello' });
    expect(message).toMatchObject({ room: 'lobby', seq: 1, from: { id: 'ada', name: 'ada' }, text: 'hello' });
    await expect(bob.waitFor('message:new')).resolves.toEqual(message);
    await Promise.all([ada.barrier(), bob.barrier()]);
    expect(bob.events('message:new')).toHaveLength(1);
    expect(ada.events('message:new')).toHaveLength(0);
    const res = await server.http().get('/rooms').expect(200);
    expect(res.body).toEqual({ rooms: [{ name: 'lobby', memberCount: 2 }] });
  });

  describe('room:join', () => {
    it('answers { room, members, history, readSeq, unread, rev } with the joiner among the members', async () => {
      const bob = await server.connect('bob');
      const ada = await server.connect('ada');
      expect(await bob.ok<RoomJoinResult>('room:join', { room: 'j1' })).toEqual({
        room: 'j1',
        members: [{ id: 'bob', name: 'bob' }],
        history: [],
        readSeq: 0,
        unread: 0,
        rev: 0,
      });
      expect(await ada.ok<RoomJoinResult>('room:join', { room: 'j1' })).toEqual({
        room: 'j1',
        members: [
          { id: 'ada', name: 'ada' },
          { id: 'bob', name: 'bob' },
        ],
        history: [],
        readSeq: 0,
        unread: 0,
        rev: 0,
      });
    });

    it('is fine twice: the same answer, one membership', async () => {
      const ada = await server.connect('ada');
      const first = await ada.ok<RoomJoinResult>('room:join', { room: 'j2' });
      const second = await ada.ok<RoomJoinResult>('room:join', { room: 'j2' });
      expect(second).toEqual(first);
      const res = await server.http().get('/users/ada').expect(200);
      expect(res.body.rooms).toEqual(['j2']);
    });

    it('returns the last HISTORY_LIMIT messages in chronological order by default', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'j3' });
      const sent = await fill(ada, 'j3', 5);
      const bob = await server.connect('bob');
      const { history } = await bob.ok<RoomJoinResult>('room:join', { room: 'j3' });
      expect(history).toEqual(sent.slice(2));
    });

    it('honours historyLimit from 0 to 100', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'j4' });
      const sent = await fill(ada, 'j4', 5);
      expect((await ada.ok<RoomJoinResult>('room:join', { room: 'j4', historyLimit: 0 })).history).toEqual([]);
      expect((await ada.ok<RoomJoinResult>('room:join', { room: 'j4', historyLimit: 1 })).history).toEqual(sent.slice(4));
      expect((await ada.ok<RoomJoinResult>('room:join', { room: 'j4', historyLimit: 100 })).history).toEqual(sent);
    });

    it('resumes with every message after sinceSeq', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'j5' });
      const sent = await fill(ada, 'j5', 6);
      const bob = await server.connect('bob');
      const resumed = await bob.ok<RoomJoinResult>('room:join', { room: 'j5', sinceSeq: 2 });
      expect(resumed.history).toEqual(sent.slice(2));
      expect(resumed.hasMore).toBeUndefined();
      expect((await bob.ok<RoomJoinResult>('room:join', { room: 'j5', sinceSeq: 0 })).history).toEqual(sent);
      expect((await bob.ok<RoomJoinResult>('room:join', { room: 'j5', sinceSeq: 6 })).history).toEqual([]);
    });

    it('caps a resume at 500 messages and adds hasMore: true', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'big' });
      const acks = await Promise.all(
        Array.from({ length: 502 }, (_, i) => ada.ok<MessageSendResult>('message:send', { room: 'big', text: `m${i}` })),
      );
      expect(acks.map((a) => a.message.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 502 }, (_, i) => i + 1));
      const bob = await server.connect('bob');
      const resumed = await bob.ok<RoomJoinResult>('room:join', { room: 'big', sinceSeq: 0 });
      expect(resumed.history).toHaveLength(500);
      expect(resumed.history.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
      expect(resumed.hasMore).toBe(true);
      const rest = await bob.ok<RoomJoinResult>('room:join', { room: 'big', sinceSeq: 500 });
      expect(rest.history.map((m) => m.seq)).toEqual([501, 502]);
      expect(rest.hasMore).toBeUndefined();
    });

    it.each(['user:ada', 'user:bob', 'system:alerts', 'system:'])('refuses reserved room %s with FORBIDDEN', async (room) => {
      const ada = await server.connect('ada');
      const error = failure(await ada.request('room:join', { room }), ErrorCode.FORBIDDEN);
      expect(error.message).toBe(`${room} is a reserved room name`);
    });

    it.each(['', '_lobby', 'lob by', `r${'x'.repeat(64)}`, 'lobby/1'])('refuses room name %j with VALIDATION_FAILED', async (room) => {
      const ada = await server.connect('ada');
      const error = failure(await ada.request('room:join', { room }), ErrorCode.VALIDATION_FAILED);
      expect(detailFields(error)).toEqual(['room']);
    });

    it('refuses out-of-range historyLimit and sinceSeq per field', async () => {
      const ada = await server.connect('ada');
      const error = failure(await ada.request('room:join', { room: 'ok', historyLimit: 101, sinceSeq: -1 }), ErrorCode.VALIDATION_FAILED);
      expect(detailFields(error).sort()).toEqual(['historyLimit', 'sinceSeq']);
    });
  });

  describe('room:leave', () => {
    it('answers { room } and stops deliveries to that socket', async () => {
      const ada = await server.connect('ada');
      const bob = await server.connect('bob');
      await ada.ok('room:join', { room: 'l1' });
      await bob.ok('room:join', { room: 'l1' });
      expect(await bob.ok<RoomLeaveResult>('room:leave', { room: 'l1' })).toEqual({ room: 'l1' });
      await ada.ok('message:send', { room: 'l1', text: 'after bob left' });
      await bob.barrier();
      expect(bob.events('message:new')).toEqual([]);
      failure(await bob.request('message:send', { room: 'l1', text: 'x' }), ErrorCode.FORBIDDEN);
    });

    it('answers a room the socket is not in with { room }', async () => {
      const ada = await server.connect('ada');
      expect(await ada.ok<RoomLeaveResult>('room:leave', { room: 'never-joined' })).toEqual({ room: 'never-joined' });
    });

    it('refuses the reserved user room: the socket stays addressable', async () => {
      const ada = await server.connect('ada');
      const other = await server.connect('bob');
      failure(await ada.request('room:leave', { room: 'user:ada' }), ErrorCode.FORBIDDEN);
      await other.ok('message:direct', { to: 'ada', text: 'still there?' });
      await expect(ada.waitFor('message:direct')).resolves.toMatchObject({ text: 'still there?' });
    });

    it('refuses an invalid name', async () => {
      const ada = await server.connect('ada');
      failure(await ada.request('room:leave', { room: 'a b' }), ErrorCode.VALIDATION_FAILED);
    });
  });

  describe('room:history', () => {
    it('pages backwards with beforeSeq and limit, each page chronological', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'h1' });
      const sent = await fill(ada, 'h1', 5);
      const newest = await ada.ok<MessagePage<Message>>('room:history', { room: 'h1', limit: 2 });
      expect(newest).toEqual({ messages: sent.slice(3), hasMore: true });
      const middle = await ada.ok<MessagePage<Message>>('room:history', { room: 'h1', beforeSeq: 4, limit: 2 });
      expect(middle).toEqual({ messages: sent.slice(1, 3), hasMore: true });
      const oldest = await ada.ok<MessagePage<Message>>('room:history', { room: 'h1', beforeSeq: 2, limit: 2 });
      expect(oldest).toEqual({ messages: sent.slice(0, 1), hasMore: false });
      expect(await ada.ok('room:history', { room: 'h1', beforeSeq: 1 })).toEqual({ messages: [], hasMore: false });
    });

    it('defaults to the newest 50', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'h2' });
      const sent = await Promise.all(
        Array.from({ length: 52 }, (_, i) => ada.ok<MessageSendResult>('message:send', { room: 'h2', text: `m${i}` })),
      );
      const page = await ada.ok<MessagePage<Message>>('room:history', { room: 'h2' });
      expect(page.hasMore).toBe(true);
      expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 3));
      expect(sent).toHaveLength(52);
    });

    it('reads a room without joining it, and an unknown room as empty', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 'h3' });
      const [message] = await fill(ada, 'h3', 1);
      const bob = await server.connect('bob');
      expect(await bob.ok('room:history', { room: 'h3' })).toEqual({ messages: [message], hasMore: false });
      expect(await bob.ok('room:history', { room: 'no-such-room' })).toEqual({ messages: [], hasMore: false });
    });

    it('refuses reserved rooms and bad paging values', async () => {
      const ada = await server.connect('ada');
      failure(await ada.request('room:history', { room: 'user:ada' }), ErrorCode.FORBIDDEN);
      const error = failure(await ada.request('room:history', { room: 'h4', beforeSeq: 0, limit: 101 }), ErrorCode.VALIDATION_FAILED);
      expect(detailFields(error).sort()).toEqual(['beforeSeq', 'limit']);
    });
  });

  describe('messages', () => {
    it('numbers messages 1, 2, 3 per room with unique ids, ISO-8601 UTC times and the rev of each send', async () => {
      const ada = await server.connect('ada');
      await ada.ok('room:join', { room: 's1' });
      await ada.ok('room:join', { room: 's2' });
      const first = await fill(ada, 's1', 3);
      const second = await fill(ada, 's2', 2);
      expect(first.map((m) => m.seq)).toEqual([1, 2, 3]);
      expect(second.map((m) => m.seq)).toEqual([1, 2]);
      // Each send is its room's next change.
      expect(first.map((m) => m.rev)).toEqual([1, 2, 3]);
      expect(second.map((m) => m.rev)).toEqual([1, 2]);
      const ids = [...first, ...second].map((m) => m.id);
      expect(new Set(ids).size).toBe(5);
      for (const message of [...first, ...second]) {
        expect(typeof message.id).toBe('string');
        expect(message.sentAt).toMatch(ISO_UTC);
        expect(new Date(message.sentAt).toISOString()).toBe(message.sentAt);
        expect(Object.keys(message).sort()).toEqual(['from', 'id', 'rev', 'room', 'sentAt', 'seq', 'text']);
      }
    });

    it('keeps seq gapless under concurrent senders', async () => {
      const senders = await Promise.all(['c1', 'c2', 'c3'].map((name) => server.connect(name)));
      await Promise.all(senders.map((s) => s.ok('room:join', { room: 'race' })));
      const acks = await Promise.all(
        senders.flatMap((s) =>
          Array.from({ length: 20 }, (_, i) => s.ok<MessageSendResult>('message:send', { room: 'race', text: `${i}` })),
        ),
      );
      expect(acks.map((a) => a.message.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    });
  });
});
