import 'reflect-metadata';
import { fileURLToPath } from 'node:url';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { ServerOptions } from 'socket.io';
import { AppModule } from './app.module.js';
import { ChatIoAdapter } from './chat/chat-io.adapter.js';
import { AppExceptionFilter } from './common/app-exception.filter.js';
import type { AppConfig } from './config/app-config.js';

/** The demo chat page; public/ sits beside both src/ and dist/, so one relative path serves both. */
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

function socketServerOptions(config: AppConfig): Partial<ServerOptions> {
  return {
    maxHttpBufferSize: config.maxPayloadBytes,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    serveClient: true,
  };
}

/** Builds the application without listening, so tests and main share exactly one setup. */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.useStaticAssets(PUBLIC_DIR);
  app.useGlobalFilters(new AppExceptionFilter());
  app.useWebSocketAdapter(new ChatIoAdapter(app, socketServerOptions(config)));
  app.enableShutdownHooks();
  return app;
}
