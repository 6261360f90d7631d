/**
 * The limits raised for every test and benchmark server, so that they never shape a test: every
 * client of a test connects from 127.0.0.1 and sends as fast as it can, and the benchmark offers
 * far more load than the defaults allow one user or one address. Each value is the highest the
 * configuration accepts, or switches the limit off.
 *
 * A test of one of these limits sets the value it tests, or unsets the variable to get the
 * production default (see defaultLimits()). Used by test/support/app.ts (in-process apps),
 * test/support/gateway-process.ts (server processes, the cluster's nodes among them) and the
 * benchmark's gateway environment (bench/lib/servers.ts).
 */
export const TEST_LIMITS = {
  RATE_LIMIT_PER_SECOND: '1000000',
  RATE_LIMIT_BURST: '1000000',
  TYPING_RATE_LIMIT_PER_SECOND: '1000000',
  TYPING_RATE_LIMIT_BURST: '1000000',
  REST_RATE_PER_SECOND: '1000000',
  REST_RATE_BURST: '1000000',
  ADMIN_REST_RATE_PER_SECOND: '1000000',
  ADMIN_REST_RATE_BURST: '1000000',
  HANDSHAKE_RATE_PER_SECOND: '1000000',
  HANDSHAKE_RATE_BURST: '1000000',
  ADMIN_UI_LOGIN_FAILURES_PER_MINUTE: '1000000',
  MAX_CONNECTIONS_PER_USER: '1000000',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
  MAX_ROOMS_PER_SOCKET: '100000',
} as const satisfies Record<string, string>;

export type TestLimit = keyof typeof TEST_LIMITS;

/** The named TEST_LIMITS variables unset, so the server uses its production defaults for them. */
export function defaultLimits(...names: TestLimit[]): Record<string, undefined> {
  return Object.fromEntries(names.map((name) => [name, undefined]));
}
