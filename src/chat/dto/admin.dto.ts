import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { IsOmittable } from '../../common/is-omittable.js';
import { IsMessageText } from '../../messages/message-text.js';
import { RoomNameParam } from '../../rooms/dto/room-name.param.js';

export class SystemMessageBody {
  @ApiProperty({ example: 'The room closes at 18:00', description: '1..MAX_MESSAGE_LENGTH characters as sent, not only whitespace' })
  @IsString()
  @IsMessageText()
  text!: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 64, description: 'retrying with the same id returns the original' })
  @IsOmittable()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;
}

export class AnnouncementBody {
  @ApiProperty({ example: 'Maintenance at noon', description: '1..MAX_MESSAGE_LENGTH characters as sent, not only whitespace' })
  @IsString()
  @IsMessageText()
  text!: string;
}

export class RoomMessageParam extends RoomNameParam {
  @ApiProperty({ example: 42, minimum: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  seq!: number;
}
