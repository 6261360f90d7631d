import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/app-config.js';

export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

/** Test defaults: in-memory database, quiet logs, limits high enough not to get in the way. */
export const TEST_ENV: Record<string, string> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  DATABASE_URL: 'sqlite::memory:',
  ADMIN_API_KEY: 'test-admin-key',
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_BURST: '100000',
  TYPING_RATE_LIMIT_PER_SECOND: '100000',
  TYPING_RATE_LIMIT_BURST: '100000',
  REST_RATE_PER_SECOND: '100000',
  REST_RATE_BURST: '100000',
  ADMIN_REST_RATE_PER_SECOND: '100000',
  ADMIN_REST_RATE_BURST: '100000',
  MAX_CONNECTIONS_PER_USER: '100',
  ADMIN_UI_LOGIN_FAILURES_PER_MINUTE: '100000',
  HANDSHAKE_RATE_PER_SECOND: '100000',
  HANDSHAKE_RATE_BURST: '100000',
};

/** Starts the real application on an ephemeral port, exactly as main.ts does. */
export async function startApp(env: Record<string, string | undefined> = {}): Promise<RunningApp> {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
