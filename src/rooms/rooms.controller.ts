import { Controller, Get, Param, Query, Req, UseGuards, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import type { AuthenticatedRequest } from '../auth/rest-auth.guard.js';
import { ReaderGuard } from '../auth/rest-auth.guard.js';
import type { Message, MessagePage } from '../contract.js';
import { ErrorSchema, MessagePageSchema, RoomDetailsSchema, RoomListSchema } from '../docs/api-schemas.js';
import { BEARER_SCHEME } from '../docs/openapi.js';
import { RoomMessagesQuery } from './dto/room-messages.query.js';
import { RoomNameParam } from './dto/room-name.param.js';
import { type RoomDetails, RoomsService } from './rooms.service.js';
import type { RoomSummary } from '../presence/presence-store.js';

@ApiTags('rooms')
@ApiBearerAuth(BEARER_SCHEME)
@ApiUnauthorizedResponse({ type: ErrorSchema, description: 'JWT mode without a valid Bearer token' })
@ApiTooManyRequestsResponse({ type: ErrorSchema, description: 'past REST_RATE_PER_SECOND / REST_RATE_BURST for this client address; Retry-After says when to retry' })
@Controller('rooms')
@UseGuards(ReaderGuard)
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
