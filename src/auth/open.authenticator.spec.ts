import { describe, expect, it } from '@jest/globals';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { OpenAuthenticator } from './open.authenticator.js';

const withKey = new OpenAuthenticator(loadConfig({ ADMIN_API_KEY: 'the-admin-key' }));
const withoutKey = new OpenAuthenticator(loadConfig({}));

function authenticate(auth: Record<string, unknown>, authenticator = withKey): ReturnType<OpenAuthenticator['authenticate']> {
  return authenticator.authenticate({ auth, headers: {} });
}

async function refusal(auth: Record<string, unknown>): Promise<AppError> {
  try {
    await authenticate(auth);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error(`expected ${JSON.stringify(auth)} to be refused`);
}

describe('OpenAuthenticator', () => {
  it.each(['a', 'Ada', 'ada_lovelace', 'a.b-c', '0', 'x'.repeat(32), 'A_1.z-9'])('accepts username %j', async (username) => {
    await expect(authenticate({ username })).resolves.toEqual({ user: { id: username, name: username }, isAdmin: false });
  });

  it('says that a missing username is required', async () => {
    const error = await refusal({});
    expect(error.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(error.message).toBe('auth.username is required');
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(33)],
    ['with a space', 'ada l'],
    ['with a colon', 'user:ada'],
    ['with @', 'ada@example.com'],
    ['non-ASCII', 'adé'],
    ['a number', 42],
    ['null', null],
    ['an array', ['ada']],
    ['an object', { id: 'ada' }],
    ['a newline', 'ada\n'],
  ])('refuses a username that is %s', async (_label, username) => {
    const error = await refusal({ username });
    expect(error.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(error.message).toBe('auth.username must be 1-32 characters of letters, digits, _ . -');
  });

  it.each(['system', 'System', 'SYSTEM'])('refuses the reserved username %j and says so', async (username) => {
    const error = await refusal({ username });
    expect(error.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(error.message).toBe(`auth.username ${username} is reserved`);
  });

  it('accepts names that only contain a reserved id', async () => {
    for (const username of ['systems', 'system_', 'my.system']) {
      await expect(authenticate({ username })).resolves.toMatchObject({ user: { id: username } });
    }
  });

  it('makes the connection an admin only with the exact ADMIN_API_KEY', async () => {
    await expect(authenticate({ username: 'root', adminKey: 'the-admin-key' })).resolves.toMatchObject({ isAdmin: true });
    for (const adminKey of ['the-admin-ke', 'the-admin-key ', 'THE-ADMIN-KEY', '', 1, null, ['the-admin-key']]) {
      await expect(authenticate({ username: 'root', adminKey })).resolves.toMatchObject({ isAdmin: false });
    }
  });

  it('makes nobody admin when ADMIN_API_KEY is unset', async () => {
    for (const adminKey of [undefined, '', 'undefined']) {
      await expect(authenticate({ username: 'root', adminKey }, withoutKey)).resolves.toMatchObject({ isAdmin: false });
    }
  });

  it('ignores other auth fields: identity comes from the username only', async () => {
    await expect(authenticate({ username: 'ada', id: 'root', name: 'Root', isAdmin: true })).resolves.toEqual({
      user: { id: 'ada', name: 'ada' },
      isAdmin: false,
    });
  });
});
