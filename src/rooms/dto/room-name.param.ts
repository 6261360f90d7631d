import { IsString, Matches } from 'class-validator';
import { ROOM_NAME_PATTERN, ROOM_RULE } from '../room-names.js';

export class RoomNameParam {
  @IsString()
  @Matches(ROOM_NAME_PATTERN, ROOM_RULE)
  name!: string;
}
