import { createPublicKey, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { type Env, EnvReader } from './env-reader.js';

export type AuthMode = 'open' | 'jwt';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
export type DatabaseKind = 'sqlite' | 'postgres';

export interface DatabaseConfig {
  kind: DatabaseKind;
  /** For sqlite: a file path or ':memory:'. For postgres: the connection string. */
  location: string;
}

export interface AdminUiConfig {
  username: string;
  password: string;
  /** Failed `/admin` logins one client address may make per minute before it is refused outright. */
  loginFailuresPerMinute: number;
}

/** Longest ADMIN_UI_USERNAME / ADMIN_UI_PASSWORD, and longest value the `/admin` handshake may present. */
export const ADMIN_UI_MAX_CREDENTIAL_LENGTH = 256;

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * The whole runtime configuration, read from the environment once at boot and validated.
 * It is the DI token for configuration: nothing else reads process.env.
 */
export class AppConfig {
  /** NODE_ENV=production: defaults that trade development convenience for safety (origins). */
  readonly production!: boolean;
  readonly port!: number;
  readonly host!: string;
  readonly nodeId!: string;
  readonly logLevel!: LogLevel;
  readonly prettyLogs!: boolean;
  readonly adminApiKey?: string;
  readonly maxMessageLength!: number;
  readonly historyLimit!: number;
  /** Counted bytes of messages one history reply may carry (see src/messages/reply-budget.ts). */
  readonly maxReplyBytes!: number;
  readonly presenceBroadcast!: boolean;
  /** How long a user may stay without a connection before presence:offline; 0 sends it at once (contract v1). */
  readonly presenceGraceMs!: number;
  readonly database!: DatabaseConfig;
  readonly historyRetentionDays?: number;
  readonly redisUrl?: string;
  /** Namespaces every Redis key and channel, so several deployments (or test runs) can share one Redis. */
  readonly redisPrefix!: string;
  readonly nodeTtlMs!: number;
  readonly authMode!: AuthMode;
  readonly jwtSecret?: string;
  readonly jwtPublicKey?: string;
  readonly jwtIssuer?: string;
  readonly jwtAudience?: string;
  /** How far a token's `iat` may lie ahead of this node's clock. */
  readonly jwtClockSkewSeconds!: number;
  /** undefined: same origin and localhost in development, no browser origin in production. */
  readonly corsOrigins?: string[];
  readonly maxPayloadBytes!: number;
  readonly eventRateLimit!: RateLimit;
  readonly typingRateLimit!: RateLimit;
  /** Per client address, for REST routes other than the admin ones, health and metrics. */
  readonly restRateLimit!: RateLimit;
  /** Per client address, for the admin REST routes (a bucket of their own). */
  readonly adminRestRateLimit!: RateLimit;
  readonly maxConnectionsPerUser!: number;
  /** 0 disables the cap. */
  readonly maxConnectionsPerAddress!: number;
  readonly trustProxy!: boolean;
  readonly maxRoomsPerSocket!: number;
  /** Rooms one user may be a member of (stored memberships, not joined sockets). */
  readonly maxMembershipsPerUser!: number;
  readonly maxBufferedBytes!: number;
  /** A long-polling response not fully written to the network within this closes its session. */
  readonly pollingWriteTimeoutMs!: number;
  /** socket.io handshakes per client address (per node). */
  readonly handshakeRateLimit!: RateLimit;
  readonly pingIntervalMs!: number;
  readonly pingTimeoutMs!: number;
  readonly shutdownGraceMs!: number;
  readonly adminUi?: AdminUiConfig;
  /** /metrics without admin credentials (default: in open mode only). */
  readonly metricsPublic!: boolean;
  /** /docs, /docs-json and /docs-yaml without admin credentials (default: in open mode only). */
  readonly docsPublic!: boolean;

  static readonly SECRET_VARIABLES: ReadonlySet<string> = new Set([
    'ADMIN_API_KEY',
    'JWT_SECRET',
    'DATABASE_URL',
    'REDIS_URL',
    'ADMIN_UI_PASSWORD',
  ]);
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_DATABASE_URL = 'sqlite:./data/chat.db';
/**
 * Half of MAX_BUFFERED_BYTES' default: one history reply (plus the members of a join) then never
 * counts as a slow consumer's backlog on its own.
 */
const DEFAULT_MAX_REPLY_BYTES = 512 * 1024;

function readDatabase(env: EnvReader): DatabaseConfig {
  const url = env.string('DATABASE_URL', DEFAULT_DATABASE_URL);
  if (url.startsWith('sqlite:')) {
    const location = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (location === '') env.problem('DATABASE_URL', 'needs a file path after sqlite: (or sqlite::memory:)');
    return { kind: 'sqlite', location: location || ':memory:' };
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', location: url };
  env.problem('DATABASE_URL', 'must start with sqlite: or postgres://');
  return { kind: 'sqlite', location: ':memory:' };
}

function readAuthMode(env: EnvReader): AuthMode {
  const hasKey = env.raw('JWT_SECRET') !== undefined || env.raw('JWT_PUBLIC_KEY') !== undefined;
  const mode = env.oneOf<AuthMode>('AUTH_MODE', ['open', 'jwt'], hasKey ? 'jwt' : 'open');
  if (mode === 'jwt' && !hasKey) env.problem('AUTH_MODE', 'is jwt but neither JWT_SECRET nor JWT_PUBLIC_KEY is set');
  if (env.raw('JWT_SECRET') && env.raw('JWT_PUBLIC_KEY')) env.problem('JWT_SECRET', 'and JWT_PUBLIC_KEY are both set; choose one');
  const secret = env.raw('JWT_SECRET');
  if (secret !== undefined && secret.length < 32) env.problem('JWT_SECRET', 'must be at least 32 characters');
  const publicKey = env.raw('JWT_PUBLIC_KEY');
  if (publicKey !== undefined && !isSupportedPublicKey(publicKey.replace(/\\n/g, '\n'))) {
    env.problem('JWT_PUBLIC_KEY', 'must be a PEM public key (RSA for RS256 or EC P-256 for ES256)');
  }
  return mode;
}

function isSupportedPublicKey(pem: string): boolean {
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType === 'rsa') return true;
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

function readAdminUi(env: EnvReader): AppConfig['adminUi'] {
  if (!env.bool('ADMIN_UI', false)) return undefined;
  const username = env.string('ADMIN_UI_USERNAME', 'admin');
  const password = env.raw('ADMIN_UI_PASSWORD');
  if (!password) env.problem('ADMIN_UI_PASSWORD', 'is required when ADMIN_UI=true');
  const tooLong = `must be at most ${ADMIN_UI_MAX_CREDENTIAL_LENGTH} characters`;
  if (username.length > ADMIN_UI_MAX_CREDENTIAL_LENGTH) env.problem('ADMIN_UI_USERNAME', tooLong);
  if (password && password.length > ADMIN_UI_MAX_CREDENTIAL_LENGTH) env.problem('ADMIN_UI_PASSWORD', tooLong);
  const loginFailuresPerMinute = env.int('ADMIN_UI_LOGIN_FAILURES_PER_MINUTE', 5, 1, 1_000_000);
  return { username, password: password ?? '', loginFailuresPerMinute };
}

function readRedisPrefix(env: EnvReader): string {
  const prefix = env.string('REDIS_PREFIX', 'chat');
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) env.problem('REDIS_PREFIX', 'must be 1-64 characters of letters, digits, _ . : -');
  return prefix;
}

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Checked here so a typo stops the start with the variable named, not as a listen error. */
function readHost(env: EnvReader): string {
  const host = env.string('HOST', '0.0.0.0');
  if (isIP(host) === 0 && !HOST_NAME.test(host)) env.problem('HOST', 'must be an IP address or a host name');
  return host;
}

function readUrl(env: EnvReader, name: string, schemes: RegExp): string | undefined {
  const value = env.raw(name);
  if (value !== undefined && !schemes.test(value)) env.problem(name, `must match ${schemes.source}`);
  return value;
}

/** Reads and validates the configuration; throws ConfigError naming every bad variable. */
export function loadConfig(source: Env, options: { stdoutIsTerminal?: boolean } = {}): AppConfig {
  const env = new EnvReader(source, AppConfig.SECRET_VARIABLES);
  const redisUrl = readUrl(env, 'REDIS_URL', /^rediss?:\/\//);
  const database = readDatabase(env);
  if (redisUrl && database.kind === 'sqlite') {
    env.problem('REDIS_URL', 'is set but DATABASE_URL is SQLite: cluster nodes cannot share SQLite; use postgres://');
  }
  const authMode = readAuthMode(env);
  const values: AppConfig = {
    production: source.NODE_ENV === 'production',
    port: env.int('PORT', 3000, 0, 65535),
    host: readHost(env),
    nodeId: env.string('NODE_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
    logLevel: env.oneOf<LogLevel>('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    prettyLogs: env.bool('LOG_PRETTY', options.stdoutIsTerminal === true && source.NODE_ENV !== 'production'),
    adminApiKey: env.raw('ADMIN_API_KEY'),
    maxMessageLength: env.int('MAX_MESSAGE_LENGTH', 4000, 1, 1_000_000),
    historyLimit: env.int('HISTORY_LIMIT', 50, 0, 100),
    maxReplyBytes: env.int('MAX_REPLY_BYTES', DEFAULT_MAX_REPLY_BYTES, 1024, 64 * 1024 * 1024),
    presenceBroadcast: env.bool('PRESENCE_BROADCAST', true),
    presenceGraceMs: env.int('PRESENCE_GRACE_MS', 0, 0, 300_000),
    database,
    historyRetentionDays: env.int('HISTORY_RETENTION_DAYS', undefined, 1, 36_500),
    redisUrl,
    redisPrefix: readRedisPrefix(env),
    nodeTtlMs: env.int('NODE_TTL_MS', 10_000, 1_000, 300_000),
    authMode,
    jwtSecret: env.raw('JWT_SECRET'),
    jwtPublicKey: env.raw('JWT_PUBLIC_KEY')?.replace(/\\n/g, '\n'),
    jwtIssuer: env.raw('JWT_ISSUER'),
    jwtAudience: env.raw('JWT_AUDIENCE'),
    jwtClockSkewSeconds: env.int('JWT_CLOCK_SKEW_SECONDS', 60, 0, 3600),
    corsOrigins: env.list('CORS_ORIGINS'),
    maxPayloadBytes: env.int('MAX_PAYLOAD_BYTES', 64 * 1024, 1024, 100 * 1024 * 1024),
    eventRateLimit: {
      perSecond: env.int('RATE_LIMIT_PER_SECOND', 10, 1, 1_000_000),
      burst: env.int('RATE_LIMIT_BURST', 30, 1, 1_000_000),
    },
    typingRateLimit: {
      perSecond: env.int('TYPING_RATE_LIMIT_PER_SECOND', 2, 1, 1_000_000),
      burst: env.int('TYPING_RATE_LIMIT_BURST', 5, 1, 1_000_000),
    },
    restRateLimit: {
      perSecond: env.int('REST_RATE_PER_SECOND', 20, 1, 1_000_000),
      burst: env.int('REST_RATE_BURST', 60, 1, 1_000_000),
    },
    adminRestRateLimit: {
      perSecond: env.int('ADMIN_REST_RATE_PER_SECOND', 10, 1, 1_000_000),
      burst: env.int('ADMIN_REST_RATE_BURST', 30, 1, 1_000_000),
    },
    maxConnectionsPerUser: env.int('MAX_CONNECTIONS_PER_USER', 10, 1, 1_000_000),
    maxConnectionsPerAddress: env.int('MAX_CONNECTIONS_PER_ADDRESS', 0, 0, 10_000_000),
    trustProxy: env.bool('TRUST_PROXY', false),
    maxRoomsPerSocket: env.int('MAX_ROOMS_PER_SOCKET', 100, 1, 100_000),
    maxMembershipsPerUser: env.int('MAX_MEMBERSHIPS_PER_USER', 1000, 1, 1_000_000),
    maxBufferedBytes: env.int('MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    pollingWriteTimeoutMs: env.int('POLLING_WRITE_TIMEOUT_MS', 30_000, 1_000, 600_000),
    handshakeRateLimit: {
      perSecond: env.int('HANDSHAKE_RATE_PER_SECOND', 5, 1, 1_000_000),
      burst: env.int('HANDSHAKE_RATE_BURST', 20, 1, 1_000_000),
    },
    pingIntervalMs: env.int('PING_INTERVAL_MS', 25_000, 100, 600_000),
    pingTimeoutMs: env.int('PING_TIMEOUT_MS', 20_000, 100, 600_000),
    shutdownGraceMs: env.int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    adminUi: readAdminUi(env),
    metricsPublic: env.bool('METRICS_PUBLIC', authMode === 'open'),
    docsPublic: env.bool('DOCS_PUBLIC', authMode === 'open'),
  };
  if (env.problems.length > 0) throw new ConfigError(env.problems);
  return Object.freeze(Object.assign(new AppConfig(), values));
}
