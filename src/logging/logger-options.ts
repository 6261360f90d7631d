import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { type Logger, pino } from 'pino';
import { type HttpLogger, pinoHttp } from 'pino-http';
import type { AppConfig } from '../config/app-config.js';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Secrets never reach the log: credentials in headers and handshake auth are redacted, and
 * message text is only ever logged at debug level by the code that handles it.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.token',
  '*.adminKey',
  '*.password',
];

const loggers = new WeakMap<AppConfig, Logger>();

/** One pino instance per application: Nest's logger and the HTTP request logger share it. */
export function appLogger(config: AppConfig): Logger {
  let logger = loggers.get(config);
  if (!logger) {
    logger = pino({
      level: config.logLevel,
      base: { node: config.nodeId },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      transport: config.prettyLogs ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    });
    loggers.set(config, logger);
  }
  return logger;
}

/**
 * nestjs-pino routes every Nest `Logger` to pino. Its request middleware is left out on purpose:
 * it binds each request to an AsyncLocalStorage, and on Node 20 an active AsyncLocalStorage puts
 * an async hook on every promise in the process, a cost paid by every socket event too
 * (docs/benchmarks.md: async_hooks in the profiles). Requests are logged by `requestLogger`
 * instead, with their request id.
 */
export function loggerOptions(config: AppConfig): Params {
  return { pinoHttp: { logger: appLogger(config) }, forRoutes: [] };
}

/** Request logs with a request id (`X-Request-Id` honoured when well-formed, else generated). */
export function requestLogger(config: AppConfig): HttpLogger {
  return pinoHttp({
    logger: appLogger(config),
    genReqId: (request: IncomingMessage, response: ServerResponse) => {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
      response.setHeader('X-Request-Id', id);
      return id;
    },
    // Probes, scrapes and socket.io's long-polling requests would drown the log.
    autoLogging: { ignore: (request) => /^\/(health|metrics|socket\.io)/.test(request.url ?? '') },
  });
}
