import { Module } from '@nestjs/common';
import { AddressConnectionCounter } from './address-connection-counter.js';
import { HandshakeRateLimiter } from './handshake-rate-limiter.js';
import { InboundRateLimiter } from './inbound-rate-limiter.js';
import { RestRateLimiter } from './rest-rate-limiter.js';
import { SlowConsumerMonitor } from './slow-consumer.monitor.js';

/** Imported by every module whose controllers use AdminApi or ReaderApi: their RestRateLimitGuard needs RestRateLimiter. */
@Module({
  providers: [InboundRateLimiter, HandshakeRateLimiter, AddressConnectionCounter, SlowConsumerMonitor, RestRateLimiter],
  exports: [InboundRateLimiter, HandshakeRateLimiter, AddressConnectionCounter, SlowConsumerMonitor, RestRateLimiter],
})
export class LimitsModule {}
