import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { MemoryPresenceStore } from './memory-presence.store.js';
import { PresenceStore } from './presence-store.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [AuthModule],
  controllers: [UsersController],
  providers: [{ provide: PresenceStore, useClass: MemoryPresenceStore }, UsersService],
  exports: [PresenceStore, UsersService],
})
export class UsersModule {}
