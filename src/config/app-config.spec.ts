import { describe, expect, it } from '@jest/globals';
import { AppConfig, ConfigError, loadConfig } from './app-config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config).toBeInstanceOf(AppConfig);
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      adminApiKey: undefined,
      maxMessageLength: 4000,
      historyLimit: 50,
      presenceBroadcast: true,
      presenceGraceMs: 0,
      authMode: 'open',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every contract variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      ADMIN_API_KEY: 'k3y',
      MAX_MESSAGE_LENGTH: '10',
      HISTORY_LIMIT: '0',
      PRESENCE_BROADCAST: 'false',
      LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      adminApiKey: 'k3y',
      maxMessageLength: 10,
      historyLimit: 0,
      presenceBroadcast: false,
      logLevel: 'warn',
    });
  });

  it.each([
    ['0', 0],
    ['65535', 65535],
    [' 42 ', 42],
  ])('accepts PORT=%j', (value, port) => {
    expect(loadConfig({ PORT: value }).port).toBe(port);
  });

  it.each(['localhost', '::', '::1', '0.0.0.0', 'chat-1.internal', '10.0.0.7'])('accepts HOST=%s', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['yes', true],
    ['ON', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['Off', false],
  ])('reads PRESENCE_BROADCAST=%s as %p', (value, expected) => {
    expect(loadConfig({ PRESENCE_BROADCAST: value }).presenceBroadcast).toBe(expected);
  });

  it.each([
    ['0', 0],
    ['5000', 5000],
    ['300000', 300_000],
  ])('accepts PRESENCE_GRACE_MS=%s', (value, graceMs) => {
    expect(loadConfig({ PRESENCE_GRACE_MS: value }).presenceGraceMs).toBe(graceMs);
  });

  it('defaults the handshake rate to 5 per second with a burst of 20 and the polling write timeout to 30 s', () => {
    expect(loadConfig({})).toMatchObject({ handshakeRateLimit: { perSecond: 5, burst: 20 }, pollingWriteTimeoutMs: 30_000 });
    expect(loadConfig({ HANDSHAKE_RATE_PER_SECOND: '2', HANDSHAKE_RATE_BURST: '3', POLLING_WRITE_TIMEOUT_MS: '1000' })).toMatchObject({
      handshakeRateLimit: { perSecond: 2, burst: 3 },
      pollingWriteTimeoutMs: 1000,
    });
  });

  it('caps memberships at 1000 rooms per user unless MAX_MEMBERSHIPS_PER_USER says otherwise', () => {
    expect(loadConfig({}).maxMembershipsPerUser).toBe(1000);
    expect(loadConfig({ MAX_MEMBERSHIPS_PER_USER: '1' }).maxMembershipsPerUser).toBe(1);
    expect(loadConfig({ MAX_MEMBERSHIPS_PER_USER: '1000000' }).maxMembershipsPerUser).toBe(1_000_000);
  });

  it('treats a blank variable as unset', () => {
    expect(loadConfig({ PORT: '  ', ADMIN_API_KEY: '' })).toMatchObject({ port: 3000, adminApiKey: undefined });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', '0x50'],
    ['HOST', 'not a host'],
    ['HOST', 'http://example'],
    ['HOST', 'bad_host!'],
    ['MAX_MESSAGE_LENGTH', '0'],
    ['MAX_MESSAGE_LENGTH', 'lots'],
    ['MAX_MESSAGE_LENGTH', '1e3'],
    ['HISTORY_LIMIT', '-1'],
    ['HISTORY_LIMIT', '101'],
    ['PRESENCE_BROADCAST', 'maybe'],
    ['PRESENCE_GRACE_MS', '-1'],
    ['PRESENCE_GRACE_MS', '300001'],
    ['PRESENCE_GRACE_MS', 'soon'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_LEVEL', 'INFO'],
    ['HANDSHAKE_RATE_PER_SECOND', '0'],
    ['HANDSHAKE_RATE_BURST', '0'],
    ['POLLING_WRITE_TIMEOUT_MS', '999'],
    ['POLLING_WRITE_TIMEOUT_MS', '600001'],
    ['MAX_MEMBERSHIPS_PER_USER', '0'],
    ['MAX_MEMBERSHIPS_PER_USER', '1000001'],
    ['MAX_MEMBERSHIPS_PER_USER', 'many'],
  ])('refuses %s=%j, naming the variable and echoing the value', (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} `));
    expect(problems[0]).toContain(`"${value}"`);
  });

  it('names every bad variable at once, in one error message', () => {
    const env = {
      PORT: 'abc',
      HOST: 'no such host!',
      MAX_MESSAGE_LENGTH: '0',
      HISTORY_LIMIT: '500',
      PRESENCE_BROADCAST: 'sometimes',
      LOG_LEVEL: 'chatty',
    };
    const problems = problemsOf(env);
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(Object.keys(env).sort());
    try {
      loadConfig(env);
    } catch (error) {
      for (const name of Object.keys(env)) expect((error as Error).message).toContain(name);
    }
  });

  it.each([
    ['DATABASE_URL', 'mysql://chat:s3cret-db-pass@db/chat', 's3cret-db-pass'],
    ['REDIS_URL', 'http://:s3cret-redis-pass@cache:6379', 's3cret-redis-pass'],
    ['JWT_SECRET', 'tooshort-s3cret', 'tooshort-s3cret'],
  ])('names a bad secret %s without echoing its value', (name, value, secret) => {
    const env: Record<string, string> = { [name]: value };
    if (name === 'REDIS_URL') env.DATABASE_URL = 'postgres://localhost/chat';
    const problems = problemsOf(env);
    expect(problems.some((p) => p.startsWith(`${name} `))).toBe(true);
    expect(problems.join('\n')).not.toContain(secret);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain(secret);
    }
  });

  it('never echoes ADMIN_API_KEY, whatever else is wrong', () => {
    const problems = problemsOf({ ADMIN_API_KEY: 'super-secret-admin-key', PORT: 'x' });
    expect(problems.join('\n')).not.toContain('super-secret-admin-key');
  });

  it('lists the secret variables', () => {
    expect([...AppConfig.SECRET_VARIABLES].sort()).toEqual(
      ['ADMIN_API_KEY', 'ADMIN_UI_PASSWORD', 'DATABASE_URL', 'JWT_SECRET', 'REDIS_URL'].sort(),
    );
  });

  it('opens /metrics and /docs by default in open mode only, and reads the JWT clock skew within 0-3600 s', () => {
    const secret = 'config-spec-secret-of-at-least-32-chars';
    expect(loadConfig({})).toMatchObject({ metricsPublic: true, docsPublic: true, jwtClockSkewSeconds: 60 });
    expect(loadConfig({ JWT_SECRET: secret })).toMatchObject({ metricsPublic: false, docsPublic: false });
    expect(loadConfig({ JWT_SECRET: secret, METRICS_PUBLIC: 'true', DOCS_PUBLIC: 'true' })).toMatchObject({
      metricsPublic: true,
      docsPublic: true,
    });
    expect(loadConfig({ METRICS_PUBLIC: 'false', DOCS_PUBLIC: 'false' })).toMatchObject({ metricsPublic: false, docsPublic: false });
    expect(loadConfig({ JWT_CLOCK_SKEW_SECONDS: '0' }).jwtClockSkewSeconds).toBe(0);
    expect(problemsOf({ JWT_CLOCK_SKEW_SECONDS: '3601' })).toHaveLength(1);
    expect(problemsOf({ JWT_CLOCK_SKEW_SECONDS: '-1' })).toHaveLength(1);
  });

  it('bounds the admin UI credentials and reads its login throttle', () => {
    const on = { ADMIN_UI: 'true', ADMIN_UI_PASSWORD: 'pw' };
    expect(loadConfig(on).adminUi).toEqual({ username: 'admin', password: 'pw', loginFailuresPerMinute: 5 });
    expect(loadConfig({ ...on, ADMIN_UI_LOGIN_FAILURES_PER_MINUTE: '1' }).adminUi?.loginFailuresPerMinute).toBe(1);
    expect(problemsOf({ ...on, ADMIN_UI_LOGIN_FAILURES_PER_MINUTE: '0' })).toHaveLength(1);
    expect(loadConfig({ ...on, ADMIN_UI_PASSWORD: 'p'.repeat(256) }).adminUi?.password).toHaveLength(256);
    const tooLong = problemsOf({ ...on, ADMIN_UI_USERNAME: 'u'.repeat(257), ADMIN_UI_PASSWORD: 'p'.repeat(257) });
    expect(tooLong).toHaveLength(2);
    expect(tooLong.join('\n')).not.toContain('p'.repeat(257));
  });

  it('keeps a long bad value short in the message', () => {
    const [problem] = problemsOf({ LOG_LEVEL: 'x'.repeat(500) });
    expect(problem!.length).toBeLessThan(200);
  });
});
