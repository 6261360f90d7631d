import { Controller, Get, Query, UsePipes } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AdminApi } from '../auth/rest-access.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import type { AuditPage } from '../contract.js';
import { AuditPageSchema, ErrorSchema } from '../docs/api-schemas.js';
import { AuditService } from './audit.service.js';
import { AuditQuery } from './dto/audit.query.js';

@ApiTags('moderation')
@AdminApi()
@Controller('audit')
@UsePipes(HttpValidationPipe)
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ type: AuditPageSchema, description: 'bans, mutes, their lifting, erasures and revocations, oldest first' })
  @ApiBadRequestResponse({ type: ErrorSchema, description: 'a bad `after` or `limit`' })
  list(@Query() query: AuditQuery): Promise<AuditPage> {
    return this.audit.page(query);
  }
}
