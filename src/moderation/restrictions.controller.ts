import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Actor } from '../auth/actor.decorator.js';
import { AdminApi } from '../auth/rest-access.js';
import { ChatEmitter } from '../chat/chat-emitter.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import { USER_ID_PAGE_DEFAULT, UserIdPageQuery } from '../common/user-id-page.query.js';
import type { RoomBanResult, RoomBansPage, RoomMuteResult, RoomMutesPage, RoomRestriction } from '../contract.js';
import { BanResponseSchema, BansPageSchema, ErrorSchema, MutesPageSchema, MuteResponseSchema } from '../docs/api-schemas.js';
import { RoomNameParam } from '../rooms/dto/room-name.param.js';
import { RestrictBody, RestrictionParam } from './dto/restriction.dto.js';
import type { RestrictionKind } from './moderation-store.js';
import { ModerationService } from './moderation.service.js';

const REPLACED = 'replaced an active one (200) instead of creating one (201)';
const ENFORCED = 'answered once every node enforces it';

/**
 * Bans and mutes over REST (the admin socket events room:ban, room:mute, room:unban and
 * room:unmute do the same). A change is answered only once every node enforces it.
 */
@ApiTags('moderation')
@AdminApi()
@ApiBadRequestResponse({ type: ErrorSchema, description: 'a bad room name, user id, reason, seconds, cursor or limit, or an extra field' })
@Controller('rooms')
@UsePipes(HttpValidationPipe)
export class RestrictionsController {
  constructor(
    private readonly moderation: ModerationService,
    private readonly emitter: ChatEmitter,
  ) {}

  @Post(':name/bans')
  @ApiCreatedResponse({ type: BanResponseSchema, description: `the ban; the user's sockets left the room (room:banned); ${ENFORCED}` })
  @ApiOkResponse({ type: BanResponseSchema, description: REPLACED })
  async ban(
    @Param() { name }: RoomNameParam,
    @Body() body: RestrictBody,
    @Actor() actor: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RoomBanResult> {
    return { ban: await this.restrict('ban', name, body, actor, response) };
  }

  @Delete(':name/bans/:userId')
  @ApiOkResponse({ type: BanResponseSchema, description: `the ban lifted; ${ENFORCED}` })
  @ApiNotFoundResponse({ type: ErrorSchema, description: 'the user is not banned from the room' })
  @HttpCode(200)
  async unban(@Param() { name, userId }: RestrictionParam, @Actor() actor: string): Promise<RoomBanResult> {
    return { ban: await this.moderation.lift('ban', name, userId, actor) };
  }

  @Get(':name/bans')
  @ApiOkResponse({ type: BansPageSchema, description: 'one page of the active bans by user id (ended ones are not listed)' })
  async bans(@Param() { name }: RoomNameParam, @Query() query: UserIdPageQuery): Promise<RoomBansPage> {
    const { items, next } = await this.moderation.list('ban', name, pageOf(query));
    return { bans: items, next };
  }

  @Post(':name/mutes')
  @ApiCreatedResponse({ type: MuteResponseSchema, description: `the mute; the user's sockets are told (room:muted); ${ENFORCED}` })
  @ApiOkResponse({ type: MuteResponseSchema, description: REPLACED })
  async mute(
    @Param() { name }: RoomNameParam,
    @Body() body: RestrictBody,
    @Actor() actor: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RoomMuteResult> {
    return { mute: await this.restrict('mute', name, body, actor, response) };
  }

  @Delete(':name/mutes/:userId')
  @ApiOkResponse({ type: MuteResponseSchema, description: `the mute lifted (room:unmuted); ${ENFORCED}` })
  @ApiNotFoundResponse({ type: ErrorSchema, description: 'the user is not muted in the room' })
  @HttpCode(200)
  async unmute(@Param() { name, userId }: RestrictionParam, @Actor() actor: string): Promise<RoomMuteResult> {
    return { mute: await this.moderation.lift('mute', name, userId, actor) };
  }

  @Get(':name/mutes')
  @ApiOkResponse({ type: MutesPageSchema, description: 'one page of the active mutes by user id (ended ones are not listed)' })
  async mutes(@Param() { name }: RoomNameParam, @Query() query: UserIdPageQuery): Promise<RoomMutesPage> {
    const { items, next } = await this.moderation.list('mute', name, pageOf(query));
    return { mutes: items, next };
  }

  /** 201 for a new one, 200 when it replaced an active one; member-left as room:forget sends it. */
  private async restrict(
    kind: RestrictionKind,
    room: string,
    body: RestrictBody,
    actor: string,
    response: Response,
  ): Promise<RoomRestriction> {
    const { restriction, replaced, left } = await this.moderation.restrict(kind, { room, ...body }, actor);
    if (left) this.emitter.memberLeft({ room, user: left });
    response.status(replaced ? 200 : 201);
    return restriction;
  }
}

function pageOf({ after, limit }: UserIdPageQuery): { after?: string; limit: number } {
  return { after, limit: limit ?? USER_ID_PAGE_DEFAULT };
}
