import type { IncomingMessage } from 'node:http';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { clientAddress } from './client-address.js';
import { TokenBucket } from './token-bucket.js';

const SWEEP_INTERVAL_MS = 10_000;

/**
 * socket.io handshakes per client address (per node), as a token bucket per address: a client
 * cycling connections cannot make the node authenticate, register presence and fan presence out
 * at will. The address is taken by the same rule as the connection cap (TRUST_PROXY).
 */
@Injectable()
export class HandshakeRateLimiter implements OnModuleDestroy {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {
    this.sweeper = setInterval(() => this.forgetFull(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Takes one handshake for the request's address: 0 when granted, else the milliseconds to wait. */
  take(request: IncomingMessage, now = Date.now()): number {
    const address = clientAddress(request, this.config.trustProxy);
    let bucket = this.buckets.get(address);
    if (!bucket) {
      const { perSecond, burst } = this.config.handshakeRateLimit;
      bucket = new TokenBucket(perSecond, burst, now);
      this.buckets.set(address, bucket);
    }
    return bucket.take(now);
  }

  /** Addresses currently remembered (each holds a bucket that has not refilled yet). */
  get trackedAddresses(): number {
    return this.buckets.size;
  }

  /**
   * A full bucket behaves exactly like a new one, so forgetting it loses nothing: the map only
   * holds addresses that handshook within the time a bucket takes to refill, plus one sweep.
   */
  forgetFull(now: number): void {
    for (const [address, bucket] of this.buckets) {
      if (bucket.isFull(now)) this.buckets.delete(address);
    }
  }
}
