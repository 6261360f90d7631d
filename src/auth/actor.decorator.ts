import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest } from './rest-auth.guard.js';

/**
 * Who calls an admin route, for the audit log: the admin token's user id, or "admin-api-key".
 * Only on AdminApi controllers, whose AdminGuard sets it before the handler runs.
 */
export const Actor = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const { actor } = context.switchToHttp().getRequest<AuthenticatedRequest>();
  if (actor === undefined) throw new Error('@Actor() is for AdminApi controllers: AdminGuard names the actor');
  return actor;
});
