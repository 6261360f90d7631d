import type { IncomingHttpHeaders } from 'node:http';
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { SocketData } from '../contract.js';
import { Authenticator, bearerToken, secretsEqual } from './credentials.js';

/**
 * identity: the caller's token, where a route narrows what it shows to it. actor: who acts on an
 * admin route (AdminGuard sets it), as the audit log records it.
 */
export type AuthenticatedRequest = Request & { identity?: SocketData; actor?: string };

/** The actor of a call made with ADMIN_API_KEY (an admin token acts as its user id). */
export const API_KEY_ACTOR = 'admin-api-key';

/** Lookup endpoints: open in open mode; a valid Bearer token in JWT mode. */
@Injectable()
export class ReaderGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.config.authMode === 'open') return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!bearerToken(request.headers)) throw AppError.unauthorized('Authorization: Bearer <token> is required');
    request.identity = await this.authenticator.authenticate({ auth: {}, headers: request.headers });
    return true;
  }
}

/**
 * Resolves with the actor when the headers carry admin credentials: ADMIN_API_KEY as `X-Api-Key`
 * or as the Bearer token (for clients that can only send `Authorization`, like a Prometheus
 * scraper), or in JWT mode a Bearer token with role admin. Throws UNAUTHORIZED without them,
 * FORBIDDEN for a non-admin token.
 */
export async function assertAdmin(headers: IncomingHttpHeaders, authenticator: Authenticator, config: AppConfig): Promise<string> {
  if (carriesAdminKey(headers, config)) return API_KEY_ACTOR;
  if (config.authMode === 'jwt' && bearerToken(headers)) {
    const identity = await authenticator.authenticate({ auth: {}, headers });
    if (identity.isAdmin) return identity.user.id;
    throw AppError.forbidden('an admin token is required');
  }
  throw AppError.unauthorized('a valid X-Api-Key header is required');
}

/** ADMIN_API_KEY as `X-Api-Key` or as the Bearer token. */
function carriesAdminKey(headers: IncomingHttpHeaders, config: AppConfig): boolean {
  return secretsEqual(headers['x-api-key'], config.adminApiKey) || secretsEqual(bearerToken(headers), config.adminApiKey);
}

/**
 * Routes about one user (`:id`): admin credentials as for the admin endpoints, or in JWT mode that
 * user's own Bearer token. For the user, request.identity is set (the route narrows what it shows
 * to the token's `rooms` claim); for an admin it is not. Another user's token is FORBIDDEN.
 */
@Injectable()
export class OwnerOrAdminGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const { headers } = request;
    if (carriesAdminKey(headers, this.config)) return true;
    if (this.config.authMode !== 'jwt' || !bearerToken(headers)) {
      throw AppError.unauthorized("a valid X-Api-Key header (or in JWT mode the user's own Bearer token) is required");
    }
    const identity = await this.authenticator.authenticate({ auth: {}, headers });
    if (identity.isAdmin) return true;
    if (identity.user.id !== request.params.id) throw AppError.forbidden('a token may only look up its own user');
    request.identity = identity;
    return true;
  }
}

/** Admin endpoints: ADMIN_API_KEY, or in JWT mode a Bearer token with role admin (see assertAdmin); sets request.actor. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    request.actor = await assertAdmin(request.headers, this.authenticator, this.config);
    return true;
  }
}

/**
 * /metrics: public when METRICS_PUBLIC (the default in open mode), else admin credentials as for
 * the admin endpoints (a scraper sends ADMIN_API_KEY as X-Api-Key or Bearer token, or an admin JWT).
 */
@Injectable()
export class MetricsGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.config.metricsPublic) return true;
    await assertAdmin(context.switchToHttp().getRequest<Request>().headers, this.authenticator, this.config);
    return true;
  }
}
