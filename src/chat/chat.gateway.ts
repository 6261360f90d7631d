import { UseFilters, UsePipes } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { AppExceptionFilter } from '../common/app-exception.filter.js';
import { WsValidationPipe } from '../common/ws-validation.pipe.js';
import { ok } from '../common/ws-reply.js';
import type {
  Ack,
  AnnounceResult,
  AuthRefreshResult,
  DirectMessage,
  DirectSendResult,
  Message,
  MessageDeleteResult,
  MessageEditResult,
  MessagePage,
  MessageSendResult,
  RoomForgetResult,
  RoomJoinResult,
  RoomLeaveResult,
  RoomBanResult,
  RoomMuteResult,
  RoomReadResult,
  RoomsListResult,
} from '../contract.js';
import { MembershipsService } from '../memberships/memberships.service.js';
import { MessagesService } from '../messages/messages.service.js';
import { RoomRestrictDto, RoomUnrestrictDto } from '../moderation/dto/restriction.dto.js';
import { ModerationService } from '../moderation/moderation.service.js';
import { userRoom } from '../rooms/room-names.js';
import { RoomsService } from '../rooms/rooms.service.js';
import { ChatEmitter } from './chat-emitter.js';
import { ChatServerSetup } from './chat-server-setup.js';
import type { ChatServer, ChatSocket } from './chat-socket.js';
import type { SocketEventTable } from './compiled-gateway.js';
import { ChatService } from './chat.service.js';
import {
  AnnounceDto,
  AuthRefreshDto,
  DirectHistoryDto,
  DirectSendDto,
  MessageDeleteDto,
  MessageEditDto,
  MessageSendDto,
  TypingDto,
} from './dto/message.dto.js';
import { RoomForgetDto, RoomHistoryDto, RoomJoinDto, RoomLeaveDto, RoomReadDto, RoomsListDto } from './dto/room.dto.js';
import { PresenceTracker } from './presence-tracker.js';
import { SessionService } from './session.service.js';

/**
 * The socket.io face of the chat: every handler takes a validated DTO, makes one service call,
 * emits what the contract says through the emitter, and returns the ack envelope.
 */
@WebSocketGateway()
@UseFilters(AppExceptionFilter)
@UsePipes(WsValidationPipe)
export class ChatGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  constructor(
    private readonly setup: ChatServerSetup,
    private readonly presence: PresenceTracker,
    private readonly sessions: SessionService,
    private readonly emitter: ChatEmitter,
    private readonly chat: ChatService,
    private readonly rooms: RoomsService,
    private readonly messages: MessagesService,
    private readonly memberships: MembershipsService,
    private readonly moderation: ModerationService,
  ) {}

  afterInit(server: ChatServer): void {
    this.setup.attach(server);
  }

  handleConnection(socket: ChatSocket): Promise<void> {
    const { user } = socket.data;
    // First, so presence sees this socket before any of its events.
    const arrival = this.presence.arrived(socket);
    this.sessions.track(socket);
    void socket.join(userRoom(user.id));
    this.emitter.session(socket, { user, socketId: socket.id });
    return arrival;
  }

  handleDisconnect(socket: ChatSocket): Promise<void> {
    this.sessions.forget(socket);
    return this.presence.departed(socket.id);
  }

  @SubscribeMessage('room:join')
  async join(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomJoinDto): Promise<Ack<RoomJoinResult>> {
    const { result, firstForUser } = await this.rooms.join(socket, dto);
    if (firstForUser) this.emitter.memberJoined({ room: dto.room, user: socket.data.user });
    return ok(result);
  }

  @SubscribeMessage('room:leave')
  async leave(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomLeaveDto): Promise<Ack<RoomLeaveResult>> {
    const { lastForUser } = await this.rooms.leave(socket, dto.room);
    if (lastForUser) this.emitter.memberLeft({ room: dto.room, user: socket.data.user });
    return ok({ room: dto.room });
  }

  @SubscribeMessage('room:history')
  async roomHistory(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomHistoryDto): Promise<Ack<MessagePage<Message>>> {
    return ok(await this.rooms.history(socket.data, dto.room, dto));
  }

  @SubscribeMessage('message:send')
  async send(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: MessageSendDto): Promise<Ack<MessageSendResult>> {
    const { message, created } = await this.messages.sendToRoom(socket, dto);
    // The sending socket learns of its message through the ack only; its other tabs get it here.
    if (created) this.emitter.roomMessage(message, socket);
    return ok({ message });
  }

  @SubscribeMessage('message:direct')
  async direct(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: DirectSendDto): Promise<Ack<DirectSendResult>> {
    const { message, created, delivered } = await this.messages.sendDirect(socket, dto);
    if (created) this.emitter.directMessage(message, socket);
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
    this.emitter.typing(socket, this.chat.typing(socket, dto));
    return ok({});
  }

  @SubscribeMessage('announce')
  announce(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: AnnounceDto): Ack<AnnounceResult> {
    const announcement = this.chat.announce(socket, dto);
    this.emitter.announcement(announcement);
    return ok({ announcement });
  }

  /** Ends the membership; every socket of the user leaves the room, member-left goes out once. */
  @SubscribeMessage('room:forget')
  async forget(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomForgetDto): Promise<Ack<RoomForgetResult>> {
    const { user } = socket.data;
    const { wasIn } = await this.memberships.forget(user, dto.room);
    this.emitter.leaveRoomEverywhere(user.id, dto.room);
    if (wasIn) this.emitter.memberLeft({ room: dto.room, user });
    return ok({ room: dto.room });
  }

  @SubscribeMessage('rooms:list')
  async listRooms(@ConnectedSocket() socket: ChatSocket, @MessageBody() _dto: RoomsListDto): Promise<Ack<RoomsListResult>> {
    return ok({ rooms: await this.memberships.rooms(socket.data.user.id, socket.data) });
  }

  @SubscribeMessage('room:read')
  async read(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomReadDto): Promise<Ack<RoomReadResult>> {
    const { result, moved } = await this.memberships.read(socket, dto);
    if (moved) this.emitter.readMarker(socket, result);
    return ok(result);
  }

  @SubscribeMessage('message:edit')
  async edit(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: MessageEditDto): Promise<Ack<MessageEditResult>> {
    const { message, changed } = await this.messages.edit(socket, dto);
    // As with message:send, the acting socket learns of the change through its ack only.
    if (changed) this.emitter.messageUpdated(message, socket);
    return ok({ message });
  }

  @SubscribeMessage('message:delete')
  async deleteMessage(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: MessageDeleteDto): Promise<Ack<MessageDeleteResult>> {
    const { message, changed } = await this.messages.delete(socket, dto);
    if (changed) this.emitter.messageUpdated(message, socket);
    return ok({ message });
  }

  /** Admin sockets: the user leaves the room on every node before the ack (see ModerationService). */
  @SubscribeMessage('room:ban')
  async ban(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomRestrictDto): Promise<Ack<RoomBanResult>> {
    const { restriction, left } = await this.moderation.restrictBy(socket, 'ban', dto);
    if (left) this.emitter.memberLeft({ room: dto.room, user: left });
    return ok({ ban: restriction });
  }

  @SubscribeMessage('room:unban')
  async unban(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomUnrestrictDto): Promise<Ack<RoomBanResult>> {
    return ok({ ban: await this.moderation.liftBy(socket, 'ban', dto) });
  }

  @SubscribeMessage('room:mute')
  async mute(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomRestrictDto): Promise<Ack<RoomMuteResult>> {
    const { restriction } = await this.moderation.restrictBy(socket, 'mute', dto);
    return ok({ mute: restriction });
  }

  @SubscribeMessage('room:unmute')
  async unmute(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: RoomUnrestrictDto): Promise<Ack<RoomMuteResult>> {
    return ok({ mute: await this.moderation.liftBy(socket, 'mute', dto) });
  }

  @SubscribeMessage('auth:refresh')
  async refresh(@ConnectedSocket() socket: ChatSocket, @MessageBody() dto: AuthRefreshDto): Promise<Ack<AuthRefreshResult>> {
    return ok(await this.sessions.refresh(socket, dto.token));
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
    'room:forget': { method: 'forget', dto: RoomForgetDto },
    'rooms:list': { method: 'listRooms', dto: RoomsListDto },
    'room:read': { method: 'read', dto: RoomReadDto },
    'message:edit': { method: 'edit', dto: MessageEditDto },
    'message:delete': { method: 'deleteMessage', dto: MessageDeleteDto },
    'room:ban': { method: 'ban', dto: RoomRestrictDto },
    'room:unban': { method: 'unban', dto: RoomUnrestrictDto },
    'room:mute': { method: 'mute', dto: RoomRestrictDto },
    'room:unmute': { method: 'unmute', dto: RoomUnrestrictDto },
  },
};
