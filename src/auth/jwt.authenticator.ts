import { createPublicKey, type KeyObject } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { type JWTPayload, jwtVerify } from 'jose';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { SocketData } from '../contract.js';
import { DISPLAY_NAME_RULE, isDisplayName } from './display-name.js';
import { isReservedUserId, USER_ID_PATTERN } from './user-id.js';
import { Authenticator, bearerToken, type Credentials } from './credentials.js';

const MAX_ROOM_RULES = 1000;

interface VerificationKey {
  key: KeyObject | Uint8Array;
  algorithms: string[];
}

function verificationKey(config: AppConfig): VerificationKey {
  if (config.jwtSecret) return { key: new TextEncoder().encode(config.jwtSecret), algorithms: ['HS256'] };
  const key = createPublicKey(config.jwtPublicKey ?? '');
  return { key, algorithms: key.asymmetricKeyType === 'ec' ? ['ES256'] : ['RS256'] };
}

/**
 * JWT mode: HS256 with JWT_SECRET, or RS256/ES256 with JWT_PUBLIC_KEY. The accepted algorithm is
 * pinned by the key type, so `alg: none` or an HS256 token signed with the public key never pass.
 */
@Injectable()
export class JwtAuthenticator extends Authenticator {
  private readonly logger = new Logger(JwtAuthenticator.name);
  private readonly verification: VerificationKey;

  constructor(private readonly config: AppConfig) {
    super();
    this.verification = verificationKey(config);
  }

  async authenticate({ auth, headers }: Credentials): Promise<SocketData> {
    const token = typeof auth.token === 'string' ? auth.token : bearerToken(headers);
    if (!token) throw AppError.unauthorized('a token is required (auth.token or Authorization: Bearer)');
    const claims = await this.verify(token);
    this.assertIssuedInThePast(claims);
    return identityFrom(claims);
  }

  /**
   * jose checks `iat` only against a maximum token age, which this gateway does not set. A token
   * dated ahead of this node's clock by more than JWT_CLOCK_SKEW_SECONDS was minted by a wrong
   * clock or ahead of time, to be used later than its issuer could see: refused.
   */
  private assertIssuedInThePast({ iat }: JWTPayload): void {
    if (iat !== undefined && iat > Date.now() / 1000 + this.config.jwtClockSkewSeconds) {
      throw AppError.unauthorized(`token iat lies more than ${this.config.jwtClockSkewSeconds} s in the future`);
    }
  }

  private async verify(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(token, this.verification.key, {
        algorithms: this.verification.algorithms,
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (error) {
      this.logger.debug({ reason: error instanceof Error ? error.name : 'unknown' }, 'token rejected');
      throw AppError.unauthorized('token is invalid or expired');
    }
  }
}

/** The last instant a JavaScript Date can hold (ECMAScript's time value limit). */
const MAX_DATE_MS = 8.64e15;

function identityFrom(claims: JWTPayload): SocketData {
  const { sub, exp } = claims;
  if (typeof sub !== 'string' || !USER_ID_PATTERN.test(sub)) {
    throw AppError.unauthorized('token sub must be 1-64 characters of letters, digits, _ . - @ : |');
  }
  if (isReservedUserId(sub)) throw AppError.unauthorized(`token sub ${sub} is reserved`);
  const name = claims.name === undefined ? sub : claims.name;
  if (!isDisplayName(name)) throw AppError.unauthorized(`token name must be ${DISPLAY_NAME_RULE}`);
  const expiresAt = (exp as number) * 1000;
  // Beyond this a Date is invalid, and the session's expiry could not be reported or armed.
  if (!(expiresAt <= MAX_DATE_MS)) throw AppError.unauthorized('token exp is out of range');
  const identity: SocketData = {
    user: { id: sub, name },
    isAdmin: claims.role === 'admin',
    allowedRooms: roomRules(claims.rooms),
    expiresAt,
  };
  // jose has checked that iat, when present, is a number; revocations compare it (whole seconds).
  if (claims.iat !== undefined) identity.issuedAt = claims.iat * 1000;
  return identity;
}

function roomRules(rooms: unknown): string[] | undefined {
  if (rooms === undefined) return undefined;
  if (!Array.isArray(rooms) || rooms.length > MAX_ROOM_RULES || !rooms.every((r) => typeof r === 'string' && r.length > 0)) {
    throw AppError.unauthorized('token rooms must be a list of room names or prefixes ending in *');
  }
  return rooms as string[];
}
