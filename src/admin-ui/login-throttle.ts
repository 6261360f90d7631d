interface Failures {
  count: number;
  windowStartedAt: number;
}

/** Addresses remembered at most; beyond it the oldest is forgotten, so the map cannot grow without bound. */
export const MAX_THROTTLED_ADDRESSES = 10_000;
export const LOGIN_WINDOW_MS = 60_000;

/**
 * Failed logins per client address in fixed one-minute windows: after `maxFailures` in a window
 * the address is refused until the window ends, without its credentials being looked at.
 * Time is passed in for testability.
 */
export class LoginThrottle {
  /** Insertion order is window order: a new window re-inserts its address at the end. */
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly maxFailures: number) {}

  /** 0 when the address may try, else the milliseconds until it may. */
  retryAfterMs(address: string, now: number): number {
    const entry = this.current(address, now);
    if (!entry || entry.count < this.maxFailures) return 0;
    return entry.windowStartedAt + LOGIN_WINDOW_MS - now;
  }

  /** Counts a failure; true when it is the one that reaches the limit. */
  recordFailure(address: string, now: number): boolean {
    let entry = this.current(address, now);
    if (!entry) {
      this.makeRoom(now);
      entry = { count: 0, windowStartedAt: now };
      this.failures.set(address, entry);
    }
    entry.count += 1;
    return entry.count === this.maxFailures;
  }

  /** A successful login clears the address's failures. */
  forget(address: string): void {
    this.failures.delete(address);
  }

  get size(): number {
    return this.failures.size;
  }

  private current(address: string, now: number): Failures | undefined {
    const entry = this.failures.get(address);
    if (entry && now - entry.windowStartedAt >= LOGIN_WINDOW_MS) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }

  private makeRoom(now: number): void {
    for (const [address, entry] of this.failures) {
      if (this.failures.size < MAX_THROTTLED_ADDRESSES) return;
      if (now - entry.windowStartedAt >= LOGIN_WINDOW_MS) this.failures.delete(address);
      else break;
    }
    // Every remembered window is still open: the oldest goes.
    while (this.failures.size >= MAX_THROTTLED_ADDRESSES) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) return;
      this.failures.delete(oldest);
    }
  }
}
