import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { USER_ID_PATTERN, USER_ID_RULE } from '../auth/user-id.js';

export const USER_ID_PAGE_DEFAULT = 100;
export const USER_ID_PAGE_MAX = 500;

/** `?after=&limit=` of a REST list paged by user id (GET /users, GET /rooms/:name/members). */
export class UserIdPageQuery {
  @ApiPropertyOptional({
    description: "the previous page's `next`: only entries whose user id sorts after it (from the first when absent or empty)",
    example: 'ada',
    pattern: USER_ID_PATTERN.source,
  })
  @IsOptional()
  // `?after=` (a client passing an empty cursor) means the first page.
  @Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value))
  @IsString()
  @Matches(USER_ID_PATTERN, USER_ID_RULE)
  after?: string;

  @ApiPropertyOptional({ description: 'page size', minimum: 1, maximum: USER_ID_PAGE_MAX, default: USER_ID_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(USER_ID_PAGE_MAX)
  limit?: number;
}
