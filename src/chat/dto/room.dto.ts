import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsOmittable } from '../../common/is-omittable.js';
import { ROOM_NAME_PATTERN, ROOM_RULE } from '../../rooms/room-names.js';

export class RoomJoinDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(100)
  historyLimit?: number;

  @IsOmittable()
  @IsInt()
  @Min(0)
  // Seqs are safe integers; a larger number would fail in a SQL store as a bigint overflow.
  @Max(Number.MAX_SAFE_INTEGER)
  sinceSeq?: number;
}

export class RoomLeaveDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;
}

export class RoomHistoryDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  beforeSeq?: number;

  @IsOmittable()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
