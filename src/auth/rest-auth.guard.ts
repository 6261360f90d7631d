import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { SocketData } from '../contract.js';
import { Authenticator, bearerToken, secretsEqual } from './credentials.js';

export type AuthenticatedRequest = Request & { identity?: SocketData };

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

/** Admin endpoints: `X-Api-Key: ADMIN_API_KEY`, or in JWT mode a Bearer token with role admin. */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (secretsEqual(request.headers['x-api-key'], this.config.adminApiKey)) return true;
    if (this.config.authMode === 'jwt' && bearerToken(request.headers)) {
      const identity = await this.authenticator.authenticate({ auth: {}, headers: request.headers });
      if (identity.isAdmin) return true;
      throw AppError.forbidden('an admin token is required');
    }
    throw AppError.unauthorized('a valid X-Api-Key header is required');
  }
}
