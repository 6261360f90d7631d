import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module.js';
import { MemoryMessageStore } from './memory-message.store.js';
import { MessageStore } from './message-store.js';
import { MessagesService } from './messages.service.js';

@Module({
  imports: [UsersModule],
  providers: [{ provide: MessageStore, useClass: MemoryMessageStore }, MessagesService],
  exports: [MessageStore, MessagesService],
})
export class MessagesModule {}
