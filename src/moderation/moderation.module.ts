import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EmitterModule } from '../chat/emitter.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { MembershipsModule } from '../memberships/memberships.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { ModerationService } from './moderation.service.js';
import { ModerationSync } from './moderation-sync.js';
import { RestrictionPruneService } from './restriction-prune.service.js';
import { RestrictionsController } from './restrictions.controller.js';

/** Bans, mutes, session revocations, erasure and the audit log (the store comes with MessagesModule). */
@Module({
  imports: [AuthModule, LimitsModule, EmitterModule, PresenceModule, MessagesModule, MembershipsModule],
  controllers: [RestrictionsController],
  providers: [ModerationSync, ModerationService, RestrictionPruneService],
  exports: [ModerationService, ModerationSync],
})
export class ModerationModule {}
