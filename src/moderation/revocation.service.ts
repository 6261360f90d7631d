import { Injectable } from '@nestjs/common';
import { ChatEmitter } from '../chat/chat-emitter.js';
import { AppConfig } from '../config/app-config.js';
import type { UserDisconnectResult, UserRevocation } from '../contract.js';
import { DEFAULT_BLOCK_SECONDS } from './dto/revocation.dto.js';
import { ModerationStore } from './moderation-store.js';
import { ModerationSync } from './moderation-sync.js';

export interface DisconnectInput {
  userId: string;
  revoke: boolean;
  /** Open mode: how long the username stays blocked (DEFAULT_BLOCK_SECONDS when absent). */
  seconds?: number;
}

/**
 * DELETE /users/:id/connections: closes every socket of the user on every node and, with revoke,
 * first makes sure none comes back with the same credentials.
 */
@Injectable()
export class RevocationService {
  constructor(
    private readonly store: ModerationStore,
    private readonly sync: ModerationSync,
    private readonly emitter: ChatEmitter,
    private readonly config: AppConfig,
  ) {}

  /**
   * The revocation is committed with its audit entry and applied by every node before the sockets
   * close: a client reconnecting at once is refused by whichever node it reaches. A handshake that
   * passed its check before its node applied the revocation has joined the user's room by then,
   * so the close reaches it (see HandshakeService).
   */
  async disconnect(input: DisconnectInput, actor: string): Promise<UserDisconnectResult> {
    const revocation = input.revoke ? await this.revoke(input.userId, input.seconds ?? DEFAULT_BLOCK_SECONDS, actor) : undefined;
    const disconnected = await this.emitter.disconnectUser(input.userId);
    return revocation ? { disconnected, revocation } : { disconnected };
  }

  private async revoke(userId: string, seconds: number, actor: string): Promise<UserRevocation> {
    const now = new Date();
    const revocation: UserRevocation = {
      userId,
      revokedAt: now.toISOString(),
      // JWT mode needs no end: the revocation holds until a newer token is presented.
      blockedUntil: this.config.authMode === 'open' ? new Date(now.getTime() + seconds * 1000).toISOString() : null,
    };
    await this.store.putRevocation(revocation, {
      at: revocation.revokedAt,
      actor,
      action: 'revoke',
      userId,
      room: null,
      details: { revokedAt: revocation.revokedAt, blockedUntil: revocation.blockedUntil },
    });
    await this.sync.publish({ type: 'revoke', revocation });
    return revocation;
  }
}
