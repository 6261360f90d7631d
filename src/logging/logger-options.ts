import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
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

export function loggerOptions(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      base: { node: config.nodeId },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      transport: config.prettyLogs ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      genReqId: (request: IncomingMessage, response: ServerResponse) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
        response.setHeader('X-Request-Id', id);
        return id;
      },
      // Probes, scrapes and socket.io's long-polling requests would drown the log.
      autoLogging: { ignore: (request) => /^\/(health|metrics|socket\.io)/.test(request.url ?? '') },
    },
  };
}
