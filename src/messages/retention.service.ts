import { setImmediate as nextTurn } from 'node:timers/promises';
import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { MessageStore } from './message-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Pruning runs at start and then this often. */
export const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** Small deletes with an event-loop turn in between: sends keep flowing while history is pruned. */
export const PRUNE_BATCH_SIZE = 200;

/** Deletes messages older than HISTORY_RETENTION_DAYS; keeps everything when it is unset. */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(
    private readonly store: MessageStore,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.historyRetentionDays === undefined) return;
    this.timer = setInterval(() => void this.pruneNow(), PRUNE_INTERVAL_MS).unref();
    void this.pruneNow();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pruning pass (joins a pass already running); resolves with how many messages went. */
  pruneNow(now = new Date()): Promise<number> {
    const days = this.config.historyRetentionDays;
    if (days === undefined) return Promise.resolve(0);
    this.running ??= this.prune(new Date(now.getTime() - days * DAY_MS)).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async prune(cutoff: Date): Promise<number> {
    let removed = 0;
    try {
      for (;;) {
        const batch = await this.store.pruneOlderThan(cutoff, PRUNE_BATCH_SIZE);
        removed += batch;
        if (batch < PRUNE_BATCH_SIZE || this.stopped) break;
        await nextTurn();
      }
    } catch (error) {
      this.logger.warn({ err: error, removed }, 'pruning old messages failed; retrying at the next interval');
      return removed;
    }
    if (removed > 0) this.logger.log({ removed, cutoff: cutoff.toISOString() }, 'pruned old messages');
    return removed;
  }
}
