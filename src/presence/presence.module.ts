import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { AppConfig } from '../config/app-config.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { RedisPresenceStore } from './redis-presence.store.js';
import { MemoryPresenceStore } from './memory-presence.store.js';
import { guardPresenceStore, PRESENCE_STORE_ENGINE, PresenceStore } from './presence-store.js';
import { UsersController } from './users.controller.js';
import { PresenceService } from './presence.service.js';

@Module({
  imports: [AuthModule, LimitsModule],
  controllers: [UsersController],
  providers: [
    {
      provide: PRESENCE_STORE_ENGINE,
      useFactory: (config: AppConfig, redis: RedisConnections): PresenceStore =>
        redis.enabled ? new RedisPresenceStore(redis, config) : new MemoryPresenceStore(),
      inject: [AppConfig, RedisConnections],
    },
    { provide: PresenceStore, inject: [PRESENCE_STORE_ENGINE], useFactory: guardPresenceStore },
    PresenceService,
  ],
  exports: [PresenceStore, PRESENCE_STORE_ENGINE, PresenceService],
})
export class PresenceModule {}
