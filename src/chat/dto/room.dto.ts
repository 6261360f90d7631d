import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsNotWith } from '../../common/is-not-with.js';
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

  @IsOmittable()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  @IsNotWith('sinceSeq')
  sinceRev?: number;
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

export class RoomForgetDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;
}

/** rooms:list takes no parameters: only `{}` (any property is an unknown one). */
export class RoomsListDto {
  // Types the class as the contract's empty payload (Record<string, never>); no property exists.
  [key: string]: never;
}

export class RoomReadDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  /** Above the room's lastSeq is refused by the service, which knows it. */
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}
