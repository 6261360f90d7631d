import { UsePipes, Controller, Get, Param, Query, Req, UseGuards } from '@nestjs/common';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import type { AuthenticatedRequest } from '../auth/rest-auth.guard.js';
import { ReaderGuard } from '../auth/rest-auth.guard.js';
import type { Message, MessagePage } from '../contract.js';
import { RoomMessagesQuery } from './dto/room-messages.query.js';
import { RoomNameParam } from './dto/room-name.param.js';
import { type RoomDetails, RoomsService } from './rooms.service.js';
import type { RoomSummary } from '../users/presence-store.js';

@Controller('rooms')
@UseGuards(ReaderGuard)
@UsePipes(HttpValidationPipe)
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Get()
  async list(): Promise<{ rooms: RoomSummary[] }> {
    return { rooms: await this.rooms.list() };
  }

  @Get(':name')
  describe(@Param() { name }: RoomNameParam): Promise<RoomDetails> {
    return this.rooms.describe(name);
  }

  @Get(':name/messages')
  messages(
    @Param() { name }: RoomNameParam,
    @Query() query: RoomMessagesQuery,
    @Req() request: AuthenticatedRequest,
  ): Promise<MessagePage<Message>> {
    return this.rooms.history(request.identity ?? {}, name, query);
  }
}
