import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { instrument } from '@socket.io/admin-ui';
import bcrypt from 'bcryptjs';
import type { Server } from 'socket.io';
import type { AppConfig } from '../config/app-config.js';
import { AdminLoginGate } from './admin-login-gate.js';
import { AdminSessions } from './admin-sessions.js';

export const ADMIN_UI_PATH = '/admin-ui';
const ADMIN_NAMESPACE = '/admin';
/**
 * bcrypt's lowest cost. The library insists on a bcrypt hash and compares with it after a login
 * the gate has already checked; the hash never leaves this process, which holds the plain
 * password beside it, so a higher cost would protect nothing and only stall the event loop
 * (bcryptjs yields only every 100 ms) on each admin login.
 */
const BCRYPT_COST = 4;

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
  const sessions = new AdminSessions();
  const gate = new AdminLoginGate(config.adminUi, sessions, config.trustProxy);
  // Namespace middleware runs in registration order: the gate before the library's check.
  server.of(ADMIN_NAMESPACE).use(gate.middleware);
  instrument(server, {
    namespaceName: ADMIN_NAMESPACE,
    auth: { type: 'basic', username: config.adminUi.username, password: bcrypt.hashSync(config.adminUi.password, BCRYPT_COST) },
    store: sessions,
    mode: 'production',
    readonly: true,
    serverId: config.nodeId,
  });
}
