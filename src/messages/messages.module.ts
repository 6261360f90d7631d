import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PresenceModule } from '../presence/presence.module.js';
import { createMessageStore } from './message-store.factory.js';
import { guardMembershipStore, MembershipStore } from '../memberships/membership-store.js';
import { guardMessageStore, MESSAGE_STORE_ENGINE, MessageStore } from './message-store.js';
import { MessagesService } from './messages.service.js';
import { guardModerationStore, ModerationStore } from '../moderation/moderation-store.js';
import { RetentionService } from './retention.service.js';

@Module({
  imports: [PresenceModule],
  providers: [
    { provide: MESSAGE_STORE_ENGINE, inject: [AppConfig], useFactory: createMessageStore },
    { provide: MessageStore, inject: [MESSAGE_STORE_ENGINE], useFactory: guardMessageStore },
    { provide: MembershipStore, inject: [MESSAGE_STORE_ENGINE], useFactory: guardMembershipStore },
    { provide: ModerationStore, inject: [MESSAGE_STORE_ENGINE], useFactory: guardModerationStore },
    MessagesService,
    RetentionService,
  ],
  exports: [MessageStore, MembershipStore, ModerationStore, MESSAGE_STORE_ENGINE, MessagesService],
})
export class MessagesModule {}
