import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { ROOM_NAME_PATTERN, ROOM_RULE } from '../room-names.js';

export class RoomNameParam {
  @ApiProperty({ example: 'lobby', pattern: ROOM_NAME_PATTERN.source })
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  name!: string;
}
