import { IsString, Length } from 'class-validator';
import { IsOmittable } from '../../common/is-omittable.js';

export class SystemMessageBody {
  @IsString()
  text!: string;

  @IsOmittable()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;
}

export class AnnouncementBody {
  @IsString()
  text!: string;
}
