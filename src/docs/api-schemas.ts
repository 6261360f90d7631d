import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from '../common/error-code.js';

/**
 * Response shapes for the OpenAPI document. They mirror the types in src/contract.ts and
 * the controllers' return types; the OpenAPI test checks the document against real responses.
 */
export class UserSchema {
  @ApiProperty({ example: 'ada' }) id!: string;
  @ApiProperty({ example: 'Ada' }) name!: string;
}

export class MessageSchema {
  @ApiProperty({ example: '0b9f3e0e-6c1a-4d0e-9b7e-2f1f3c5d8a11' }) id!: string;
  @ApiProperty({ example: 'lobby' }) room!: string;
  @ApiProperty({ example: 42, description: '1, 2, 3, ... per room, without gaps' }) seq!: number;
  @ApiProperty({ type: UserSchema }) from!: UserSchema;
  @ApiProperty({ example: 'hello' }) text!: string;
  @ApiProperty({ example: '2026-01-01T12:00:00.000Z', format: 'date-time' }) sentAt!: string;
  @ApiPropertyOptional({ example: 'c-123' }) clientMsgId?: string;
  @ApiProperty({ example: 57, description: "the room's change counter when this message was last sent, edited or deleted" })
  rev!: number;
  @ApiPropertyOptional({ example: '2026-01-01T12:05:00.000Z', format: 'date-time', description: 'the last edit; absent when never edited' })
  editedAt?: string;
  @ApiPropertyOptional({ example: '2026-01-01T12:09:00.000Z', format: 'date-time', description: 'a tombstone: text is ""' })
  deletedAt?: string;
}

export class MessagePageSchema {
  @ApiProperty({ type: [MessageSchema], description: 'chronological; at most `limit` messages and MAX_REPLY_BYTES of them' })
  messages!: MessageSchema[];
  @ApiProperty({ description: 'older messages exist: page on with beforeSeq = the first seq' }) hasMore!: boolean;
}

export class MessageResponseSchema {
  @ApiProperty({ type: MessageSchema }) message!: MessageSchema;
}

export class RoomSummarySchema {
  @ApiProperty({ example: 'lobby' }) name!: string;
  @ApiProperty({ example: 3 }) memberCount!: number;
}

export class RoomListSchema {
  @ApiProperty({ type: [RoomSummarySchema] }) rooms!: RoomSummarySchema[];
}

export class RoomDetailsSchema extends RoomSummarySchema {
  @ApiProperty({ type: [UserSchema] }) members!: UserSchema[];
  @ApiProperty({ example: 42, description: 'seq of the newest message, 0 when none' }) lastSeq!: number;
}

export class UserSummarySchema extends UserSchema {
  @ApiProperty({ example: 2, description: 'open connections across the cluster' }) connections!: number;
  @ApiProperty({ type: [String], example: ['lobby'] }) rooms!: string[];
}

export class UserPageSchema {
  @ApiProperty({ type: [UserSummarySchema], description: 'by id' }) users!: UserSummarySchema[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'bob',
    description: 'pass as `after` for the next page (the last id of this one); null on the last page',
  })
  next!: string | null;
}

export class MembershipSummarySchema {
  @ApiProperty({ example: 'lobby' }) room!: string;
  @ApiProperty({ example: '2026-01-01T11:00:00.000Z', format: 'date-time', description: 'the first join' }) joinedAt!: string;
  @ApiProperty({ example: 42, description: 'seq of the newest message, 0 when none' }) lastSeq!: number;
  @ApiProperty({ example: 40, description: 'the read marker (0: nothing read)' }) readSeq!: number;
  @ApiProperty({ example: 2, description: 'lastSeq - readSeq; deleted messages count too' }) unread!: number;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: "the room's newest message; null when none" })
  lastMessageAt!: string | null;
}

export class MembershipListSchema {
  @ApiProperty({
    type: [MembershipSummarySchema],
    description: 'newest lastMessageAt first; rooms without messages last, newest joinedAt first',
  })
  rooms!: MembershipSummarySchema[];
}

export class RoomMemberSchema {
  @ApiProperty({ type: UserSchema }) user!: UserSchema;
  @ApiProperty({ format: 'date-time', description: 'the first join' }) joinedAt!: string;
  @ApiProperty({ example: 40 }) readSeq!: number;
  @ApiProperty({ description: 'connected now (any room, any node)' }) online!: boolean;
}

export class RoomMembersPageSchema {
  @ApiProperty({ type: [RoomMemberSchema], description: 'by user id' }) members!: RoomMemberSchema[];
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'bob',
    description: 'pass as `after` for the next page (the last user id of this one); null on the last page',
  })
  next!: string | null;
}

export class AnnouncementSchema {
  @ApiProperty() id!: string;
  @ApiProperty({ type: UserSchema }) from!: UserSchema;
  @ApiProperty() text!: string;
  @ApiProperty({ format: 'date-time' }) sentAt!: string;
}

export class AnnouncementResponseSchema {
  @ApiProperty({ type: AnnouncementSchema }) announcement!: AnnouncementSchema;
}

export class UserRevocationSchema {
  @ApiProperty({ example: 'mallory' }) userId!: string;
  @ApiProperty({
    format: 'date-time',
    description: 'JWT mode: tokens whose iat is not after this (whole seconds: also one issued within the same second) are refused',
  })
  revokedAt!: string;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'open mode: the username is refused until then; null in JWT mode',
  })
  blockedUntil!: string | null;
}

export class DisconnectedSchema {
  @ApiProperty({ example: 2, description: 'sockets closed across the cluster' }) disconnected!: number;
  @ApiPropertyOptional({ type: UserRevocationSchema, description: 'with revoke=true' }) revocation?: UserRevocationSchema;
}

export class ErasureResultSchema {
  @ApiProperty({ example: 120, description: 'room messages this call turned into tombstones' }) roomMessages!: number;
  @ApiProperty({ example: 8, description: 'direct messages this call turned into tombstones' }) directMessages!: number;
}

export class AuditEntrySchema {
  @ApiProperty({ example: 17, description: 'increasing' }) id!: number;
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiProperty({ example: 'admin-api-key', description: "the admin token's user id, or admin-api-key" }) actor!: string;
  @ApiProperty({ enum: ['ban', 'unban', 'mute', 'unmute', 'erase', 'revoke'] }) action!: string;
  @ApiProperty({ example: 'mallory', description: 'the user acted on' }) userId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'lobby', description: 'bans and mutes; null otherwise' }) room!: string | null;
  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'number' }], nullable: true },
    example: { roomMessages: 120, directMessages: 8 },
    description: 'ban/mute: reason, until; erase: roomMessages, directMessages; revoke: revokedAt, blockedUntil',
  })
  details!: Record<string, string | number | null>;
}

export class AuditPageSchema {
  @ApiProperty({ type: [AuditEntrySchema], description: 'oldest first' }) entries!: AuditEntrySchema[];
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'pass as `after` for the next page (the last id of this one); null on the last page',
  })
  next!: number | null;
}

export class FieldErrorSchema {
  @ApiProperty({ example: 'limit' }) field!: string;
  @ApiProperty({ type: [String] }) messages!: string[];
}

export class ErrorSchema {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' }) code!: ErrorCode;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: [FieldErrorSchema] }) details?: FieldErrorSchema[];
  @ApiPropertyOptional() retryAfterMs?: number;
}

export class RoomRestrictionSchema {
  @ApiProperty({ example: 'lobby' }) room!: string;
  @ApiProperty({ example: 'mallory' }) userId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'spam', description: 'null when none was given' }) reason!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'the end; null: until lifted' }) until!: string | null;
  @ApiProperty({ example: 'admin-api-key', description: "the admin token's user id, or admin-api-key" }) by!: string;
}

export class BanResponseSchema {
  @ApiProperty({ type: RoomRestrictionSchema }) ban!: RoomRestrictionSchema;
}

export class MuteResponseSchema {
  @ApiProperty({ type: RoomRestrictionSchema }) mute!: RoomRestrictionSchema;
}

const RESTRICTION_PAGE_NEXT = {
  type: String,
  nullable: true,
  example: 'mallory',
  description: 'pass as `after` for the next page (the last user id of this one); null on the last page',
} as const;

export class BansPageSchema {
  @ApiProperty({ type: [RoomRestrictionSchema], description: 'active bans by user id' }) bans!: RoomRestrictionSchema[];
  @ApiProperty(RESTRICTION_PAGE_NEXT) next!: string | null;
}

export class MutesPageSchema {
  @ApiProperty({ type: [RoomRestrictionSchema], description: 'active mutes by user id' }) mutes!: RoomRestrictionSchema[];
  @ApiProperty(RESTRICTION_PAGE_NEXT) next!: string | null;
}
