/**
 * Lets at most `limit` database calls run at once and queues the rest, failing a call that waited
 * longer than `maxWaitMs`. In front of a connection pool of the same size it keeps the pool's own
 * queue empty, so the pool's connect timeout measures connecting (an outage), not waiting behind
 * a burst of writes to one hot room (load).
 */
export class QueryGate {
  private active = 0;
  private readonly waiting: Array<{ admit: () => void; timer: NodeJS.Timeout }> = [];

  constructor(
    private readonly limit: number,
    private readonly maxWaitMs: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await task();
    } finally {
      this.leave();
    }
  }

  private enter(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const entry = {
        admit: () => {
          clearTimeout(entry.timer);
          this.active += 1;
          resolve();
        },
        timer: setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          reject(new Error(`database busy: no connection free within ${this.maxWaitMs} ms`));
        }, this.maxWaitMs),
      };
      this.waiting.push(entry);
    });
  }

  private leave(): void {
    this.active -= 1;
    this.waiting.shift()?.admit();
  }
}
