import { Module } from '@nestjs/common';
import { AddressConnectionCounter } from './address-connection-counter.js';
import { InboundRateLimiter } from './inbound-rate-limiter.js';
import { SlowConsumerMonitor } from './slow-consumer.monitor.js';

@Module({
  providers: [InboundRateLimiter, AddressConnectionCounter, SlowConsumerMonitor],
  exports: [InboundRateLimiter, AddressConnectionCounter, SlowConsumerMonitor],
})
export class LimitsModule {}
