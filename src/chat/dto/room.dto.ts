import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ROOM_NAME_PATTERN, ROOM_RULE } from '../../rooms/room-names.js';


export class RoomJoinDto {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  room!: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  historyLimit?: number;

  @IsOptional()
  @IsInt()
  @Min(0)
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

  @IsOptional()
  @IsInt()
  @Min(1)
  beforeSeq?: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;
}
