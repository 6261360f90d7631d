import { IsBoolean, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsOmittable } from '../../common/is-omittable.js';
import { ROOM_NAME_PATTERN, ROOM_RULE } from '../../rooms/room-names.js';
import { USER_ID_PATTERN, USER_ID_RULE as USER_RULE } from '../../auth/user-id.js';

export class MessageSendDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  /** Length rules (1..MAX_MESSAGE_LENGTH as sent, not blank) depend on config and live in the service. */
  @IsString()
  text!: string;

  @IsOmittable()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;
}

export class DirectSendDto {
  @IsString()
  @Matches(USER_ID_PATTERN, USER_RULE)
  to!: string;

  @IsString()
  text!: string;

  @IsOmittable()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;
}

export class DirectHistoryDto {
  @IsString()
  @Matches(USER_ID_PATTERN, USER_RULE)
  with!: string;

  @IsOmittable()
  @IsString()
  @Length(1, 64)
  beforeId?: string;

  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}

export class TypingDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsBoolean()
  typing!: boolean;
}

export class AnnounceDto {
  @IsString()
  text!: string;
}

export class AuthRefreshDto {
  @IsString()
  @Length(1, 8192)
  token!: string;
}
