import type { IncomingMessage } from 'node:http';
import { type CanActivate, type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { type RestRateBucketName, RestRateLimiter } from './rest-rate-limiter.js';

const REST_RATE_BUCKET = 'chat:rest-rate-bucket';

/** Puts a controller (or one route) in the admin bucket (see AdminApi). */
export const RestRateBucket = (bucket: RestRateBucketName): ClassDecorator & MethodDecorator => SetMetadata(REST_RATE_BUCKET, bucket);

/**
 * Past the route's per-address bucket: 429 RATE_LIMITED with retryAfterMs and Retry-After.
 * Controllers get it through AdminApi / ReaderApi (src/auth/rest-access.ts), listed before the
 * auth guard so that refused credentials are counted too.
 */
@Injectable()
export class RestRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RestRateLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const bucket =
      this.reflector.getAllAndOverride<RestRateBucketName | undefined>(REST_RATE_BUCKET, [context.getHandler(), context.getClass()]) ??
      'general';
    const waitMs = this.limiter.take(bucket, context.switchToHttp().getRequest<IncomingMessage>(), Date.now());
    if (waitMs === 0) return true;
    throw new AppError(ErrorCode.RATE_LIMITED, 'too many requests from this address, slow down', undefined, waitMs);
  }
}
