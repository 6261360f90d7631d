import { IsOptional, IsString, Length } from 'class-validator';

export class SystemMessageBody {
  @IsString()
  text!: string;

  @IsOptional()
  @IsString()
  @Length(1, 64)
  clientMsgId?: string;
}

export class AnnouncementBody {
  @IsString()
  text!: string;
}
