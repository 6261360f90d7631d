import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { Authenticator } from '../auth/credentials.js';
import { assertAdmin } from '../auth/rest-auth.guard.js';
import type { AppConfig } from '../config/app-config.js';
import { ErrorSchema } from './api-schemas.js';

export const API_KEY_SCHEME = 'apiKey';
export const BEARER_SCHEME = 'bearer';
/** Where the document is served: the UI (with its assets) and the raw JSON and YAML. */
const DOCS_PATHS = ['/docs', '/docs-json', '/docs-yaml'];

/**
 * Unless DOCS_PUBLIC, every docs path answers only to admin credentials. The document lists every
 * route and its security, a map an attacker need not be handed; express middleware, because
 * SwaggerModule serves these routes outside Nest's guards.
 */
function adminOnly(app: INestApplication, config: AppConfig): (request: Request, response: Response, next: NextFunction) => void {
  const authenticator = app.get(Authenticator);
  return (request, _response, next) => {
    assertAdmin(request.headers, authenticator, config).then(() => next(), next);
  };
}

/** OpenAPI for the REST API, built from the controllers: UI at /docs, JSON at /docs-json. */
export function setUpOpenApi(app: INestApplication, config: AppConfig): void {
  if (!config.docsPublic) app.use(DOCS_PATHS, adminOnly(app, config));
  const document = new DocumentBuilder()
    .setTitle('chat-gateway REST API')
    .setDescription(
      'Room and user lookups, history and admin actions. Errors are { statusCode, code, message, details? }. ' +
        'The socket.io events are described in docs/asyncapi.yaml.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, API_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .build();
  const spec = SwaggerModule.createDocument(app, document, { extraModels: [ErrorSchema] });
  SwaggerModule.setup('docs', app, spec, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
