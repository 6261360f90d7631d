import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { RoomMembersController, UserRoomsController } from './memberships.controller.js';
import { MembershipsService } from './memberships.service.js';
import { ReadMarkerBuffer } from './read-marker-buffer.js';

/** Stored memberships and read markers (the store itself comes with MessagesModule: one engine holds both). */
@Module({
  imports: [AuthModule, LimitsModule, PresenceModule, MessagesModule],
  controllers: [RoomMembersController, UserRoomsController],
  providers: [MembershipsService, ReadMarkerBuffer],
  exports: [MembershipsService],
})
export class MembershipsModule {}
