import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { IsOmittable } from '../../common/is-omittable.js';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX } from '../audit.service.js';

/** `?after=&limit=` of GET /audit. */
export class AuditQuery {
  @ApiPropertyOptional({
    description: "the previous page's `next`: only entries with a greater id (from the first when absent, empty or 0)",
    example: 100,
    minimum: 0,
  })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({ description: 'page size', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT })
  @IsOmittable()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(AUDIT_PAGE_MAX)
  limit?: number;
}
