import { UsePipes, Controller, Get, Param, UseGuards } from '@nestjs/common';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import { ReaderGuard } from '../auth/rest-auth.guard.js';
import { UserIdParam } from './dto/user-id.param.js';
import type { UserSummary } from './presence-store.js';
import { UsersService } from './users.service.js';

@Controller('users')
@UseGuards(ReaderGuard)
@UsePipes(HttpValidationPipe)
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  async list(): Promise<{ users: UserSummary[] }> {
    return { users: await this.users.list() };
  }

  @Get(':id')
  get(@Param() { id }: UserIdParam): Promise<UserSummary> {
    return this.users.get(id);
  }
}
