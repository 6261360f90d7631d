import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Matches, MaxLength, Max, Min } from 'class-validator';
import { USER_ID_PATTERN, USER_ID_RULE } from '../../auth/user-id.js';
import { IsOmittable } from '../../common/is-omittable.js';
import { ROOM_NAME_PATTERN, ROOM_RULE } from '../../rooms/room-names.js';
import { RoomNameParam } from '../../rooms/dto/room-name.param.js';

export const MAX_RESTRICTION_SECONDS = 31_536_000;
export const MAX_REASON_LENGTH = 500;

/** POST /rooms/:name/bans and /mutes. A user id never seen yet is fine: a ban can precede a first visit. */
export class RestrictBody {
  @ApiProperty({ example: 'mallory', pattern: USER_ID_PATTERN.source })
  @IsString()
  @Matches(USER_ID_PATTERN, USER_ID_RULE)
  userId!: string;

  @ApiPropertyOptional({ maxLength: MAX_REASON_LENGTH, example: 'spam' })
  @IsOmittable()
  @IsString()
  @MaxLength(MAX_REASON_LENGTH)
  reason?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_RESTRICTION_SECONDS, description: 'absent: until lifted' })
  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(MAX_RESTRICTION_SECONDS)
  seconds?: number;
}

/** room:ban and room:mute: the REST body plus the room. */
export class RoomRestrictDto extends RestrictBody {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;
}

/** room:unban and room:unmute. */
export class RoomUnrestrictDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsString()
  @Matches(USER_ID_PATTERN, USER_ID_RULE)
  userId!: string;
}

/** DELETE /rooms/:name/bans/:userId and /mutes/:userId. */
export class RestrictionParam extends RoomNameParam {
  @ApiProperty({ example: 'mallory', pattern: USER_ID_PATTERN.source })
  @IsString()
  @Matches(USER_ID_PATTERN, USER_ID_RULE)
  userId!: string;
}
