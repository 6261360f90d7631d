import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import request from 'supertest';
import { type RunningApp, startApp } from '../support/app.js';
import { connect, type TestClient } from '../support/clients.js';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>>;
  components: {
    schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
    securitySchemes: Record<string, unknown>;
  };
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
        '/audit',
        '/health',
        '/health/ready',
        '/metrics',
        '/rooms',
        '/rooms/{name}',
        '/rooms/{name}/bans',
        '/rooms/{name}/bans/{userId}',
        '/rooms/{name}/members',
        '/rooms/{name}/messages',
        '/rooms/{name}/messages/{seq}',
        '/rooms/{name}/mutes',
        '/rooms/{name}/mutes/{userId}',
        '/users',
        '/users/{id}',
        '/users/{id}/connections',
        '/users/{id}/messages',
        '/users/{id}/rooms',
      ].sort(),
    );
    expect(Object.keys(document.paths['/rooms/{name}/messages/{seq}']!)).toEqual(['delete']);
    expect(Object.keys(document.paths['/rooms/{name}/messages']!).sort()).toEqual(['get', 'post']);
    for (const kind of ['bans', 'mutes']) {
      expect(Object.keys(document.paths[`/rooms/{name}/${kind}`]!).sort()).toEqual(['get', 'post']);
      expect(Object.keys(document.paths[`/rooms/{name}/${kind}/{userId}`]!)).toEqual(['delete']);
    }
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
  });

  it('documents the shapes the endpoints really return', async () => {
    const cases: Array<[string, string, string]> = [
      ['/rooms', '/rooms', '200'],
      ['/rooms/{name}', '/rooms/doc-room', '200'],
      ['/rooms/{name}/messages', '/rooms/doc-room/messages', '200'],
      ['/users', '/users', '200'],
      ['/users/{id}', '/users/doc-ada', '200'],
      ['/rooms/{name}/members', '/rooms/doc-room/members', '200'],
      ['/users/{id}/rooms', '/users/doc-ada/rooms', '200'],
    ];
    for (const [path, url, status] of cases) {
      const body = (await request(server.url).get(url).set('X-Api-Key', 'test-admin-key').expect(Number(status))).body as Record<
        string,
        unknown
      >;
      expect(Object.keys(body).sort()).toEqual(documentedKeys(path, 'get', status));
    }
    // The nested shapes too: a message (rev), a membership and a member carry what is documented.
    const schemaKeys = (name: string): string[] => Object.keys(document.components.schemas[name]!.properties ?? {}).sort();
    const rooms = (await request(server.url).get('/users/doc-ada/rooms').set('X-Api-Key', 'test-admin-key').expect(200)).body as {
      rooms: Array<Record<string, unknown>>;
    };
    expect(Object.keys(rooms.rooms[0]!).sort()).toEqual(schemaKeys('MembershipSummarySchema'));
    const members = (await request(server.url).get('/rooms/doc-room/members').expect(200)).body as {
      members: Array<Record<string, unknown>>;
    };
    expect(Object.keys(members.members[0]!).sort()).toEqual(schemaKeys('RoomMemberSchema'));
    const deleted = await request(server.url).delete('/rooms/doc-room/messages/1').set('X-Api-Key', 'test-admin-key').expect(200);
    expect(Object.keys(deleted.body as object)).toEqual(documentedKeys('/rooms/{name}/messages/{seq}', 'delete', '200'));
    const tombstone = (deleted.body as { message: Record<string, unknown> }).message;
    for (const key of Object.keys(tombstone)) expect(schemaKeys('MessageSchema')).toContain(key);
    expect(schemaKeys('MessageSchema')).toEqual(expect.arrayContaining(['rev', 'editedAt', 'deletedAt']));
    // Moderation: the erasure result, an audit page and its entries, a kick with its revocation.
    const erased = await request(server.url).delete('/users/doc-ada/messages').set('X-Api-Key', 'test-admin-key').expect(200);
    expect(Object.keys(erased.body as object).sort()).toEqual(documentedKeys('/users/{id}/messages', 'delete', '200'));
    const kicked = await request(server.url)
      .delete('/users/doc-nobody/connections?revoke=true')
      .set('X-Api-Key', 'test-admin-key')
      .expect(200);
    expect(Object.keys(kicked.body as object).sort()).toEqual(documentedKeys('/users/{id}/connections', 'delete', '200'));
    expect(Object.keys((kicked.body as { revocation: object }).revocation).sort()).toEqual(schemaKeys('UserRevocationSchema'));
    const audit = (await request(server.url).get('/audit').set('X-Api-Key', 'test-admin-key').expect(200)).body as {
      entries: Array<Record<string, unknown>>;
    };
    expect(Object.keys(audit).sort()).toEqual(documentedKeys('/audit', 'get', '200'));
    expect(audit.entries.map((entry) => entry.action)).toEqual(['erase', 'revoke']);
    for (const entry of audit.entries) expect(Object.keys(entry).sort()).toEqual(schemaKeys('AuditEntrySchema'));
    // Bans and mutes: created (201), replaced (200), listed and lifted, each as documented.
    for (const [kind, one] of [
      ['bans', 'ban'],
      ['mutes', 'mute'],
    ] as const) {
      const path = `/rooms/doc-room/${kind}`;
      for (const status of [201, 200]) {
        const made = await request(server.url).post(path).set('X-Api-Key', 'test-admin-key').send({ userId: 'doc-bob' }).expect(status);
        expect(Object.keys(made.body as object)).toEqual(documentedKeys(`/rooms/{name}/${kind}`, 'post', String(status)));
        expect(Object.keys((made.body as Record<string, object>)[one]!).sort()).toEqual(schemaKeys('RoomRestrictionSchema'));
      }
      const listed = await request(server.url).get(path).set('X-Api-Key', 'test-admin-key').expect(200);
      expect(Object.keys(listed.body as object).sort()).toEqual(documentedKeys(`/rooms/{name}/${kind}`, 'get', '200'));
      const lifted = await request(server.url).delete(`${path}/doc-bob`).set('X-Api-Key', 'test-admin-key').expect(200);
      expect(Object.keys(lifted.body as object)).toEqual(documentedKeys(`/rooms/{name}/${kind}/{userId}`, 'delete', '200'));
    }
    const notFound = (await request(server.url).get('/rooms/nothing-here').expect(404)).body as Record<string, unknown>;
    const errorKeys = Object.keys(document.components.schemas.ErrorSchema!.properties ?? {});
    for (const key of Object.keys(notFound)) expect(errorKeys).toContain(key);
  });
});

describe('who may read the API documentation (e2e)', () => {
  const ADMIN_KEY = 'docs-admin-key';
  const SECRET = 'docs-suite-hs256-secret-0123456789abcdef';
  const DOCS = ['/docs', '/docs/', '/docs/swagger-ui-init.js', '/docs-json', '/docs-yaml'];
  const token = (claims: Record<string, unknown>): Promise<string> =>
    new SignJWT({ exp: Math.floor(Date.now() / 1000) + 600, ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(SECRET));
  const started: RunningApp[] = [];
  const start = async (env: Record<string, string>): Promise<string> => {
    const running = await startApp({ ADMIN_API_KEY: ADMIN_KEY, ...env });
    started.push(running);
    return running.url;
  };

  afterAll(async () => {
    await Promise.all(started.map((running) => running.close()));
  });

  it('in JWT mode serves the UI, its script and the JSON and YAML documents only to an admin', async () => {
    const url = await start({ JWT_SECRET: SECRET });
    const user = `Bearer ${await token({ sub: 'ada' })}`;
    const admin = `Bearer ${await token({ sub: 'boss', role: 'admin' })}`;
    for (const path of DOCS) {
      const anonymous = await request(url).get(path);
      expect({ path, status: anonymous.status, body: anonymous.body }).toMatchObject({ path, status: 401, body: { code: 'UNAUTHORIZED' } });
      expect(anonymous.text).not.toContain('/announcements');
      await request(url).get(path).set('X-Api-Key', 'wrong').expect(401);
      await request(url).get(path).set('Authorization', user).expect(403);
      await request(url)
        .get(path)
        .set('X-Api-Key', ADMIN_KEY)
        .expect((res) => expect([200, 301]).toContain(res.status));
      await request(url)
        .get(path)
        .set('Authorization', admin)
        .expect((res) => expect([200, 301]).toContain(res.status));
    }
    const json = await request(url).get('/docs-json').set('X-Api-Key', ADMIN_KEY).expect(200);
    expect(Object.keys((json.body as OpenApiDocument).paths)).toContain('/announcements');
  });

  it('DOCS_PUBLIC=true opens them in JWT mode; DOCS_PUBLIC=false closes them in open mode', async () => {
    const jwtPublic = await start({ JWT_SECRET: SECRET, DOCS_PUBLIC: 'true' });
    for (const path of ['/docs', '/docs-json', '/docs-yaml']) await request(jwtPublic).get(path).expect(200);
    const openPrivate = await start({ DOCS_PUBLIC: 'false' });
    await request(openPrivate).get('/docs-json').expect(401);
    await request(openPrivate).get('/docs-json').set('X-Api-Key', ADMIN_KEY).expect(200);
  });
});
