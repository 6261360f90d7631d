import { applyDecorators, SetMetadata, type Type, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorSchema } from '../docs/api-schemas.js';
import { API_KEY_SCHEME, BEARER_SCHEME } from '../docs/openapi.js';
import { RestRateBucket, RestRateLimitGuard } from '../limits/rest-rate-limit.guard.js';
import { AdminGuard, MetricsGuard, OwnerOrAdminGuard, ReaderGuard } from './rest-auth.guard.js';

/**
 * Who may call a REST controller and how often, with its OpenAPI description, declared once per
 * controller with one of the decorators below. Every controller must carry one (start-up fails
 * otherwise, see assertRestAccessDeclared): that is how a new controller gets authentication and
 * a rate limit. One per controller: routes needing another access go in another controller (guards
 * of a class and of its methods add up, so a route cannot narrow its controller's).
 *
 * The rate limit is a guard on the controller, listed before the auth guard (so refused
 * credentials spend the bucket too), not a global guard: socket events run through direct calls
 * that cannot apply global guards, and start-up refuses any (see compileGateway).
 * Modules with AdminApi or ReaderApi controllers import LimitsModule and AuthModule.
 */
export type RestAccess = 'admin' | 'owner-or-admin' | 'reader' | 'operations' | 'metrics';

const REST_ACCESS = 'chat:rest-access';

function declare(access: RestAccess, ...decorators: Array<ClassDecorator | MethodDecorator>): ClassDecorator {
  return applyDecorators(SetMetadata(REST_ACCESS, access), ...decorators);
}

/** Admin routes: ADMIN_API_KEY or an admin token (AdminGuard), in the admin rate bucket. */
export const AdminApi = (): ClassDecorator =>
  declare(
    'admin',
    RestRateBucket('admin'),
    UseGuards(RestRateLimitGuard, AdminGuard),
    ApiSecurity(API_KEY_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiUnauthorizedResponse({ type: ErrorSchema, description: 'missing or wrong X-Api-Key (or admin token in JWT mode)' }),
    ApiForbiddenResponse({ type: ErrorSchema, description: 'JWT mode: a token without role admin' }),
    ApiTooManyRequestsResponse({
      type: ErrorSchema,
      description: 'past ADMIN_REST_RATE_PER_SECOND / ADMIN_REST_RATE_BURST for this client address; Retry-After says when to retry',
    }),
  );

/**
 * Routes about one user (`/users/:id/...`): admin credentials, or in JWT mode that user's own
 * Bearer token (OwnerOrAdminGuard), in the admin rate bucket (the admin key is checked here too).
 */
export const OwnerOrAdminApi = (): ClassDecorator =>
  declare(
    'owner-or-admin',
    RestRateBucket('admin'),
    UseGuards(RestRateLimitGuard, OwnerOrAdminGuard),
    ApiSecurity(API_KEY_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiUnauthorizedResponse({ type: ErrorSchema, description: "no admin credentials (in JWT mode: nor the user's own token)" }),
    ApiForbiddenResponse({ type: ErrorSchema, description: "JWT mode: another user's token without role admin" }),
    ApiTooManyRequestsResponse({
      type: ErrorSchema,
      description: 'past ADMIN_REST_RATE_PER_SECOND / ADMIN_REST_RATE_BURST for this client address; Retry-After says when to retry',
    }),
  );

/** Lookups and history: open in open mode, a valid Bearer token in JWT mode (ReaderGuard), in the general rate bucket. */
export const ReaderApi = (): ClassDecorator =>
  declare(
    'reader',
    UseGuards(RestRateLimitGuard, ReaderGuard),
    ApiBearerAuth(BEARER_SCHEME),
    ApiUnauthorizedResponse({ type: ErrorSchema, description: 'JWT mode without a valid Bearer token' }),
    ApiTooManyRequestsResponse({
      type: ErrorSchema,
      description: 'past REST_RATE_PER_SECOND / REST_RATE_BURST for this client address; Retry-After says when to retry',
    }),
  );

/**
 * Liveness and readiness: open and never rate limited, because orchestrators poll them from one
 * address and they must answer under load.
 */
export const OperationsApi = (): ClassDecorator => declare('operations');

/** /metrics: never rate limited (Prometheus scrapes from one address); admin credentials unless METRICS_PUBLIC (MetricsGuard). */
export const MetricsApi = (): ClassDecorator =>
  declare(
    'metrics',
    UseGuards(MetricsGuard),
    ApiSecurity(API_KEY_SCHEME),
    ApiBearerAuth(BEARER_SCHEME),
    ApiUnauthorizedResponse({ type: ErrorSchema, description: 'unless METRICS_PUBLIC: no X-Api-Key or admin token' }),
    ApiForbiddenResponse({ type: ErrorSchema, description: 'unless METRICS_PUBLIC: a token without role admin' }),
  );

export function restAccessOf(controller: Type): RestAccess | undefined {
  return Reflect.getMetadata(REST_ACCESS, controller) as RestAccess | undefined;
}

/** Fails start-up when a controller declares no access: its routes would have no auth and no rate limit. */
export function assertRestAccessDeclared(controllers: Iterable<Type>): void {
  const undeclared = [...controllers].filter((controller) => restAccessOf(controller) === undefined).map((controller) => controller.name);
  if (undeclared.length === 0) return;
  throw new Error(
    `REST controllers without AdminApi, OwnerOrAdminApi, ReaderApi, OperationsApi or MetricsApi (src/auth/rest-access.ts): ${undeclared.join(', ')}`,
  );
}
