import { Logger, UseFilters, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { instrumentAdminUi } from '../admin-ui/admin-ui.js';
import { AppError } from '../common/app-error.js';
import { AppExceptionFilter } from '../common/app-exception.filter.js';
import { WsValidationPipe } from '../common/ws-validation.pipe.js';
import { ok } from '../common/ws-reply.js';
import { AppConfig } from '../config/app-config.js';
import type {
  Ack,
  Announcement,
  AnnounceResult,
  AuthRefreshResult,
  DirectMessage,
  DirectSendResult,
  Message,
  MessagePage,
  MessageSendResult,
  RoomJoinResult,
  RoomLeaveResult,
  User,
} from '../contract.js';
import { SlowConsumerMonitor } from '../limits/slow-consumer.monitor.js';
import { MessagesService } from '../messages/messages.service.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import { chatRoom, userRoom } from '../rooms/room-names.js';
import { RoomsService } from '../rooms/rooms.service.js';
import type { DisconnectResult } from '../presence/presence-store.js';
import { PresenceService } from '../presence/presence.service.js';
import type { ChatServer, ChatSocket } from './chat-socket.js';
import type { SocketEventTable } from './compiled-gateway.js';
import { ChatService } from './chat.service.js';
import { AnnounceDto, AuthRefreshDto, DirectHistoryDto, DirectSendDto, MessageSendDto, TypingDto } from './dto/message.dto.js';
import { RoomHistoryDto, RoomJoinDto, RoomLeaveDto } from './dto/room.dto.js';
import { HandshakeService } from './handshake.service.js';
import { SessionService } from './session.service.js';

/**
 * The socket.io face of the chat: every handler takes a validated DTO, makes one service call,
 * emits what the contract says through the io server, and returns the ack envelope.
 */
@WebSocketGateway()
@UseFilters(AppExceptionFilter)
@UsePipes(WsValidationPipe)
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(ChatGateway.name);
  private readonly departures = new Set<Promise<void>>();

  @WebSocketServer()
  server!: ChatServer;

  constructor(
    private readonly handshake: HandshakeService,
    private readonly sessions: SessionService,
    private readonly chat: ChatService,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly presence: PresenceService,
    private readonly slowConsumers: SlowConsumerMonitor,
    private readonly metrics: ChatMetrics,
    private readonly config: AppConfig,
  ) {}

  afterInit(server: ChatServer): void {
    this.handshake.attach(server);
    this.slowConsumers.attach(server);
    this.metrics.attach(server);
    instrumentAdminUi(server, this.config);
    this.presence.onExpired((departures) => departures.forEach((departure) => this.announceDeparture(departure)));
    this.presence.onOfflineDue((user) => this.announceOffline(user));
  }

  async handleConnection(socket: ChatSocket): Promise<void> {
    const { user } = socket.data;
    // Registered before any await, so presence sees this socket before any of its events.
    const registered = this.presence.connect(socket.id, user);
    this.sessions.track(socket);
    void socket.join(userRoom(user.id));
    socket.emit('session', { user, socketId: socket.id });
    try {
      const { firstConnection, resumed } = await registered;
      // A resumed user came back within PRESENCE_GRACE_MS: nobody was told it had gone.
      if (firstConnection && !resumed && this.config.presenceBroadcast) socket.broadcast.emit('presence:online', { user });
    } catch (error) {
      this.logger.warn({ err: error, socketId: socket.id }, 'presence registration failed');
    }
  }

  handleDisconnect(socket: ChatSocket): Promise<void> {
    this.sessions.forget(socket);
    const departure = this.depart(socket.id);
    this.departures.add(departure);
    void departure.finally(() => this.departures.delete(departure));
    return departure;
  }

  /** Resolves when every disconnect seen so far has been recorded in presence (for draining). */
  async departuresSettled(): Promise<void> {
    await Promise.all(this.departures);
  }

  @SubscribeMessage('room:join')
  async join(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomJoinDto): Promise<Ack<RoomJoinResult>> {
    const { result, firstForUser } = await this.rooms.join(socket, dto);
    if (firstForUser) this.emitMembership('room:member-joined', dto.room, socket.data.user);
    return ok(result);
  }

  @SubscribeMessage('room:leave')
  async leave(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomLeaveDto): Promise<Ack<RoomLeaveResult>> {
    const { lastForUser } = await this.rooms.leave(socket, dto.room);
    if (lastForUser) this.emitMembership('room:member-left', dto.room, socket.data.user);
    return ok({ room: dto.room });
  }

  @SubscribeMessage('room:history')
  async roomHistory(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() dto: RoomHistoryDto,
  ): Promise<Ack<MessagePage<Message>>> {
    return ok(await this.rooms.history(socket.data, dto.room, dto));
  }

  @SubscribeMessage('message:send')
  async send(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: MessageSendDto): Promise<Ack<MessageSendResult>> {
    const { message, created } = await this.messages.sendToRoom(socket, dto);
    // The sending socket learns of its message through the ack only; its other tabs get it here.
    if (created) {
      socket.to(chatRoom(message.room)).emit('message:new', message);
      this.metrics.recordDelivery('room');
    }
    return ok({ message });
  }

  @SubscribeMessage('message:direct')
  async direct(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: DirectSendDto): Promise<Ack<DirectSendResult>> {
    const { message, created, delivered } = await this.messages.sendDirect(socket, dto);
    if (created) {
      socket.to([userRoom(message.to.id), userRoom(message.from.id)]).emit('message:direct', message);
      this.metrics.recordDelivery('direct');
    }
    return ok({ message, delivered });
  }

  @SubscribeMessage('direct:history')
  async directHistory(
    @ConnectedSocket() socket: ChatSocket,
    @MessageBody() dto: DirectHistoryDto,
  ): Promise<Ack<MessagePage<DirectMessage>>> {
    return ok(await this.messages.directHistory(socket, dto));
  }

  @SubscribeMessage('typing')
  typing(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: TypingDto): Ack<Record<string, never>> {
    const event = this.chat.typing(socket, dto);
    socket.volatile.to(chatRoom(dto.room)).except(userRoom(event.user.id)).emit('typing', event);
    return ok({});
  }

  @SubscribeMessage('announce')
  announce(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: AnnounceDto): Ack<AnnounceResult> {
    const announcement = this.chat.announce(socket, dto);
    this.broadcastAnnouncement(announcement);
    return ok({ announcement });
  }

  @SubscribeMessage('auth:refresh')
  async refresh(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: AuthRefreshDto): Promise<Ack<AuthRefreshResult>> {
    return ok(await this.sessions.refresh(socket, dto.token));
  }

  /** Delivers a message that did not come from a socket (admin REST) to the whole room. */
  broadcastRoomMessage(message: Message): void {
    this.server.to(chatRoom(message.room)).emit('message:new', message);
    this.metrics.recordDelivery('room');
  }

  broadcastAnnouncement(announcement: Announcement): void {
    this.server.emit('announcement', announcement);
    this.metrics.recordDelivery('announcement');
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

  private async depart(socketId: string): Promise<void> {
    try {
      const result = await this.presence.disconnect(socketId);
      if (result) this.announceDeparture(result);
    } catch (error) {
      this.logger.warn({ err: error, socketId }, 'presence removal failed');
    }
  }

  /**
   * Member-left and offline for a socket that is gone (here or on a node that died). A pending
   * offline (PRESENCE_GRACE_MS) is announced later, by announceOffline, if still due.
   */
  announceDeparture({ user, lastConnection, leftRooms, pendingOffline }: DisconnectResult): void {
    for (const room of leftRooms) this.emitMembership('room:member-left', room, user);
    if (lastConnection && pendingOffline === undefined) this.announceOffline(user);
  }

  private announceOffline(user: User): void {
    if (this.config.presenceBroadcast) this.server.emit('presence:offline', { user });
  }

  private emitMembership(event: 'room:member-joined' | 'room:member-left', room: string, user: User): void {
    this.server.to(chatRoom(room)).except(userRoom(user.id)).emit(event, { room, user });
  }
}

/**
 * The socket events ChatGateway handles, as the adapter dispatches them (see compileGateway):
 * each contract event's method and payload DTO, and the pipes and filter of @UsePipes and
 * @UseFilters above. A new event needs its @SubscribeMessage handler and its line here;
 * chat-events.spec.ts fails when the two disagree.
 */
export const CHAT_EVENTS: SocketEventTable<ChatGateway> = {
  pipes: [WsValidationPipe],
  filter: AppExceptionFilter,
  events: {
    'room:join': { method: 'join', dto: RoomJoinDto },
    'room:leave': { method: 'leave', dto: RoomLeaveDto },
    'room:history': { method: 'roomHistory', dto: RoomHistoryDto },
    'message:send': { method: 'send', dto: MessageSendDto },
    'message:direct': { method: 'direct', dto: DirectSendDto },
    'direct:history': { method: 'directHistory', dto: DirectHistoryDto },
    typing: { method: 'typing', dto: TypingDto },
    announce: { method: 'announce', dto: AnnounceDto },
    'auth:refresh': { method: 'refresh', dto: AuthRefreshDto },
  },
};
