import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AddressConnectionCounter } from './address-connection-counter.js';
import { InboundRateLimiter } from './inbound-rate-limiter.js';
import { RestRateLimitGuard } from './rest-rate-limit.guard.js';
import { SlowConsumerMonitor } from './slow-consumer.monitor.js';

@Module({
  providers: [
    InboundRateLimiter,
    AddressConnectionCounter,
    SlowConsumerMonitor,
    RestRateLimitGuard,
    // The one global guard: HTTP only, it lets socket events through (see RestRateLimitGuard).
    { provide: APP_GUARD, useExisting: RestRateLimitGuard },
  ],
  exports: [InboundRateLimiter, AddressConnectionCounter, SlowConsumerMonitor, RestRateLimitGuard],
})
export class LimitsModule {}
