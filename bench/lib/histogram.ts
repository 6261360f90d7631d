/**
 * Latency histogram in microseconds with logarithmic buckets (about 1% wide), so load processes
 * can record millions of samples cheaply and the runner can merge them exactly.
 */
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** 1.01^2100 µs is about 20 minutes: nothing measured here is slower. */
const BUCKETS = 2100;

export interface HistogramData {
  counts: Uint32Array;
  count: number;
  sum: number;
  max: number;
}

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export class Histogram {
  counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  record(micros: number): void {
    const value = micros < 1 ? 1 : micros;
    let index = Math.floor(Math.log(value) / LOG_GROWTH);
    if (index >= BUCKETS) index = BUCKETS - 1;
    this.counts[index]! += 1;
    this.count += 1;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  merge(other: HistogramData): void {
    for (let i = 0; i < BUCKETS; i += 1) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
  }

  /** Upper edge of the bucket holding the q-quantile, capped at the largest sample. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i += 1) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(GROWTH ** (i + 1), this.max);
    }
    return this.max;
  }

  data(): HistogramData {
    return { counts: this.counts, count: this.count, sum: this.sum, max: this.max };
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  summary(): LatencySummary {
    const ms = (micros: number): number => Math.round(micros) / 1000;
    return {
      count: this.count,
      meanMs: this.count === 0 ? 0 : ms(this.sum / this.count),
      p50Ms: ms(this.quantile(0.5)),
      p90Ms: ms(this.quantile(0.9)),
      p99Ms: ms(this.quantile(0.99)),
      p999Ms: ms(this.quantile(0.999)),
      maxMs: ms(this.max),
    };
  }

  static from(parts: HistogramData[]): Histogram {
    const merged = new Histogram();
    for (const part of parts) merged.merge(part);
    return merged;
  }
}
