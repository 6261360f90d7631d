import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { USER_ID_PATTERN, USER_ID_RULE } from '../../auth/user-id.js';

export class UserIdParam {
  @ApiProperty({ example: 'ada', pattern: USER_ID_PATTERN.source })
  @IsString()
  @Matches(USER_ID_PATTERN, USER_ID_RULE)
  id!: string;
}
