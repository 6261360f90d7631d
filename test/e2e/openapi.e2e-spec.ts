import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { type RunningApp, startApp } from '../support/app.js';
import { connect, type TestClient } from '../support/clients.js';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>; securitySchemes: Record<string, unknown> };
}

describe('OpenAPI document (e2e)', () => {
  let server: RunningApp;
  let document: OpenApiDocument;
  let client: TestClient;

  beforeAll(async () => {
    server = await startApp();
    document = (await request(server.url).get('/docs-json').expect(200)).body as OpenApiDocument;
    client = await connect(server.url, 'doc-ada');
    await client.ok('room:join', { room: 'doc-room' });
    await client.ok('message:send', { room: 'doc-room', text: 'documented' });
  });

  afterAll(async () => {
    client.close();
    await server.close();
  });

  /** Property names of the schema a path+method documents for a status. */
  function documentedKeys(path: string, method: string, status: string): string[] {
    const ref = document.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema.$ref;
    expect(ref).toBeDefined();
    const schema = document.components.schemas[ref!.split('/').pop()!]!;
    return Object.keys(schema.properties ?? {}).sort();
  }

  it('serves the UI and documents every REST route with both security schemes', async () => {
    await request(server.url).get('/docs').expect(200);
    expect(Object.keys(document.paths).sort()).toEqual(
      [
        '/announcements',
        '/health',
        '/health/ready',
        '/metrics',
        '/rooms',
        '/rooms/{name}',
        '/rooms/{name}/messages',
        '/users',
        '/users/{id}',
        '/users/{id}/connections',
      ].sort(),
    );
    expect(Object.keys(document.paths['/rooms/{name}/messages']!).sort()).toEqual(['get', 'post']);
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
  });

  it('documents the shapes the endpoints really return', async () => {
    const cases: Array<[string, string, string]> = [
      ['/rooms', '/rooms', '200'],
      ['/rooms/{name}', '/rooms/doc-room', '200'],
      ['/rooms/{name}/messages', '/rooms/doc-room/messages', '200'],
      ['/users', '/users', '200'],
      ['/users/{id}', '/users/doc-ada', '200'],
    ];
    for (const [path, url, status] of cases) {
      const body = (await request(server.url).get(url).expect(Number(status))).body as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(documentedKeys(path, 'get', status));
    }
    const notFound = (await request(server.url).get('/rooms/nothing-here').expect(404)).body as Record<string, unknown>;
    const errorKeys = Object.keys(document.components.schemas.ErrorSchema!.properties ?? {});
    for (const key of Object.keys(notFound)) expect(errorKeys).toContain(key);
  });
});
