import { Global, Module } from '@nestjs/common';
import { ChatMetrics } from './chat-metrics.js';
import { MetricsController } from './metrics.controller.js';

@Global()
@Module({
  controllers: [MetricsController],
  providers: [ChatMetrics],
  exports: [ChatMetrics],
})
export class MetricsModule {}
