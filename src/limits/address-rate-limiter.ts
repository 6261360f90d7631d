import type { RateLimit } from '../config/app-config.js';
import { TokenBucket } from './token-bucket.js';

/** Addresses tracked at once per limiter, whatever the traffic: about 200 bytes each. */
export const MAX_TRACKED_ADDRESSES = 50_000;

/**
 * One token bucket per client address, in bounded memory. A bucket that has refilled is as good
 * as none, so sweep() forgets it; and past maxAddresses the least recently seen address is
 * forgotten at once. A forgotten address starts over with a full bucket, which is what it would
 * have by then in the common case; only a client holding maxAddresses addresses can make it
 * happen early, and no per-address limit slows such a client anyway.
 */
export class AddressRateLimiter {
  /** In order of last use: the first entry is the least recently seen address. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxAddresses = MAX_TRACKED_ADDRESSES,
  ) {}

  /** Takes one token for `address`: 0 when granted, else the milliseconds until one is available. */
  take(address: string, now: number): number {
    let bucket = this.buckets.get(address);
    if (bucket) {
      this.buckets.delete(address);
    } else {
      bucket = new TokenBucket(this.limit.perSecond, this.limit.burst, now);
      if (this.buckets.size >= this.maxAddresses) this.forgetLeastRecent();
    }
    this.buckets.set(address, bucket);
    return bucket.take(now);
  }

  /** Forgets every address whose bucket has refilled. */
  sweep(now: number): void {
    for (const [address, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(address);
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  private forgetLeastRecent(): void {
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}
