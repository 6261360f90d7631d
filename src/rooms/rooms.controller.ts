import { Controller, Get, Param, Query, Req, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import { ReaderApi } from '../auth/rest-access.js';
import type { AuthenticatedRequest } from '../auth/rest-auth.guard.js';
import type { Message, MessagePage } from '../contract.js';
import { ErrorSchema, MessagePageSchema, RoomDetailsSchema, RoomListSchema } from '../docs/api-schemas.js';
import { RoomMessagesQuery } from './dto/room-messages.query.js';
import { RoomNameParam } from './dto/room-name.param.js';
import { type RoomDetails, RoomsService } from './rooms.service.js';
import type { RoomSummary } from '../presence/presence-store.js';

@ApiTags('rooms')
@ReaderApi()
@Controller('rooms')
@UsePipes(HttpValidationPipe)
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Get()
  @ApiOkResponse({ type: RoomListSchema, description: 'rooms with at least one connected member, by name' })
  async list(@Req() request: AuthenticatedRequest): Promise<{ rooms: RoomSummary[] }> {
    return { rooms: await this.rooms.list(request.identity ?? {}) };
  }

  @Get(':name')
  @ApiOkResponse({ type: RoomDetailsSchema })
  @ApiNotFoundResponse({ type: ErrorSchema, description: 'no members and no messages' })
  describe(@Param() { name }: RoomNameParam, @Req() request: AuthenticatedRequest): Promise<RoomDetails> {
    return this.rooms.describe(request.identity ?? {}, name);
  }

  @Get(':name/messages')
  @ApiOkResponse({ type: MessagePageSchema })
  @ApiBadRequestResponse({ type: ErrorSchema })
  @ApiForbiddenResponse({ type: ErrorSchema, description: 'a room the caller may not join' })
  messages(
    @Param() { name }: RoomNameParam,
    @Query() query: RoomMessagesQuery,
    @Req() request: AuthenticatedRequest,
  ): Promise<MessagePage<Message>> {
    return this.rooms.history(request.identity ?? {}, name, query);
  }
}
