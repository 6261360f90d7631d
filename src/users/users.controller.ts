import { Controller, Get, Param, Req, UseGuards, UsePipes } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorSchema, UserListSchema, UserSummarySchema } from '../docs/api-schemas.js';
import { BEARER_SCHEME } from '../docs/openapi.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import type { AuthenticatedRequest } from '../auth/rest-auth.guard.js';
import { ReaderGuard } from '../auth/rest-auth.guard.js';
import { UserIdParam } from './dto/user-id.param.js';
import type { UserSummary } from './presence-store.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth(BEARER_SCHEME)
@ApiUnauthorizedResponse({ type: ErrorSchema, description: 'JWT mode without a valid Bearer token' })
@ApiTooManyRequestsResponse({ type: ErrorSchema, description: 'past REST_RATE_PER_SECOND / REST_RATE_BURST for this client address; Retry-After says when to retry' })
@Controller('users')
@UseGuards(ReaderGuard)
@UsePipes(HttpValidationPipe)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOkResponse({ type: UserListSchema, description: "connected users; rooms outside the caller's rooms claim are left out" })
  async list(@Req() request: AuthenticatedRequest): Promise<{ users: UserSummary[] }> {
    return { users: await this.users.list(request.identity ?? {}) };
  }

  @Get(':id')
  @ApiOkResponse({ type: UserSummarySchema })
  @ApiNotFoundResponse({ type: ErrorSchema, description: 'not connected' })
  get(@Param() { id }: UserIdParam, @Req() request: AuthenticatedRequest): Promise<UserSummary> {
    return this.users.get(request.identity ?? {}, id);
  }
}
