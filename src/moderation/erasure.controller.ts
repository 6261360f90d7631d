import { Controller, Delete, HttpCode, Param, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Actor } from '../auth/actor.decorator.js';
import { AdminApi } from '../auth/rest-access.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import type { ErasureResult } from '../contract.js';
import { ErasureResultSchema, ErrorSchema } from '../docs/api-schemas.js';
import { UserIdParam } from '../presence/dto/user-id.param.js';
import { ErasureService } from './erasure.service.js';

@ApiTags('moderation')
@AdminApi()
@Controller('users')
@UsePipes(HttpValidationPipe)
export class ErasureController {
  constructor(private readonly erasure: ErasureService) {}

  @Delete(':id/messages')
  @HttpCode(200)
  @ApiOkResponse({
    type: ErasureResultSchema,
    description:
      'every room message and direct message the user sent becomes a tombstone (text erased in the database); each room message goes out as message:updated to the sockets in its room. Answers when all is done; idempotent (0/0 once nothing is left); audited as "erase"',
  })
  @ApiBadRequestResponse({ type: ErrorSchema, description: 'a malformed user id' })
  erase(@Param() { id }: UserIdParam, @Actor() actor: string): Promise<ErasureResult> {
    return this.erasure.erase(id, actor);
  }
}
