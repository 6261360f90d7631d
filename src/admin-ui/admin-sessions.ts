/** Sessions remembered at most (one per successful admin login); beyond it the oldest is forgotten. */
export const MAX_ADMIN_SESSIONS = 1000;
/** As long as the library's Redis store keeps a session by default. */
export const ADMIN_SESSION_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The admin UI's session store (the library's `Store` shape): the library saves a session id after
 * a successful login and the UI reconnects with it instead of the password. Unlike the library's
 * in-memory store it is bounded and sessions expire, and the login gate can ask it too.
 */
export class AdminSessions {
  /** Insertion order is age order. */
  private readonly expiries = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  has(sessionId: string): boolean {
    const expiresAt = this.expiries.get(sessionId);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.now()) return true;
    this.expiries.delete(sessionId);
    return false;
  }

  doesSessionExist(sessionId: string): Promise<boolean> {
    return Promise.resolve(this.has(sessionId));
  }

  saveSession(sessionId: string): void {
    while (this.expiries.size >= MAX_ADMIN_SESSIONS) {
      const oldest = this.expiries.keys().next().value;
      if (oldest === undefined) break;
      this.expiries.delete(oldest);
    }
    this.expiries.set(sessionId, this.now() + ADMIN_SESSION_TTL_MS);
  }

  get size(): number {
    return this.expiries.size;
  }
}
