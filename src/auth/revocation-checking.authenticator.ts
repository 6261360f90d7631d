import type { AuthMode } from '../config/app-config.js';
import type { SocketData } from '../contract.js';
import { Authenticator, type Credentials } from './credentials.js';
import type { SessionRevocations } from './session-revocations.js';

/**
 * The Authenticator every caller gets: the mode's own, then the session revocations. Handshakes,
 * auth:refresh and Bearer-token REST calls all authenticate through it, so a revoked token (JWT
 * mode) or a blocked username (open mode) is refused everywhere with UNAUTHORIZED.
 */
export class RevocationCheckingAuthenticator extends Authenticator {
  constructor(
    private readonly inner: Authenticator,
    private readonly revocations: SessionRevocations,
    private readonly mode: AuthMode,
  ) {
    super();
  }

  async authenticate(credentials: Credentials): Promise<SocketData> {
    const identity = await this.inner.authenticate(credentials);
    this.assertNotRevoked(identity);
    return identity;
  }

  /**
   * Again, for a caller that awaited something since authenticate (the handshake): a revocation
   * this node applied meanwhile is seen.
   */
  assertNotRevoked(identity: SocketData): void {
    this.revocations.assertNotRevoked(identity, this.mode);
  }
}
