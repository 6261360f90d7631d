import type { INestApplication } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/app-config.js';
import { TEST_LIMITS } from './test-limits.js';

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
  ...TEST_LIMITS,
};

/** Starts the real application on an ephemeral port, exactly as main.ts does. */
export async function startApp(env: Record<string, string | undefined> = {}): Promise<RunningApp> {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const app = await createApp(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
