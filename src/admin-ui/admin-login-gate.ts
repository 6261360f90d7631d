import { Logger } from '@nestjs/common';
import type { ExtendedError, Socket } from 'socket.io';
import { secretsEqual } from '../auth/credentials.js';
import { ErrorCode } from '../common/error-code.js';
import { ADMIN_UI_MAX_CREDENTIAL_LENGTH, type AdminUiConfig } from '../config/app-config.js';
import { clientAddress } from '../limits/client-address.js';
import type { AdminSessions } from './admin-sessions.js';
import { LoginThrottle } from './login-throttle.js';

/** What the admin UI recognises as a failed login (it then shows its login form). */
export const INVALID_CREDENTIALS = 'invalid credentials';
/** The library's ids are 16 hex characters; anything much longer is not one. */
const MAX_SESSION_ID_LENGTH = 64;

function isCredential(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= ADMIN_UI_MAX_CREDENTIAL_LENGTH;
}

function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SESSION_ID_LENGTH;
}

/**
 * socket.io middleware on the `/admin` namespace, registered before @socket.io/admin-ui's own:
 * it lets through only a handshake with a live session id or the configured username and password,
 * so the library's bcrypt check only ever sees string credentials that are already known to be
 * right (it rejected an unhandled promise on a non-string password). It is synchronous, so it
 * cannot reject a promise itself, and it costs two SHA-256 digests per attempt (secretsEqual):
 * no bcrypt on a wrong guess, so guessing cannot block the event loop. Per client address, after
 * ADMIN_UI_LOGIN_FAILURES_PER_MINUTE failures the address is refused until its minute ends.
 */
export class AdminLoginGate {
  private readonly logger = new Logger(AdminLoginGate.name);
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly config: AdminUiConfig,
    private readonly sessions: AdminSessions,
    private readonly trustProxy: boolean,
    private readonly now: () => number = Date.now,
  ) {
    this.throttle = new LoginThrottle(config.loginFailuresPerMinute);
  }

  readonly middleware = (socket: Socket, next: (err?: ExtendedError) => void): void => {
    const address = clientAddress(socket.request, this.trustProxy);
    const now = this.now();
    const retryAfterMs = this.throttle.retryAfterMs(address, now);
    if (retryAfterMs > 0) return next(this.throttled(retryAfterMs));
    if (this.admits(socket.handshake.auth ?? {})) {
      this.throttle.forget(address);
      return next();
    }
    if (this.throttle.recordFailure(address, now)) {
      this.logger.warn(
        { address, failures: this.config.loginFailuresPerMinute },
        'admin UI logins from this address refused for the rest of the minute',
      );
    }
    next(new Error(INVALID_CREDENTIALS));
  };

  private admits(auth: Readonly<Record<string, unknown>>): boolean {
    const { username, password, sessionId } = auth;
    if (isSessionId(sessionId) && this.sessions.has(sessionId)) return true;
    if (!isCredential(username) || !isCredential(password)) return false;
    // Both compared, so the time does not tell which one was wrong.
    const userMatches = secretsEqual(username, this.config.username);
    const passwordMatches = secretsEqual(password, this.config.password);
    return userMatches && passwordMatches;
  }

  private throttled(retryAfterMs: number): ExtendedError {
    const data = { code: ErrorCode.RATE_LIMITED, message: 'too many failed admin UI logins from this address', retryAfterMs };
    return Object.assign(new Error(ErrorCode.RATE_LIMITED), { data });
  }
}
