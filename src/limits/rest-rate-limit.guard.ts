import type { IncomingMessage } from 'node:http';
import { type CanActivate, type ExecutionContext, Injectable, type OnModuleDestroy, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { AppConfig } from '../config/app-config.js';
import { AddressRateLimiter } from './address-rate-limiter.js';
import { clientAddress } from './client-address.js';

/** Which per-address bucket a REST route draws from: the general one unless marked. */
export type RestRateBucketName = 'general' | 'admin' | 'exempt';

const REST_RATE_BUCKET = 'chat:rest-rate-bucket';
const SWEEP_INTERVAL_MS = 10_000;

/**
 * Puts a controller (or one route) in the admin bucket, or exempts it: health and metrics, which
 * orchestrators and Prometheus poll from one address and which must answer under load.
 */
export const RestRateBucket = (bucket: Exclude<RestRateBucketName, 'general'>): ClassDecorator & MethodDecorator =>
  SetMetadata(REST_RATE_BUCKET, bucket);

/**
 * Token buckets per client address (TRUST_PROXY decides what the address is) for REST:
 * REST_RATE_PER_SECOND / REST_RATE_BURST, and ADMIN_REST_RATE_* for admin routes. Past it:
 * 429 RATE_LIMITED with retryAfterMs and Retry-After. Registered once as a global guard, so a
 * new controller is limited without doing anything; it runs before the controllers' auth guards,
 * so refused credentials are counted too. Socket events pass untouched (the compiled gateway
 * path does not run global guards at all; the inbound rate limiter covers sockets).
 */
@Injectable()
export class RestRateLimitGuard implements CanActivate, OnModuleDestroy {
  private readonly general: AddressRateLimiter;
  private readonly admin: AddressRateLimiter;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly reflector: Reflector,
    private readonly config: AppConfig,
  ) {
    this.general = new AddressRateLimiter(config.restRateLimit);
    this.admin = new AddressRateLimiter(config.adminRestRateLimit);
    this.sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const bucket = this.bucketOf(context);
    if (bucket === 'exempt') return true;
    const address = clientAddress(context.switchToHttp().getRequest<IncomingMessage>(), this.config.trustProxy);
    const waitMs = (bucket === 'admin' ? this.admin : this.general).take(address, Date.now());
    if (waitMs === 0) return true;
    throw new AppError(ErrorCode.RATE_LIMITED, 'too many requests from this address, slow down', undefined, waitMs);
  }

  /** Addresses tracked now, per bucket (tests check that idle ones are forgotten). */
  trackedAddresses(): { general: number; admin: number } {
    return { general: this.general.size, admin: this.admin.size };
  }

  sweep(now: number): void {
    this.general.sweep(now);
    this.admin.sweep(now);
  }

  private bucketOf(context: ExecutionContext): RestRateBucketName {
    const marked = this.reflector.getAllAndOverride<RestRateBucketName | undefined>(REST_RATE_BUCKET, [
      context.getHandler(),
      context.getClass(),
    ]);
    return marked ?? 'general';
  }
}
