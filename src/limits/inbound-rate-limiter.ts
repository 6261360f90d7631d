import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { ErrorCode } from '../common/error-code.js';
import { AppConfig } from '../config/app-config.js';
import type { ErrorBody, SocketData } from '../contract.js';
import { TokenBucket } from './token-bucket.js';

/**
 * A socket sending FLOOD_FACTOR x its allowed rate for a whole window collects about
 * (FLOOD_FACTOR - 1) x rate x window refusals; it is cut off at 90% of that (slack for timers).
 */
const FLOOD_WINDOW_MS = 10_000;
const FLOOD_FACTOR = 5;
const FLOOD_SLACK = 0.9;
const SWEEP_INTERVAL_MS = 60_000;

interface UserBuckets {
  events: TokenBucket;
  typing: TokenBucket;
  lastSeen: number;
}

interface FloodWindow {
  startedAt: number;
  refused: number;
}

export type RateDecision = ErrorBody | 'drop' | undefined;

/**
 * Per-user token buckets for inbound events (per node: a user's sockets on one node share them).
 * Refused events are answered RATE_LIMITED with retryAfterMs; `typing` has its own lower limit
 * and is dropped silently past it; a socket that keeps flooding (refused or dropped events alike)
 * is disconnected.
 */
@Injectable()
export class InboundRateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(InboundRateLimiter.name);
  private readonly buckets = new Map<string, UserBuckets>();
  private readonly floods = new WeakMap<Socket, FloodWindow>();
  private readonly floodThreshold: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {
    this.floodThreshold = FLOOD_SLACK * (FLOOD_FACTOR - 1) * config.eventRateLimit.perSecond * (FLOOD_WINDOW_MS / 1000);
    this.sweeper = setInterval(() => this.forgetIdle(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  check(socket: Socket, event: string): RateDecision {
    const now = Date.now();
    const buckets = this.bucketsOf((socket.data as SocketData).user.id, now);
    if (event === 'typing') {
      if (buckets.typing.take(now) === 0) return undefined;
      // Dropped silently, but still counted: a typing flood is a flood.
      this.countRefusal(socket, now);
      return 'drop';
    }
    const waitMs = buckets.events.take(now);
    if (waitMs === 0) return undefined;
    this.countRefusal(socket, now);
    return { code: ErrorCode.RATE_LIMITED, message: 'too many events, slow down', retryAfterMs: waitMs };
  }

  private bucketsOf(userId: string, now: number): UserBuckets {
    let buckets = this.buckets.get(userId);
    if (!buckets) {
      const { eventRateLimit: events, typingRateLimit: typing } = this.config;
      buckets = {
        events: new TokenBucket(events.perSecond, events.burst, now),
        typing: new TokenBucket(typing.perSecond, typing.burst, now),
        lastSeen: now,
      };
      this.buckets.set(userId, buckets);
    }
    buckets.lastSeen = now;
    return buckets;
  }

  private countRefusal(socket: Socket, now: number): void {
    let window = this.floods.get(socket);
    if (!window || now - window.startedAt > FLOOD_WINDOW_MS) {
      window = { startedAt: now, refused: 0 };
      this.floods.set(socket, window);
    }
    window.refused += 1;
    if (window.refused > this.floodThreshold) {
      this.logger.warn({ socketId: socket.id, userId: (socket.data as SocketData).user.id }, 'disconnecting a flooding socket');
      this.floods.delete(socket);
      socket.disconnect(true);
    }
  }

  private forgetIdle(now: number): void {
    for (const [userId, buckets] of this.buckets) {
      if (now - buckets.lastSeen > SWEEP_INTERVAL_MS && buckets.events.isFull(now)) this.buckets.delete(userId);
    }
  }
}
