import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

/** An HS256 secret of the required length (>= 32 characters). */
export const HS_SECRET = 'security-suite-hs256-secret-0123456789abcdef';

export interface KeyPair {
  privateKey: KeyObject;
  publicPem: string;
}

export function rsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function ecKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

/** Claims as a token may carry them, hostile types included. */
export interface Claims extends JWTPayload {
  name?: unknown;
  role?: unknown;
  rooms?: unknown;
}

/** Seconds from now, as a JWT NumericDate. */
export function inSeconds(seconds: number): number {
  return Math.floor(Date.now() / 1000) + seconds;
}

/**
 * Signs claims; `exp` defaults to one hour ahead unless the claims carry one (or `exp: undefined`),
 * `iat` to now unless the claims carry one.
 */
export async function sign(
  claims: Claims,
  key: KeyObject | string,
  alg: 'HS256' | 'RS256' | 'ES256' = typeof key === 'string' ? 'HS256' : 'RS256',
): Promise<string> {
  const payload: Claims = 'exp' in claims ? claims : { ...claims, exp: inSeconds(3600) };
  if (payload.exp === undefined) delete payload.exp;
  const secret = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  const jwt = new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' });
  return ('iat' in payload ? jwt : jwt.setIssuedAt()).sign(secret);
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** `alg: none`: header and payload with an empty signature, as an attacker forges it. */
export function unsignedToken(claims: Claims): string {
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ exp: inSeconds(3600), ...claims })}.`;
}

/** Algorithm confusion: an HS256 token whose HMAC key is the server's RS256 public key PEM. */
export function hmacWithPublicKey(claims: Claims, publicPem: string): string {
  const signingInput = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url({ exp: inSeconds(3600), ...claims })}`;
  const signature = createHmac('sha256', publicPem).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}
