import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { within } from '../../test/support/clients.js';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import type { Message, ServerToClientEvents, SocketData, User } from '../contract.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { chatRoom, userRoom } from '../rooms/room-names.js';
import { ChatEmitter } from './chat-emitter.js';
import type { ChatServer, ChatSocket } from './chat-socket.js';

/**
 * Each contract event a server sends on its own (everything but `exception`, which answers the
 * calling socket's event) and the emitter method that sends it. Typed both ways: an event added to
 * ServerToClientEvents does not compile here until the emitter has a method for it.
 */
const METHOD_OF: Record<Exclude<keyof ServerToClientEvents, 'exception'>, keyof ChatEmitter> = {
  session: 'session',
  'message:new': 'roomMessage',
  'message:direct': 'directMessage',
  typing: 'typing',
  announcement: 'announcement',
  'room:member-joined': 'memberJoined',
  'room:member-left': 'memberLeft',
  'presence:online': 'presenceOnline',
  'presence:offline': 'presenceOffline',
  'session:expired': 'sessionExpired',
  'server:draining': 'serverDraining',
  'message:updated': 'messageUpdated',
  'room:read': 'readMarker',
  'room:banned': 'bannedHere',
  'room:muted': 'mutedHere',
  'room:unmuted': 'unmutedHere',
};

const BARRIER = 'test:barrier';

interface Peer {
  label: string;
  user: User;
  client: ClientSocket;
  /** The server side of the connection. */
  socket: ChatSocket;
  received: Array<{ event: string; payload: unknown }>;
}

function userOf(id: string): User {
  return { id, name: id };
}

function message(room: string, from: User): Message {
  return { id: `m-${room}`, room, seq: 1, from, text: 'hi', sentAt: new Date(0).toISOString(), rev: 1 };
}

describe('ChatEmitter', () => {
  let http: HttpServer;
  let server: ChatServer;
  let url: string;
  let metrics: ChatMetrics;
  let emitter: ChatEmitter;
  const peers: Peer[] = [];

  beforeAll(async () => {
    http = createServer();
    server = new Server(http) as ChatServer;
    server.use((socket, next) => {
      const { user } = socket.handshake.auth as { user: string };
      socket.data = { user: userOf(user), isAdmin: false } satisfies SocketData;
      next();
    });
    server.on('connection', (socket) => void socket.join(userRoom(socket.data.user.id)));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      void server.close(() => resolve());
    });
  });

  // Each test starts with no socket left on the server.
  afterEach(async () => {
    const gone = peers.splice(0).map((peer) => {
      const closed = peer.socket.connected ? new Promise((resolve) => peer.socket.once('disconnect', resolve)) : Promise.resolve();
      peer.client.disconnect();
      return within(closed, `the server side of ${peer.label} to close`);
    });
    await Promise.all(gone);
  });

  beforeEach(() => {
    metrics = new ChatMetrics();
    emitter = new ChatEmitter(metrics);
    emitter.attach(server);
  });

  /** A connected client of `userId`, optionally in chat rooms, recording everything it receives. */
  async function peer(label: string, userId: string, rooms: string[] = []): Promise<Peer> {
    const client = connectClient(url, { auth: { user: userId }, transports: ['websocket'], reconnection: false, forceNew: true });
    const received: Peer['received'] = [];
    client.onAny((event: string, payload: unknown) => {
      if (event !== BARRIER) received.push({ event, payload });
    });
    await within(new Promise<void>((resolve) => client.once('connect', () => resolve())), `${label} to connect`);
    const socket = server.of('/').sockets.get(client.id!)!;
    for (const room of rooms) await socket.join(chatRoom(room));
    const connected = { label, user: userOf(userId), client, socket, received };
    peers.push(connected);
    return connected;
  }

  /**
   * Waits until every peer has received a marker sent after the emit under test: a connection
   * delivers in order, so what a peer has not received by then was not sent to it.
   */
  async function settled(): Promise<void> {
    const open = peers.filter((p) => p.client.connected);
    const arrivals = open.map((p) =>
      within(new Promise<void>((resolve) => p.client.once(BARRIER, () => resolve())), `the barrier on ${p.label}`),
    );
    (server as unknown as Server).emit(BARRIER);
    await Promise.all(arrivals);
  }

  /** Labels of the peers that received `event` exactly once, and none received it twice. */
  function receiversOf(event: string): string[] {
    const counts = peers.map((p) => ({ label: p.label, count: p.received.filter((r) => r.event === event).length }));
    expect(counts.filter((c) => c.count > 1)).toEqual([]);
    return counts.filter((c) => c.count === 1).map((c) => c.label);
  }

  async function delivered(kind: string): Promise<number> {
    const metric = await metrics.registry.getSingleMetric('chat_messages_delivered_total')!.get();
    return metric.values.find((v) => v.labels.kind === kind)?.value ?? 0;
  }

  it('has a method for every event a server sends on its own', () => {
    for (const method of Object.values(METHOD_OF)) expect(typeof ChatEmitter.prototype[method]).toBe('function');
  });

  describe('room messages', () => {
    it("from a socket: to everyone in the room but that socket, the sender's other tabs included", async () => {
      const sender = await peer('sender', 'ada', ['lobby']);
      await peer('sender-tab', 'ada', ['lobby']);
      await peer('member', 'bob', ['lobby']);
      await peer('outsider', 'eve', ['other']);
      emitter.roomMessage(message('lobby', sender.user), sender.socket);
      await settled();
      expect(receiversOf('message:new').sort()).toEqual(['member', 'sender-tab']);
      expect(peers.find((p) => p.label === 'member')!.received).toEqual([{ event: 'message:new', payload: message('lobby', sender.user) }]);
      expect(await delivered('room')).toBe(1);
    });

    it('without a socket (admin REST): to everyone in the room', async () => {
      await peer('ada', 'ada', ['lobby']);
      await peer('bob', 'bob', ['lobby']);
      await peer('outsider', 'eve');
      emitter.roomMessage(message('lobby', userOf('system')));
      await settled();
      expect(receiversOf('message:new').sort()).toEqual(['ada', 'bob']);
      expect(await delivered('room')).toBe(1);
    });
  });

  describe('message:updated', () => {
    it("from a socket: to everyone in the room but that socket, the author's other tabs included", async () => {
      const actor = await peer('actor', 'ada', ['lobby']);
      await peer('actor-tab', 'ada', ['lobby']);
      await peer('member', 'bob', ['lobby']);
      await peer('outsider', 'eve', ['other']);
      const edited = { ...message('lobby', actor.user), text: 'edited', rev: 2, editedAt: new Date(1).toISOString() };
      emitter.messageUpdated(edited, actor.socket);
      await settled();
      expect(receiversOf('message:updated').sort()).toEqual(['actor-tab', 'member']);
      expect(peers.find((p) => p.label === 'member')!.received).toEqual([{ event: 'message:updated', payload: edited }]);
    });

    it('without a socket (admin REST): to everyone in the room', async () => {
      await peer('ada', 'ada', ['lobby']);
      await peer('bob', 'bob', ['lobby']);
      await peer('outsider', 'eve');
      emitter.messageUpdated({ ...message('lobby', userOf('ada')), text: '', rev: 2, deletedAt: new Date(1).toISOString() });
      await settled();
      expect(receiversOf('message:updated').sort()).toEqual(['ada', 'bob']);
    });
  });

  it("room:read reaches the reader's other sockets, in the room or not, and nobody else", async () => {
    const reader = await peer('reader', 'ada', ['lobby']);
    await peer('reader-tab', 'ada', ['lobby']);
    await peer('reader-elsewhere', 'ada');
    await peer('member', 'bob', ['lobby']);
    emitter.readMarker(reader.socket, { room: 'lobby', readSeq: 4, unread: 1 });
    await settled();
    expect(receiversOf('room:read').sort()).toEqual(['reader-elsewhere', 'reader-tab']);
  });

  it('leaveRoomEverywhere takes every socket of the user out of the chat room, and only those', async () => {
    const ada = await peer('ada', 'ada', ['lobby', 'other']);
    const tab = await peer('ada-tab', 'ada', ['lobby']);
    const bob = await peer('bob', 'bob', ['lobby']);
    emitter.leaveRoomEverywhere('ada', 'lobby');
    expect([ada, tab].map((p) => p.socket.rooms.has(chatRoom('lobby')))).toEqual([false, false]);
    expect(ada.socket.rooms.has(chatRoom('other'))).toBe(true);
    expect(bob.socket.rooms.has(chatRoom('lobby'))).toBe(true);
    emitter.roomMessage(message('lobby', bob.user));
    await settled();
    expect(receiversOf('message:new')).toEqual(['bob']);
  });

  it("direct messages reach both users' sockets but the sending one", async () => {
    const sender = await peer('sender', 'ada');
    await peer('sender-tab', 'ada');
    await peer('recipient', 'bob');
    await peer('recipient-tab', 'bob');
    await peer('outsider', 'eve');
    emitter.directMessage({ id: 'd1', from: sender.user, to: userOf('bob'), text: 'hi', sentAt: new Date(0).toISOString() }, sender.socket);
    await settled();
    expect(receiversOf('message:direct').sort()).toEqual(['recipient', 'recipient-tab', 'sender-tab']);
    expect(await delivered('direct')).toBe(1);
  });

  it("typing reaches the room's other users, none of the typist's sockets", async () => {
    const typist = await peer('typist', 'ada', ['lobby']);
    await peer('typist-tab', 'ada', ['lobby']);
    await peer('member', 'bob', ['lobby']);
    await peer('outsider', 'eve', ['other']);
    emitter.typing(typist.socket, { room: 'lobby', user: typist.user, typing: true });
    await settled();
    expect(receiversOf('typing')).toEqual(['member']);
  });

  it.each([
    ['memberJoined', 'room:member-joined'],
    ['memberLeft', 'room:member-left'],
  ] as const)("%s reaches the room but none of that user's sockets", async (method, event) => {
    const ada = await peer('ada', 'ada', ['lobby']);
    await peer('ada-elsewhere', 'ada');
    await peer('member', 'bob', ['lobby']);
    await peer('outsider', 'eve');
    emitter[method]({ room: 'lobby', user: ada.user });
    await settled();
    expect(receiversOf(event)).toEqual(['member']);
  });

  it('announcements reach every socket', async () => {
    await peer('ada', 'ada', ['lobby']);
    await peer('bob', 'bob');
    emitter.announcement({ id: 'a1', from: userOf('system'), text: 'deploy', sentAt: new Date(0).toISOString() });
    await settled();
    expect(receiversOf('announcement').sort()).toEqual(['ada', 'bob']);
    expect(await delivered('announcement')).toBe(1);
  });

  it('presence: online from a socket to every other socket, offline to every socket', async () => {
    const ada = await peer('ada', 'ada');
    await peer('bob', 'bob');
    await peer('eve', 'eve');
    emitter.presenceOnline(ada.socket, { user: ada.user });
    emitter.presenceOffline({ user: userOf('zed') });
    await settled();
    expect(receiversOf('presence:online').sort()).toEqual(['bob', 'eve']);
    expect(receiversOf('presence:offline').sort()).toEqual(['ada', 'bob', 'eve']);
  });

  it('session and server:draining go to the one socket', async () => {
    const ada = await peer('ada', 'ada');
    await peer('ada-tab', 'ada');
    emitter.session(ada.socket, { user: ada.user, socketId: ada.socket.id });
    emitter.serverDraining(ada.socket, { reconnectAfterMs: 300 });
    await settled();
    expect(ada.received).toEqual([
      { event: 'session', payload: { user: ada.user, socketId: ada.socket.id } },
      { event: 'server:draining', payload: { reconnectAfterMs: 300 } },
    ]);
    expect(receiversOf('session')).toEqual(['ada']);
    expect(receiversOf('server:draining')).toEqual(['ada']);
  });

  it('session:expired tells the socket, then the server closes it', async () => {
    const ada = await peer('ada', 'ada');
    const tab = await peer('ada-tab', 'ada');
    const closed = within(new Promise<string>((resolve) => ada.client.once('disconnect', resolve)), 'ada to be disconnected');
    emitter.sessionExpired(ada.socket, { reason: 'token expired' });
    expect(await closed).toBe('io server disconnect');
    expect(ada.received).toEqual([{ event: 'session:expired', payload: { reason: 'token expired' } }]);
    expect(tab.client.connected).toBe(true);
  });

  describe('disconnectUser', () => {
    it("closes every socket of the user and says how many, leaving other users' alone", async () => {
      const ada = await peer('ada', 'ada');
      const tab = await peer('ada-tab', 'ada');
      const bob = await peer('bob', 'bob');
      const closed = [ada, tab].map((p) =>
        within(new Promise<string>((resolve) => p.client.once('disconnect', resolve)), `${p.label} to close`),
      );
      expect(await emitter.disconnectUser('ada')).toBe(2);
      expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
      expect(bob.client.connected).toBe(true);
      expect(await emitter.disconnectUser('nobody')).toBe(0);
    });

    it('answers UNAVAILABLE and closes nothing when the cluster does not answer', async () => {
      const ada = await peer('ada', 'ada');
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const fetch = jest
        .spyOn(server.of('/').adapter, 'fetchSockets')
        .mockRejectedValueOnce(new Error('timeout reached: only 0 responses received out of 1'));
      try {
        const error = await emitter.disconnectUser('ada').then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).code).toBe(ErrorCode.UNAVAILABLE);
        expect(warn).toHaveBeenCalledWith(expect.objectContaining({ err: expect.any(Error) }), 'could not reach the other nodes');
      } finally {
        fetch.mockRestore();
        warn.mockRestore();
      }
      await settled();
      expect(ada.client.connected).toBe(true);
    });
  });

  it("closes this node's sockets at the end of a drain", async () => {
    const ada = await peer('ada', 'ada');
    const bob = await peer('bob', 'bob');
    expect([...emitter.localSockets.keys()].sort()).toEqual([ada.socket.id, bob.socket.id].sort());
    const closed = [ada, bob].map((p) =>
      within(new Promise<string>((resolve) => p.client.once('disconnect', resolve)), `${p.label} to close`),
    );
    emitter.disconnectLocalSockets();
    expect(await Promise.all(closed)).toEqual(['io server disconnect', 'io server disconnect']);
  });

  it('before the server exists: nothing to reach, and an emit to everyone fails loudly', () => {
    const detached = new ChatEmitter(new ChatMetrics());
    expect(detached.attached).toBe(false);
    expect(detached.localSockets.size).toBe(0);
    expect(() => detached.disconnectLocalSockets()).not.toThrow();
    expect(() => detached.announcement({ id: 'a', from: userOf('system'), text: 't', sentAt: new Date(0).toISOString() })).toThrow(
      'the socket server does not exist yet',
    );
  });
});
