import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { RedisConnections } from './redis-connections.js';

@Global()
@Module({
  providers: [{ provide: RedisConnections, inject: [AppConfig], useFactory: RedisConnections.open }],
  exports: [RedisConnections],
})
export class RedisModule {}
