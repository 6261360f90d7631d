import { Controller, Get, Param, Query, Req, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ErrorSchema, UserPageSchema, UserSummarySchema } from '../docs/api-schemas.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import { ReaderApi } from '../auth/rest-access.js';
import type { AuthenticatedRequest } from '../auth/rest-auth.guard.js';
import { UserIdParam } from './dto/user-id.param.js';
import { USER_ID_PAGE_DEFAULT, UserIdPageQuery } from '../common/user-id-page.query.js';
import type { UserPage, UserSummary } from './presence-store.js';
import { PresenceService } from './presence.service.js';

@ApiTags('users')
@ReaderApi()
@Controller('users')
@UsePipes(HttpValidationPipe)
export class UsersController {
  constructor(private readonly users: PresenceService) {}

  @Get()
  @ApiOkResponse({
    type: UserPageSchema,
    description: "one page of connected users by id; rooms outside the caller's rooms claim are left out",
  })
  @ApiBadRequestResponse({ type: ErrorSchema, description: 'a bad `after` or `limit`' })
  list(@Query() { after, limit }: UserIdPageQuery, @Req() request: AuthenticatedRequest): Promise<UserPage> {
    return this.users.list(request.identity ?? {}, { after, limit: limit ?? USER_ID_PAGE_DEFAULT });
  }

  @Get(':id')
  @ApiOkResponse({ type: UserSummarySchema })
  @ApiNotFoundResponse({ type: ErrorSchema, description: 'not connected' })
  get(@Param() { id }: UserIdParam, @Req() request: AuthenticatedRequest): Promise<UserSummary> {
    return this.users.get(request.identity ?? {}, id);
  }
}
