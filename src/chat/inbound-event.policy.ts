import { Injectable } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { ErrorCode } from '../common/error-code.js';
import type { ErrorBody } from '../contract.js';
import { InboundRateLimiter } from '../limits/inbound-rate-limiter.js';
import type { InboundEventPolicy } from './chat-io.adapter.js';

/** What the chat adapter asks before and after every inbound event. */
@Injectable()
export class ChatInboundPolicy implements InboundEventPolicy {
  constructor(private readonly rateLimiter: InboundRateLimiter) {}

  admit(socket: Socket, event: string): ErrorBody | 'drop' | undefined {
    return this.rateLimiter.check(socket, event);
  }

  settled(_event: string, _outcome: 'ok' | ErrorCode, _startedAt: bigint): void {}
}
