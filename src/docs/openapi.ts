import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ErrorSchema } from './api-schemas.js';

export const API_KEY_SCHEME = 'apiKey';
export const BEARER_SCHEME = 'bearer';

/** OpenAPI for the REST API, built from the controllers: UI at /docs, JSON at /docs-json. */
export function setUpOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('chat-gateway REST API')
    .setDescription(
      'Room and user lookups, history and admin actions. Errors are { statusCode, code, message, details? }. ' +
        'The socket.io events are described in docs/asyncapi.yaml.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, API_KEY_SCHEME)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorSchema] });
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
