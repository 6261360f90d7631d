import { Controller, Get, Param, Query, Req, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { OwnerOrAdminApi, ReaderApi } from '../auth/rest-access.js';
import type { AuthenticatedRequest } from '../auth/rest-auth.guard.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import type { RoomMembersPage, RoomsListResult } from '../contract.js';
import { ErrorSchema, MembershipListSchema, RoomMembersPageSchema } from '../docs/api-schemas.js';
import { UserIdParam } from '../presence/dto/user-id.param.js';
import { RoomNameParam } from '../rooms/dto/room-name.param.js';
import { USER_ID_PAGE_DEFAULT, UserIdPageQuery } from '../common/user-id-page.query.js';
import { MembershipsService } from './memberships.service.js';

/** Stored members of a room (not only the connected ones, which GET /rooms/:name lists). */
@ApiTags('rooms')
@ReaderApi()
@Controller('rooms')
@UsePipes(HttpValidationPipe)
export class RoomMembersController {
  constructor(private readonly memberships: MembershipsService) {}

  @Get(':name/members')
  @ApiOkResponse({ type: RoomMembersPageSchema, description: 'one page of the members by user id, with their read markers' })
  @ApiBadRequestResponse({ type: ErrorSchema, description: 'a bad `after` or `limit`' })
  @ApiForbiddenResponse({ type: ErrorSchema, description: 'a reserved room, or one the caller may not join' })
  members(
    @Param() { name }: RoomNameParam,
    @Query() { after, limit }: UserIdPageQuery,
    @Req() request: AuthenticatedRequest,
  ): Promise<RoomMembersPage> {
    return this.memberships.members(request.identity ?? {}, name, { after, limit: limit ?? USER_ID_PAGE_DEFAULT });
  }
}

/** A user's memberships, as rooms:list answers them to the user's own sockets. */
@ApiTags('users')
@OwnerOrAdminApi()
@Controller('users')
@UsePipes(HttpValidationPipe)
export class UserRoomsController {
  constructor(private readonly memberships: MembershipsService) {}

  @Get(':id/rooms')
  @ApiOkResponse({
    type: MembershipListSchema,
    description: "the user's memberships in rooms:list order; for the user's own token, only rooms its `rooms` claim allows",
  })
  @ApiBadRequestResponse({ type: ErrorSchema, description: 'a malformed user id' })
  async rooms(@Param() { id }: UserIdParam, @Req() request: AuthenticatedRequest): Promise<RoomsListResult> {
    return { rooms: await this.memberships.rooms(id, request.identity ?? {}) };
  }
}
