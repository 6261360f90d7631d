import { IsBoolean, IsInt, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsOmittable } from '../../common/is-omittable.js';
import { IsMessageText } from '../../messages/message-text.js';
import { ROOM_NAME_PATTERN, ROOM_RULE } from '../../rooms/room-names.js';
import { USER_ID_PATTERN, USER_ID_RULE as USER_RULE } from '../../auth/user-id.js';

/*
 * Socket payloads of the message events (room.dto.ts: the room events; admin.dto.ts, rooms/dto and
 * presence/dto: REST bodies, params and queries). Every rule about a payload's own content lives in
 * its DTO, the ones whose limit comes from config included (IsMessageText reads
 * MAX_MESSAGE_LENGTH of the app whose pipe validates: see payload-limits.ts). The validation pipe
 * runs before the handler, so a malformed payload is VALIDATION_FAILED before any membership or
 * permission rule is looked at. The services keep only rules that need the caller or state
 * (joined, reserved room, admin, a direct message to yourself), and no copy of these.
 */

export class MessageSendDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsString()
  @IsMessageText()
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
  @IsMessageText()
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
  @IsMessageText()
  text!: string;
}

export class AuthRefreshDto {
  @IsString()
  @Length(1, 8192)
  token!: string;
}

export class MessageEditDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;

  @IsString()
  @IsMessageText()
  text!: string;
}

export class MessageDeleteDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}
