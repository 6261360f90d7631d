import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { instrument } from '@socket.io/admin-ui';
import bcrypt from 'bcryptjs';
import type { Server } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';

export const ADMIN_UI_PATH = '/admin-ui';

/** The admin UI's static files ship inside the package, next to its package.json. */
function adminUiAssets(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@socket.io/admin-ui/package.json')), 'ui', 'dist');
}

/**
 * socket.io's admin UI, only when ADMIN_UI=true: the page at /admin-ui, the `/admin` namespace
 * behind basic auth from ADMIN_UI_USERNAME / ADMIN_UI_PASSWORD, read-only, in the low-overhead
 * production mode (aggregated figures, no per-event stream).
 */
export function serveAdminUi(app: INestApplication, config: AppConfig): void {
  if (!config.adminUi) return;
  (app as NestExpressApplication).useStaticAssets(adminUiAssets(), { prefix: ADMIN_UI_PATH });
}

export function instrumentAdminUi(server: Server, config: AppConfig): void {
  if (!config.adminUi) return;
  instrument(server, {
    auth: { type: 'basic', username: config.adminUi.username, password: bcrypt.hashSync(config.adminUi.password, 10) },
    mode: 'production',
    readonly: true,
    serverId: config.nodeId,
  });
}
