import type { IncomingMessage } from 'node:http';
import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { AddressRateLimiter } from './address-rate-limiter.js';
import { clientAddress } from './client-address.js';

/** Which per-address bucket a REST route draws from: the general one unless marked admin. */
export type RestRateBucketName = 'general' | 'admin';

const SWEEP_INTERVAL_MS = 10_000;

/**
 * Token buckets per client address (TRUST_PROXY decides what the address is) for REST:
 * REST_RATE_PER_SECOND / REST_RATE_BURST, and ADMIN_REST_RATE_* for admin routes. One per
 * application, shared by the RestRateLimitGuard instances Nest builds for each module that has
 * controllers (Nest builds a guard per module that uses it, so the buckets cannot live in the guard).
 */
@Injectable()
export class RestRateLimiter implements OnModuleDestroy {
  private readonly general: AddressRateLimiter;
  private readonly admin: AddressRateLimiter;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly config: AppConfig) {
    this.general = new AddressRateLimiter(config.restRateLimit);
    this.admin = new AddressRateLimiter(config.adminRestRateLimit);
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  /** Takes a token for the request's client address: 0 when granted, else milliseconds to wait. */
  take(bucket: RestRateBucketName, request: IncomingMessage, now: number): number {
    const address = clientAddress(request, this.config.trustProxy);
    return (bucket === 'admin' ? this.admin : this.general).take(address, now);
  }

  /** Addresses tracked now, per bucket (tests check that idle ones are forgotten). */
  trackedAddresses(): { general: number; admin: number } {
    return { general: this.general.size, admin: this.admin.size };
  }

  sweep(now: number): void {
    this.general.sweep(now);
    this.admin.sweep(now);
  }
}
