import { Injectable, Logger } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import type { ServerToClientEvents } from '../contract.js';
import type { ModerationNotice } from '../moderation/moderation-notice.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { chatRoom, userRoom } from '../rooms/room-names.js';
import type { ChatServer, ChatSocket } from './chat-socket.js';

/** Handles a notice another node sent; resolves once this node has applied it. */
export type NodeNoticeHandler = (notice: ModerationNotice) => Promise<void> | void;

/** The payload of a server-to-client event, as the contract types it. */
export type EventPayload<E extends keyof ServerToClientEvents> = Parameters<ServerToClientEvents[E]>[0];

const NO_SOCKETS: ReadonlyMap<string, ChatSocket> = new Map();

/**
 * Every server-to-client event of the contract that is not the answer to the calling socket's own
 * event (acks and `exception` go back through the reply path), one typed method each, and the
 * server-side disconnects. Who receives an event is decided here; whether it is sent at all is
 * the caller's rule. Adding an event to the contract means adding one method here.
 *
 * A method given the socket an event came from broadcasts from that socket: socket.io then
 * leaves that socket out, which is what the contract asks for (a sender learns of its own message
 * through the ack).
 */
@Injectable()
export class ChatEmitter {
  private readonly logger = new Logger(ChatEmitter.name);
  private io?: ChatServer;
  private noticeHandler?: NodeNoticeHandler;

  constructor(private readonly metrics: ChatMetrics) {}

  /** Called once the socket server exists (the gateway's afterInit). */
  attach(server: ChatServer): void {
    this.io = server;
    if (this.noticeHandler) this.listenForNotices(server, this.noticeHandler);
  }

  /**
   * Sends a notice to every other node (socket.io's serverSideEmitWithAck over the cluster
   * adapter) and resolves with how many applied it. Rejects when some did not answer within the
   * adapter's request timeout. With no other node (or no cluster adapter) resolves with 0 at once.
   */
  async notifyNodes(notice: ModerationNotice): Promise<number> {
    const server = this.server;
    if ((await server.of('/').adapter.serverCount()) <= 1) return 0;
    const answers = await server.serverSideEmitWithAck('moderation', notice);
    return answers.length;
  }

  /** The one handler of other nodes' notices (ModerationSync); registered once. */
  onNodeNotice(handler: NodeNoticeHandler): void {
    if (this.noticeHandler) throw new Error('a node notice handler is registered already');
    this.noticeHandler = handler;
    if (this.io) this.listenForNotices(this.io, handler);
  }

  private listenForNotices(server: ChatServer, handler: NodeNoticeHandler): void {
    server.on('moderation', (notice, ack) => {
      Promise.resolve()
        .then(() => handler(notice))
        .then(
          () => ack(true),
          (error: unknown) => {
            this.logger.error({ err: error, notice: notice.type }, 'could not apply a notice from another node');
            ack(false);
          },
        );
    });
  }

  /** False until the socket server exists: a signal during start-up finds nothing to reach. */
  get attached(): boolean {
    return this.io !== undefined;
  }

  /**
   * The socket server itself, for what is not an emit (its options, its engine in tests). Events
   * go out through the methods below.
   */
  get server(): ChatServer {
    if (!this.io) throw new Error('the socket server does not exist yet');
    return this.io;
  }

  /** Sockets connected to this node; a live view that shrinks as they close. Empty before start. */
  get localSockets(): ReadonlyMap<string, ChatSocket> {
    return this.io?.of('/').sockets ?? NO_SOCKETS;
  }

  /** The connecting socket's own identity, first thing after its handshake. */
  session(socket: ChatSocket, event: EventPayload<'session'>): void {
    socket.emit('session', event);
  }

  /** message:new to everyone in the room; with `sender`, to everyone but that socket. */
  roomMessage(message: EventPayload<'message:new'>, sender?: ChatSocket): void {
    const room = chatRoom(message.room);
    // Two plain calls rather than one on `sender ?? server`: each call site stays monomorphic.
    if (sender) sender.to(room).emit('message:new', message);
    else this.server.to(room).emit('message:new', message);
    this.metrics.recordDelivery('room');
  }

  /** message:updated (an edit or a deletion) to everyone in the room; with `actor`, to everyone but that socket. */
  messageUpdated(message: EventPayload<'message:updated'>, actor?: ChatSocket): void {
    const room = chatRoom(message.room);
    if (actor) actor.to(room).emit('message:updated', message);
    else this.server.to(room).emit('message:updated', message);
  }

  /** A moved read marker, to every other socket of the reader (every node), so badges agree. */
  readMarker(reader: ChatSocket, event: EventPayload<'room:read'>): void {
    reader.to(userRoom(reader.data.user.id)).emit('room:read', event);
  }

  /**
   * room:forget: every socket of the user, on every node, leaves the chat room. Another node's
   * sockets leave when the adapter's message reaches it, as with disconnectUser.
   */
  leaveRoomEverywhere(userId: string, room: string): void {
    this.server.in(userRoom(userId)).socketsLeave(chatRoom(room));
  }

  /** To every socket of both users but the sending one (the sender's other tabs see it too). */
  directMessage(message: EventPayload<'message:direct'>, sender: ChatSocket): void {
    sender.to([userRoom(message.to.id), userRoom(message.from.id)]).emit('message:direct', message);
    this.metrics.recordDelivery('direct');
  }

  /** Volatile: a typing notice that cannot go out now is worth nothing later. Not to the typist's own sockets. */
  typing(socket: ChatSocket, event: EventPayload<'typing'>): void {
    socket.volatile.to(chatRoom(event.room)).except(userRoom(event.user.id)).emit('typing', event);
  }

  /** To every connected socket on every node. */
  announcement(announcement: EventPayload<'announcement'>): void {
    this.server.emit('announcement', announcement);
    this.metrics.recordDelivery('announcement');
  }

  memberJoined(event: EventPayload<'room:member-joined'>): void {
    this.server.to(chatRoom(event.room)).except(userRoom(event.user.id)).emit('room:member-joined', event);
  }

  memberLeft(event: EventPayload<'room:member-left'>): void {
    this.server.to(chatRoom(event.room)).except(userRoom(event.user.id)).emit('room:member-left', event);
  }

  /** From the user's first socket, to every other socket. */
  presenceOnline(socket: ChatSocket, event: EventPayload<'presence:online'>): void {
    socket.broadcast.emit('presence:online', event);
  }

  presenceOffline(event: EventPayload<'presence:offline'>): void {
    this.server.emit('presence:offline', event);
  }

  /** Tells the socket why it is closed, then closes it. */
  sessionExpired(socket: ChatSocket, event: EventPayload<'session:expired'>): void {
    socket.emit('session:expired', event);
    socket.disconnect(true);
  }

  serverDraining(socket: ChatSocket, event: EventPayload<'server:draining'>): void {
    socket.emit('server:draining', event);
  }

  /** Server-side disconnect of every socket of a user, on every node. Returns how many closed. */
  async disconnectUser(userId: string): Promise<number> {
    const target = this.server.in(userRoom(userId));
    const sockets = await target.fetchSockets().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not reach the other nodes');
      throw AppError.unavailable('the cluster did not answer, try again');
    });
    target.disconnectSockets(true);
    return sockets.length;
  }

  /** A ban, on this node: the user's sockets here leave the room and are told why. */
  bannedHere(userId: string, event: EventPayload<'room:banned'>): void {
    const sockets = this.server.local.in(userRoom(userId));
    sockets.socketsLeave(chatRoom(event.room));
    sockets.emit('room:banned', event);
  }

  /** A mute, on this node: the user's sockets here are told. */
  mutedHere(userId: string, event: EventPayload<'room:muted'>): void {
    this.server.local.to(userRoom(userId)).emit('room:muted', event);
  }

  /** A mute lifted or ended, on this node: the user's sockets here are told. */
  unmutedHere(userId: string, event: EventPayload<'room:unmuted'>): void {
    this.server.local.to(userRoom(userId)).emit('room:unmuted', event);
  }

  /** Closes the sockets still connected to this node (the end of a drain). */
  disconnectLocalSockets(): void {
    this.io?.local.disconnectSockets(true);
  }
}
