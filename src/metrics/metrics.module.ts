import { Global, Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { ChatMetrics } from './chat-metrics.js';
import { MetricsController } from './metrics.controller.js';

@Global()
@Module({
  imports: [AuthModule],
  controllers: [MetricsController],
  providers: [ChatMetrics],
  exports: [ChatMetrics],
})
export class MetricsModule {}
