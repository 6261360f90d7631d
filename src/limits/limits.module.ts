import { Module } from '@nestjs/common';
import { AddressConnectionCounter } from './address-connection-counter.js';
import { HandshakeRateLimiter } from './handshake-rate-limiter.js';
import { InboundRateLimiter } from './inbound-rate-limiter.js';
import { SlowConsumerMonitor } from './slow-consumer.monitor.js';

@Module({
  providers: [InboundRateLimiter, HandshakeRateLimiter, AddressConnectionCounter, SlowConsumerMonitor],
  exports: [InboundRateLimiter, HandshakeRateLimiter, AddressConnectionCounter, SlowConsumerMonitor],
})
export class LimitsModule {}
