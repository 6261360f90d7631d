import { Body, Controller, Delete, HttpCode, Param, Post, Query, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AnnouncementResponseSchema, DisconnectedSchema, ErrorSchema, MessageResponseSchema } from '../docs/api-schemas.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import { Actor } from '../auth/actor.decorator.js';
import { AdminApi } from '../auth/rest-access.js';
import type { AnnounceResult, MessageDeleteResult, MessageSendResult, UserDisconnectResult } from '../contract.js';
import { MessagesService } from '../messages/messages.service.js';
import { UserDisconnectQuery } from '../moderation/dto/revocation.dto.js';
import { RevocationService } from '../moderation/revocation.service.js';
import { RoomNameParam } from '../rooms/dto/room-name.param.js';
import { UserIdParam } from '../presence/dto/user-id.param.js';
import { ChatEmitter } from './chat-emitter.js';
import { ChatService } from './chat.service.js';
import { AnnouncementBody, RoomMessageParam, SystemMessageBody } from './dto/admin.dto.js';

/** Admin actions over REST; they deliver through the emitter like socket events do. */
@ApiTags('admin')
@AdminApi()
@ApiBadRequestResponse({ type: ErrorSchema })
@Controller()
@UsePipes(HttpValidationPipe)
export class AdminController {
  constructor(
    private readonly chat: ChatService,
    private readonly messages: MessagesService,
    private readonly emitter: ChatEmitter,
    private readonly revocations: RevocationService,
  ) {}

  @Post('rooms/:name/messages')
  @ApiCreatedResponse({ type: MessageResponseSchema, description: 'sent as the system user and delivered as message:new' })
  async postMessage(@Param() { name }: RoomNameParam, @Body() body: SystemMessageBody): Promise<MessageSendResult> {
    const { message, created } = await this.messages.postSystemMessage(name, body);
    if (created) this.emitter.roomMessage(message);
    return { message };
  }

  @Delete('rooms/:name/messages/:seq')
  @ApiOkResponse({
    type: MessageResponseSchema,
    description: 'the tombstone (text erased, deletedAt set), delivered as message:updated; a tombstone again is returned as is',
  })
  @ApiNotFoundResponse({ type: ErrorSchema, description: 'the room has no message with this seq' })
  @HttpCode(200)
  async deleteMessage(@Param() { name, seq }: RoomMessageParam): Promise<MessageDeleteResult> {
    const { message, changed } = await this.messages.deleteAsAdmin({ room: name, seq });
    if (changed) this.emitter.messageUpdated(message);
    return { message };
  }

  @Post('announcements')
  @ApiCreatedResponse({ type: AnnouncementResponseSchema, description: 'delivered to every connected socket' })
  announce(@Body() body: AnnouncementBody): AnnounceResult {
    const announcement = this.chat.systemAnnouncement(body);
    this.emitter.announcement(announcement);
    return { announcement };
  }

  @Delete('users/:id/connections')
  @ApiOkResponse({
    type: DisconnectedSchema,
    description:
      'closes every socket of the user on every node; with revoke=true, first records a revocation that every node enforces before this answers (audited as "revoke")',
  })
  @HttpCode(200)
  disconnect(
    @Param() { id }: UserIdParam,
    @Query() { revoke, seconds }: UserDisconnectQuery,
    @Actor() actor: string,
  ): Promise<UserDisconnectResult> {
    return this.revocations.disconnect({ userId: id, revoke: revoke === 'true', seconds }, actor);
  }
}
