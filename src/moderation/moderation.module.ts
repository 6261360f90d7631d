import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { EmitterModule } from '../chat/emitter.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { MembershipsModule } from '../memberships/memberships.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { PresenceModule } from '../presence/presence.module.js';
import { AuditController } from './audit.controller.js';
import { AuditService } from './audit.service.js';
import { ErasureController } from './erasure.controller.js';
import { ErasureService } from './erasure.service.js';
import { ModerationService } from './moderation.service.js';
import { ModerationSync } from './moderation-sync.js';
import { RevocationService } from './revocation.service.js';
import { RestrictionPruneService } from './restriction-prune.service.js';
import { RestrictionsController } from './restrictions.controller.js';

/** Bans, mutes, session revocations, erasure and the audit log (the store comes with MessagesModule). */
@Module({
  imports: [AuthModule, LimitsModule, EmitterModule, PresenceModule, MessagesModule, MembershipsModule],
  controllers: [RestrictionsController, ErasureController, AuditController],
  providers: [ModerationSync, ModerationService, RestrictionPruneService, RevocationService, ErasureService, AuditService],
  exports: [ModerationService, ModerationSync, RevocationService],
})
export class ModerationModule {}
