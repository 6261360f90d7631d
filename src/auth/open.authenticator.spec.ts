import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { OpenAuthenticator } from './open.authenticator.js';

const withKey = new OpenAuthenticator(loadConfig({ ADMIN_API_KEY: 'the-admin-key' }));
const withoutKey = new OpenAuthenticator(loadConfig({}));

describe('OpenAuthenticator', () => {
  it('takes the username as id and name', async () => {
    await expect(withKey.authenticate({ auth: { username: 'ada.l-1_x' }, headers: {} })).resolves.toEqual({
      user: { id: 'ada.l-1_x', name: 'ada.l-1_x' },
      isAdmin: false,
    });
  });

  it('grants admin only for the exact configured key', async () => {
    const admin = await withKey.authenticate({ auth: { username: 'root', adminKey: 'the-admin-key' }, headers: {} });
    expect(admin.isAdmin).toBe(true);
    for (const adminKey of ['the-admin-keY', 'the-admin-key ', '', ['the-admin-key'], true]) {
      const user = await withKey.authenticate({ auth: { username: 'root', adminKey }, headers: {} });
      expect(user.isAdmin).toBe(false);
    }
  });

  it('never grants admin when no key is configured', async () => {
    for (const adminKey of [undefined, '', 'undefined']) {
      const user = await withoutKey.authenticate({ auth: { username: 'root', adminKey }, headers: {} });
      expect(user.isAdmin).toBe(false);
    }
  });

  it.each([undefined, '', 'has space', 'a'.repeat(33), 'üñí', 'user:x', 42, ['ada'], { toString: 'ada' }])(
    'refuses username %p as UNAUTHORIZED',
    async (username) => {
      await expect(withKey.authenticate({ auth: { username }, headers: {} })).rejects.toMatchObject({ code: ErrorCode.UNAUTHORIZED });
    },
  );

  it('does not read an Authorization header', async () => {
    await expect(withKey.authenticate({ auth: {}, headers: { authorization: 'Bearer x' } })).rejects.toMatchObject({
      code: ErrorCode.UNAUTHORIZED,
    });
  });
});
