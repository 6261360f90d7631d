import { Injectable, Logger } from '@nestjs/common';
import { Authenticator } from '../auth/credentials.js';
import { AppError } from '../common/app-error.js';
import { AppConfig } from '../config/app-config.js';
import type { AuthRefreshResult } from '../contract.js';
import { ChatEmitter } from './chat-emitter.js';
import type { ChatSocket } from './chat-socket.js';

/** setTimeout cannot wait longer than this; a later expiry is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps live connections within their credentials' lifetime: a token that expires without an
 * `auth:refresh` ends the connection with `session:expired`.
 */
@Injectable()
export class SessionService {
  private readonly logger = new Logger(SessionService.name);
  private readonly timers = new WeakMap<ChatSocket, NodeJS.Timeout>();

  constructor(
    private readonly authenticator: Authenticator,
    private readonly emitter: ChatEmitter,
    private readonly config: AppConfig,
  ) {}

  track(socket: ChatSocket): void {
    this.forget(socket);
    const { expiresAt } = socket.data;
    if (expiresAt === undefined) return;
    const delay = Math.min(Math.max(expiresAt - Date.now(), 0), MAX_TIMER_MS);
    this.timers.set(
      socket,
      setTimeout(() => this.onTimer(socket), delay),
    );
  }

  forget(socket: ChatSocket): void {
    clearTimeout(this.timers.get(socket));
    this.timers.delete(socket);
  }

  /** A valid token of the same user extends the session; anything else leaves it as it was. */
  async refresh(socket: ChatSocket, token: string): Promise<AuthRefreshResult> {
    if (this.config.authMode !== 'jwt') throw AppError.forbidden('auth:refresh needs AUTH_MODE=jwt');
    const identity = await this.authenticator.authenticate({ auth: { token }, headers: {} });
    if (identity.user.id !== socket.data.user.id) throw AppError.forbidden('the token belongs to another user');
    socket.data = { ...identity, user: socket.data.user };
    this.track(socket);
    return { expiresAt: new Date(identity.expiresAt ?? Date.now()).toISOString() };
  }

  private onTimer(socket: ChatSocket): void {
    const { expiresAt } = socket.data;
    if (expiresAt !== undefined && expiresAt > Date.now()) return this.track(socket);
    this.timers.delete(socket);
    this.logger.log({ socketId: socket.id, userId: socket.data.user.id }, 'session expired');
    this.emitter.sessionExpired(socket, { reason: 'token expired' });
  }
}
