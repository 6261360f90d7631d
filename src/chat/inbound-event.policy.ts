import { Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { ErrorCode } from '../common/error-code.js';
import type { ErrorBody } from '../contract.js';
import { InboundRateLimiter } from '../limits/inbound-rate-limiter.js';
import { ChatMetrics } from '../metrics/chat-metrics.js';
import type { InboundEventPolicy } from './chat-io.adapter.js';

/**
 * What the chat adapter asks before and after every inbound event. Every admitted or refused
 * event is settled exactly once, so admits minus settles is the number of events in flight.
 */
@Injectable()
export class ChatInboundPolicy implements InboundEventPolicy {
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly rateLimiter: InboundRateLimiter,
    private readonly metrics: ChatMetrics,
  ) {}

  admit(socket: Socket, event: string): ErrorBody | 'drop' | undefined {
    this.inFlight += 1;
    const decision = this.rateLimiter.check(socket, event);
    if (decision === 'drop') this.metrics.recordDroppedTyping();
    return decision;
  }

  settled(event: string, outcome: 'ok' | ErrorCode, startedAt: number): void {
    this.inFlight -= 1;
    this.metrics.recordEvent(event, outcome, startedAt);
    if (this.inFlight === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Resolves when no event is being handled (writes included), or after timeoutMs. */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
