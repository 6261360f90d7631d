import { afterEach, expect, it } from '@jest/globals';
import request from 'supertest';
import type { AuditEntry, AuditPage } from '../../src/contract.js';
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX } from '../../src/moderation/audit.service.js';
import { describeEachDurableDatabase } from '../persistence/support/databases.js';
import { HS_SECRET, sign } from '../security/support/tokens.js';
import { detailFields } from '../support/acks.js';
import { type RunningApp, startApp } from '../support/app.js';
import { ADMIN_KEY } from '../support/suite.js';

const admin = { 'X-Api-Key': ADMIN_KEY };

describeEachDurableDatabase('audit log, GET /audit (e2e)', (database) => {
  const apps: RunningApp[] = [];

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function start(env: Record<string, string> = {}): Promise<RunningApp> {
    const app = await startApp({ DATABASE_URL: await database.freshUrl(), ...env });
    apps.push(app);
    return app;
  }

  async function page(app: RunningApp, query: Record<string, string | number>): Promise<AuditPage> {
    return (await request(app.url).get('/audit').query(query).set(admin).expect(200)).body as AuditPage;
  }

  it(`pages oldest first by id: ${AUDIT_PAGE_DEFAULT} by default, up to ${AUDIT_PAGE_MAX}, next null on the last page`, async () => {
    const app = await start();
    const total = AUDIT_PAGE_DEFAULT + 3;
    for (let i = 0; i < total; i += 1) {
      const target = i % 2 === 0 ? `/users/u${i}/messages` : `/users/u${i}/connections?revoke=true`;
      await request(app.url).delete(target).set(admin).expect(200);
    }
    const first = await page(app, {});
    expect(first.entries).toHaveLength(AUDIT_PAGE_DEFAULT);
    expect(first.next).toBe(first.entries.at(-1)!.id);
    const rest = await page(app, { after: first.next! });
    expect(rest.next).toBeNull();
    const all: AuditEntry[] = [...first.entries, ...rest.entries];
    expect(all.map((entry) => entry.userId)).toEqual(Array.from({ length: total }, (_, i) => `u${i}`));
    expect(all.map((entry) => entry.action)).toEqual(Array.from({ length: total }, (_, i) => (i % 2 === 0 ? 'erase' : 'revoke')));
    const ids = all.map((entry) => entry.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(total);
    expect(all.every((entry) => entry.actor === 'admin-api-key' && entry.room === null)).toBe(true);

    expect(await page(app, { limit: AUDIT_PAGE_MAX })).toEqual({ entries: all, next: null });
    const two = await page(app, { after: ids[4]!, limit: 2 });
    expect(two).toEqual({ entries: all.slice(5, 7), next: ids[6] });
    expect(await page(app, { after: ids.at(-1)!, limit: 2 })).toEqual({ entries: [], next: null });
    expect(await page(app, { after: '', limit: 1 })).toEqual({ entries: all.slice(0, 1), next: ids[0] });
  });

  it('lists bans, mutes, their lifting, erasures and revocations in order, each with who, whom, where and what', async () => {
    const app = await start();
    const ban = (
      await request(app.url).post('/rooms/aud/bans').set(admin).send({ userId: 'mallory', reason: 'spam', seconds: 60 }).expect(201)
    ).body.ban as { createdAt: string; until: string };
    const mute = (await request(app.url).post('/rooms/aud/mutes').set(admin).send({ userId: 'eve' }).expect(201)).body.mute as {
      createdAt: string;
    };
    await request(app.url).delete('/rooms/aud/mutes/eve').set(admin).expect(200);
    await request(app.url).delete('/rooms/aud/bans/mallory').set(admin).expect(200);
    await request(app.url).delete('/users/mallory/messages').set(admin).expect(200);
    const { revocation } = (await request(app.url).delete('/users/mallory/connections?revoke=true&seconds=5').set(admin).expect(200))
      .body as { revocation: { revokedAt: string; blockedUntil: string } };
    const { entries, next } = await page(app, {});
    expect(next).toBeNull();
    const common = { id: expect.any(Number), at: expect.any(String), actor: 'admin-api-key' };
    expect(entries).toEqual([
      { ...common, at: ban.createdAt, action: 'ban', userId: 'mallory', room: 'aud', details: { reason: 'spam', until: ban.until } },
      { ...common, at: mute.createdAt, action: 'mute', userId: 'eve', room: 'aud', details: { reason: null, until: null } },
      { ...common, action: 'unmute', userId: 'eve', room: 'aud', details: {} },
      { ...common, action: 'unban', userId: 'mallory', room: 'aud', details: {} },
      { ...common, action: 'erase', userId: 'mallory', room: null, details: { roomMessages: 0, directMessages: 0 } },
      {
        ...common,
        at: revocation.revokedAt,
        action: 'revoke',
        userId: 'mallory',
        room: null,
        details: { revokedAt: revocation.revokedAt, blockedUntil: revocation.blockedUntil },
      },
    ]);
  });

  it('refuses bad paging with 400 and details, and anyone but an admin', async () => {
    const app = await start({ JWT_SECRET: HS_SECRET });
    const cases: Array<[Record<string, string>, string]> = [
      [{ limit: '0' }, 'limit'],
      [{ limit: String(AUDIT_PAGE_MAX + 1) }, 'limit'],
      [{ limit: 'many' }, 'limit'],
      [{ limit: '2.5' }, 'limit'],
      [{ after: '-1' }, 'after'],
      [{ after: '1.5' }, 'after'],
      [{ after: 'abc' }, 'after'],
      [{ before: '3' }, 'before'],
    ];
    for (const [query, field] of cases) {
      const res = await request(app.url).get('/audit').query(query).set(admin).expect(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(detailFields(res.body)).toEqual([field]);
    }
    await request(app.url).get('/audit').expect(401);
    await request(app.url)
      .get('/audit')
      .set('Authorization', `Bearer ${await sign({ sub: 'ada' }, HS_SECRET)}`)
      .expect(403);
    const boss = await sign({ sub: 'boss', role: 'admin' }, HS_SECRET);
    await request(app.url).delete('/users/ada/messages').set('Authorization', `Bearer ${boss}`).expect(200);
    const { entries } = (await request(app.url).get('/audit').set('Authorization', `Bearer ${boss}`).expect(200)).body as AuditPage;
    expect(entries).toEqual([
      {
        id: expect.any(Number),
        at: expect.any(String),
        actor: 'boss',
        action: 'erase',
        userId: 'ada',
        room: null,
        details: { roomMessages: 0, directMessages: 0 },
      },
    ]);
  });
});
