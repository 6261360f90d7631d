import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AddressConnectionCounter } from './address-connection-counter.js';
import { HandshakeRateLimiter } from './handshake-rate-limiter.js';
import { InboundRateLimiter } from './inbound-rate-limiter.js';
import { RestRateLimitGuard } from './rest-rate-limit.guard.js';
import { SlowConsumerMonitor } from './slow-consumer.monitor.js';

@Module({
  providers: [
    InboundRateLimiter,
    HandshakeRateLimiter,
    AddressConnectionCounter,
    SlowConsumerMonitor,
    RestRateLimitGuard,
    // The one global guard: HTTP only, it lets socket events through (see RestRateLimitGuard).
    { provide: APP_GUARD, useExisting: RestRateLimitGuard },
  ],
  exports: [InboundRateLimiter, HandshakeRateLimiter, AddressConnectionCounter, SlowConsumerMonitor, RestRateLimitGuard],
})
export class LimitsModule {}
