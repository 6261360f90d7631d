import { describe, expect, it } from '@jest/globals';
import type { AnnounceResult } from '../../src/contract.js';
import { detailFields, ErrorCode, failure } from '../support/acks.js';
import { ADMIN_KEY, e2eApp } from '../support/suite.js';

describe('typing (e2e)', () => {
  const server = e2eApp();

  it('acks {} and tells the other users in the room, nobody else', async () => {
    const ada = await server.connect('ada');
    const adaOtherTab = await server.connect('ada');
    const bob = await server.connect('bob');
    const outsider = await server.connect('carol');
    for (const c of [ada, adaOtherTab, bob]) await c.ok('room:join', { room: 't1' });
    expect(await ada.ok('typing', { room: 't1', typing: true })).toEqual({});
    await expect(bob.waitFor('typing')).resolves.toEqual({ room: 't1', user: { id: 'ada', name: 'ada' }, typing: true });
    expect(await ada.ok('typing', { room: 't1', typing: false })).toEqual({});
    await expect(bob.waitFor('typing', 2)).resolves.toEqual({ room: 't1', user: { id: 'ada', name: 'ada' }, typing: false });
    await Promise.all([ada, adaOtherTab, bob, outsider].map((c) => c.barrier()));
    expect(bob.events('typing')).toHaveLength(2);
    expect(ada.events('typing')).toEqual([]);
    expect(adaOtherTab.events('typing')).toEqual([]);
    expect(outsider.events('typing')).toEqual([]);
  });

  it('refuses typing in a room the socket has not joined', async () => {
    const ada = await server.connect('ada');
    const otherTab = await server.connect('ada');
    const bob = await server.connect('bob');
    await otherTab.ok('room:join', { room: 't2' });
    await bob.ok('room:join', { room: 't2' });
    const error = failure(await ada.request('typing', { room: 't2', typing: true }), ErrorCode.FORBIDDEN);
    expect(error.message).toBe('join t2 before typing in it');
    failure(await ada.request('typing', { room: 'user:ada', typing: true }), ErrorCode.FORBIDDEN);
    await bob.barrier();
    expect(bob.events('typing')).toEqual([]);
  });

  it('refuses a non-boolean typing and a spoofed user', async () => {
    const ada = await server.connect('ada');
    await ada.ok('room:join', { room: 't3' });
    const error = failure(
      await ada.request('typing', { room: 't3', typing: 'yes', user: { id: 'bob', name: 'bob' } }),
      ErrorCode.VALIDATION_FAILED,
    );
    expect(detailFields(error)).toEqual(['user']);
    const typeError = failure(await ada.request('typing', { room: 't3', typing: 'yes' }), ErrorCode.VALIDATION_FAILED);
    expect(detailFields(typeError)).toEqual(['typing']);
  });
});

describe('announce (e2e)', () => {
  const server = e2eApp({ MAX_MESSAGE_LENGTH: '30' });

  it('reaches every connected socket once, the sender included', async () => {
    const admin = await server.connect('root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
    const adminOtherTab = await server.connect('root');
    const ada = await server.connect('ada');
    const bobTab1 = await server.connect('bob');
    const bobTab2 = await server.connect('bob');
    await ada.ok('room:join', { room: 'somewhere' });
    const { announcement } = await admin.ok<AnnounceResult>('announce', { text: 'restart at noon' });
    expect(announcement).toEqual({
      id: expect.any(String),
      from: { id: 'root', name: 'root' },
      text: 'restart at noon',
      sentAt: expect.any(String),
    });
    const everyone = [admin, adminOtherTab, ada, bobTab1, bobTab2];
    for (const client of everyone) await expect(client.waitFor('announcement')).resolves.toEqual(announcement);
    await Promise.all(everyone.map((c) => c.barrier()));
    expect(everyone.map((c) => c.events('announcement').length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('refuses non-admin connections with FORBIDDEN and sends nothing', async () => {
    const ada = await server.connect('ada');
    const bob = await server.connect('bob');
    const error = failure(await ada.request('announce', { text: 'hear me' }), ErrorCode.FORBIDDEN);
    expect(error.message).toBe('announce needs an admin connection');
    await bob.barrier();
    expect(bob.events('announcement')).toEqual([]);
  });

  it.each([
    [{ text: '  ' }, 'text must not be blank'],
    [{ text: 'w'.repeat(31) }, 'text must be at most 30 characters'],
  ])('refuses %j with VALIDATION_FAILED', async (payload, why) => {
    const admin = await server.connect('root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
    const error = failure(await admin.request('announce', payload), ErrorCode.VALIDATION_FAILED);
    expect(error.details).toEqual([{ field: 'text', messages: [why] }]);
  });

  it('refuses a forged from', async () => {
    const admin = await server.connect('root', { auth: { username: 'root', adminKey: ADMIN_KEY } });
    const error = failure(
      await admin.request('announce', { text: 'x', from: { id: 'system', name: 'system' } }),
      ErrorCode.VALIDATION_FAILED,
    );
    expect(detailFields(error)).toEqual(['from']);
  });
});

describe('announce without ADMIN_API_KEY (e2e)', () => {
  const server = e2eApp({ ADMIN_API_KEY: undefined });

  it.each(['', 'undefined', 'test-admin-key'])('makes no connection admin, whatever adminKey (%j) it sends', async (adminKey) => {
    const client = await server.connect('root', { auth: { username: 'root', adminKey } });
    failure(await client.request('announce', { text: 'hi' }), ErrorCode.FORBIDDEN);
  });
});
