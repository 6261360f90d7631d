/**
 * The reference the gateway is measured against: plain socket.io with the gateway's server
 * options and the same event contract on the hot path, and nothing else (no framework, no
 * validation, no persistence). Whatever the gateway costs beyond this is the price of its
 * features.
 *
 *   PORT=3100 HOST=0.0.0.0 node bench/dist/bench/reference-server.js
 *   REDIS_URL=redis://127.0.0.1:6379 also spreads emits over a Redis adapter (cluster runs).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Socket, Server } from 'socket.io';
import type {
  Ack,
  Announcement,
  DirectMessage,
  DirectSendPayload,
  DirectSendResult,
  Message,
  MessageSendPayload,
  MessageSendResult,
  RoomJoinPayload,
  RoomJoinResult,
  RoomReadPayload,
  RoomReadResult,
  User,
} from '../src/contract.js';

const port = Number(process.env.PORT ?? 3100);
const host = process.env.HOST ?? '0.0.0.0';
const adminApiKey = process.env.ADMIN_API_KEY;
const USERNAME = /^[A-Za-z0-9_.-]{1,32}$/;
const SYSTEM_USER: User = { id: 'system', name: 'system' };

type Reply<T> = (response: Ack<T>) => void;

const httpServer = createServer(handleHttp);
// The gateway's options (src/bootstrap.ts): everything else stays at socket.io's defaults.
const io = new Server(httpServer, {
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  serveClient: true,
});
const seqByRoom = new Map<string, number>();

io.use((socket, next) => {
  const username: unknown = (socket.handshake.auth as { username?: unknown }).username;
  if (typeof username !== 'string' || !USERNAME.test(username)) {
    return next(Object.assign(new Error('UNAUTHORIZED'), { data: { code: 'UNAUTHORIZED', message: 'auth.username is required' } }));
  }
  socket.data.user = { id: username, name: username };
  next();
});

io.on('connection', (socket: Socket) => {
  const user = socket.data.user as User;
  void socket.join(`user:${user.id}`);
  socket.emit('session', { user, socketId: socket.id });

  socket.on('room:join', (payload: RoomJoinPayload, ack: Reply<RoomJoinResult>) => {
    void socket.join(payload.room);
    const lastSeq = seqByRoom.get(payload.room) ?? 0;
    ack({ ok: true, data: { room: payload.room, members: members(payload.room), history: [], readSeq: 0, unread: lastSeq, rev: lastSeq } });
  });

  socket.on('message:send', (payload: MessageSendPayload, ack: Reply<MessageSendResult>) => {
    const seq = (seqByRoom.get(payload.room) ?? 0) + 1;
    seqByRoom.set(payload.room, seq);
    const message: Message = {
      id: randomUUID(),
      room: payload.room,
      seq,
      from: user,
      text: payload.text,
      sentAt: new Date().toISOString(),
      rev: seq,
    };
    if (payload.clientMsgId !== undefined) message.clientMsgId = payload.clientMsgId;
    socket.to(payload.room).emit('message:new', message);
    ack({ ok: true, data: { message } });
  });

  // Keeps no markers: the ack echoes the seq, so the benchmark's reads cost a bare socket.io round trip here.
  socket.on('room:read', (payload: RoomReadPayload, ack: Reply<RoomReadResult>) => {
    const unread = Math.max(0, (seqByRoom.get(payload.room) ?? 0) - payload.seq);
    ack({ ok: true, data: { room: payload.room, readSeq: payload.seq, unread } });
  });

  socket.on('message:direct', (payload: DirectSendPayload, ack: Reply<DirectSendResult>) => {
    const message: DirectMessage = {
      id: randomUUID(),
      from: user,
      to: { id: payload.to, name: payload.to },
      text: payload.text,
      sentAt: new Date().toISOString(),
    };
    if (payload.clientMsgId !== undefined) message.clientMsgId = payload.clientMsgId;
    const recipientRoom = `user:${payload.to}`;
    socket.to([recipientRoom, `user:${user.id}`]).emit('message:direct', message);
    ack({ ok: true, data: { message, delivered: io.sockets.adapter.rooms.has(recipientRoom) } });
  });
});

/** Distinct users in the room on this node, sorted by id like the gateway's member list. */
function members(room: string): User[] {
  const byId = new Map<string, User>();
  for (const socketId of io.sockets.adapter.rooms.get(room) ?? []) {
    const user = io.sockets.sockets.get(socketId)?.data.user as User | undefined;
    if (user) byId.set(user.id, user);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Only what the cluster scenario needs: `POST /announcements` with X-Api-Key. */
function handleHttp(req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'POST' || req.url !== '/announcements') {
    res.writeHead(404).end();
    return;
  }
  if (!adminApiKey || req.headers['x-api-key'] !== adminApiKey) {
    res.writeHead(401).end();
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    const { text } = JSON.parse(body) as { text: string };
    const announcement: Announcement = { id: randomUUID(), from: SYSTEM_USER, text, sentAt: new Date().toISOString() };
    io.emit('announcement', announcement);
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ announcement }));
  });
}

async function useRedisAdapter(url: string): Promise<void> {
  const [{ createAdapter }, { Redis }] = await Promise.all([import('@socket.io/redis-adapter'), import('ioredis')]);
  const pub = new Redis(url);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub, { key: process.env.REDIS_PREFIX ?? 'bench-reference' }));
}

if (process.env.REDIS_URL) await useRedisAdapter(process.env.REDIS_URL);
httpServer.listen(port, host);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    // Exiting at once: the reference keeps nothing that closing could lose.
    void io.close();
    process.exit(0);
  });
}
