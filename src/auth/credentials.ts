import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SocketData } from '../contract.js';

/** What a client presents: the socket.io `auth` object and the request headers. */
export interface Credentials {
  auth: Readonly<Record<string, unknown>>;
  headers: IncomingHttpHeaders;
}

/**
 * Turns credentials into an identity or throws AppError(UNAUTHORIZED). One implementation per
 * AUTH_MODE; the DI token is this class.
 */
export abstract class Authenticator {
  abstract authenticate(credentials: Credentials): Promise<SocketData>;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Constant-time comparison, so a wrong key reveals nothing through timing: the SHA-256 digests
 * are compared, which have one length whatever was presented, so not even the key's length shows
 * (comparing the keys themselves needs equal lengths and would answer a wrong length at once).
 */
export function secretsEqual(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || expected === undefined) return false;
  return timingSafeEqual(sha256(given), sha256(expected));
}

export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}
