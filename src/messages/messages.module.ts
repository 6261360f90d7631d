import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { PresenceModule } from '../presence/presence.module.js';
import { createMessageStore } from './message-store.factory.js';
import { MessageStore } from './message-store.js';
import { MessagesService } from './messages.service.js';
import { RetentionService } from './retention.service.js';

@Module({
  imports: [PresenceModule],
  providers: [
    { provide: MessageStore, inject: [AppConfig], useFactory: createMessageStore },
    MessagesService,
    RetentionService,
  ],
  exports: [MessageStore, MessagesService],
})
export class MessagesModule {}
