import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { ChatModule } from './chat/chat.module.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { HealthModule } from './health/health.module.js';
import { loggerOptions } from './logging/logger-options.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RestrictionsModule } from './moderation/restrictions.module.js';
import { RedisModule } from './redis/redis.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        // DiscoveryService: createApp checks that every controller declares its REST access.
        DiscoveryModule,
        LoggerModule.forRoot(loggerOptions(config)),
        RedisModule,
        MetricsModule,
        RestrictionsModule,
        HealthModule,
        ChatModule,
      ],
    };
  }
}
