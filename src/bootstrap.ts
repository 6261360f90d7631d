import 'reflect-metadata';
import type { IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type INestApplication, Logger as NestLogger, type Type } from '@nestjs/common';
import { DiscoveryService, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import type { ServerOptions } from 'socket.io';
import { AppModule } from './app.module.js';
import { serveAdminUi } from './admin-ui/admin-ui.js';
import { assertRestAccessDeclared } from './auth/rest-access.js';
import { ChatIoAdapter } from './chat/chat-io.adapter.js';
import { CHAT_EVENTS, ChatGateway } from './chat/chat.gateway.js';
import { compileGateway } from './chat/compiled-gateway.js';
import { setUpOpenApi } from './docs/openapi.js';
import { ChatInboundPolicy } from './chat/inbound-event.policy.js';
import { AddressConnectionCounter } from './limits/address-connection-counter.js';
import { isOriginAllowed } from './limits/origin-policy.js';
import { requestLogger } from './logging/logger-options.js';
import { clusterAdapter } from './redis/cluster-adapter.js';
import { RedisConnections } from './redis/redis-connections.js';
import { AppExceptionFilter } from './common/app-exception.filter.js';
import { useBodyParsers } from './common/json-bodies.js';
import type { AppConfig } from './config/app-config.js';

/** The demo chat page; public/ sits beside both src/ and dist/, so one relative path serves both. */
const PUBLIC_DIR = fileURLToPath(new URL('../public', import.meta.url));

/**
 * CORS does not protect WebSocket upgrades, so the origin allow-list is also enforced on every
 * engine.io handshake request (polling and websocket) through allowRequest, together with the
 * per-address connection cap.
 */
function socketServerOptions(config: AppConfig, addresses: AddressConnectionCounter): Partial<ServerOptions> {
  return {
    maxHttpBufferSize: config.maxPayloadBytes,
    pingInterval: config.pingIntervalMs,
    pingTimeout: config.pingTimeoutMs,
    serveClient: true,
    cors: { origin: config.corsOrigins ?? true, credentials: true },
    allowRequest: (request, callback) => {
      if (!isOriginAllowed(request.headers, config.corsOrigins, config.production)) return callback('origin not allowed', false);
      if (!addresses.admits(request)) return callback('too many connections from this address', false);
      callback(null, true);
    },
  };
}

/** What the CORS callback answers per request (a subset of the cors package's options). */
interface RestCorsOptions {
  origin: boolean;
  credentials: boolean;
}

function enableRestCors(app: INestApplication, config: AppConfig): void {
  if (config.production && config.corsOrigins === undefined) {
    new NestLogger('Origins').warn(
      "NODE_ENV=production without CORS_ORIGINS: browser pages are refused (this server's own demo page included); " +
        'set CORS_ORIGINS to the origins that may connect, e.g. CORS_ORIGINS=https://chat.example.com,https://app.example.com',
    );
  }
  app.enableCors((request: IncomingMessage, callback: (error: Error | null, options: RestCorsOptions) => void) => {
    callback(null, { origin: isOriginAllowed(request.headers, config.corsOrigins, config.production), credentials: true });
  });
}

/** Builds the application without listening, so tests and main share exactly one setup. */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  assertRestAccessDeclared(
    app
      .get(DiscoveryService)
      .getControllers()
      .flatMap(({ metatype }) => (metatype ? [metatype as Type] : [])),
  );
  app.disable('x-powered-by');
  app.use(requestLogger(config));
  useBodyParsers(app);
  app.useStaticAssets(PUBLIC_DIR);
  app.useGlobalFilters(new AppExceptionFilter());
  enableRestCors(app, config);
  setUpOpenApi(app, config);
  serveAdminUi(app, config);
  const redis = app.get(RedisConnections);
  await redis.ready();
  const ioOptions = {
    ...socketServerOptions(config, app.get(AddressConnectionCounter)),
    ...clusterAdapter(redis, config.redisPrefix),
  };
  // Socket events run through direct calls built from the gateway's event table, which cannot
  // apply global pipes, guards or interceptors: start-up fails if any is registered (see compileGateway).
  const compile = () => compileGateway(app, app.get(ChatGateway), CHAT_EVENTS);
  app.useWebSocketAdapter(new ChatIoAdapter(app, ioOptions, app.get(ChatInboundPolicy), compile));
  return app;
}
