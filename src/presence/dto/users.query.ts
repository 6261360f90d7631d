import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { USER_ID_PATTERN, USER_ID_RULE } from '../../auth/user-id.js';

export const USERS_PAGE_DEFAULT = 100;
export const USERS_PAGE_MAX = 500;

export class UsersQuery {
  @ApiPropertyOptional({
    description: "the previous page's `next`: only users whose id sorts after it (from the first when absent or empty)",
    example: 'ada',
    pattern: USER_ID_PATTERN.source,
  })
  @IsOptional()
  // `?after=` (a client passing an empty cursor) means the first page.
  @Transform(({ value }: { value: unknown }) => (value === '' ? undefined : value))
  @IsString()
  @Matches(USER_ID_PATTERN, USER_ID_RULE)
  after?: string;

  @ApiPropertyOptional({ description: 'page size', minimum: 1, maximum: USERS_PAGE_MAX, default: USERS_PAGE_DEFAULT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(USERS_PAGE_MAX)
  limit?: number;
}
