import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { SocketData } from '../contract.js';
import { isReservedUserId, USERNAME_PATTERN } from './user-id.js';
import { Authenticator, type Credentials, secretsEqual } from './credentials.js';

/** Development mode: the client names itself; `auth.adminKey` equal to ADMIN_API_KEY makes it admin. */
@Injectable()
export class OpenAuthenticator extends Authenticator implements OnApplicationBootstrap {
  private readonly logger = new Logger(OpenAuthenticator.name);

  constructor(private readonly config: AppConfig) {
    super();
  }

  onApplicationBootstrap(): void {
    this.logger.warn('AUTH_MODE=open: anyone can connect under any name; set JWT_SECRET or JWT_PUBLIC_KEY for deployments');
  }

  async authenticate({ auth }: Credentials): Promise<SocketData> {
    const username = auth.username;
    if (username === undefined) throw AppError.unauthorized('auth.username is required');
    if (typeof username !== 'string' || !USERNAME_PATTERN.test(username)) {
      throw AppError.unauthorized('auth.username must be 1-32 characters of letters, digits, _ . -');
    }
    if (isReservedUserId(username)) throw AppError.unauthorized(`auth.username ${username} is reserved`);
    return {
      user: { id: username, name: username },
      isAdmin: secretsEqual(auth.adminKey, this.config.adminApiKey),
    };
  }
}
