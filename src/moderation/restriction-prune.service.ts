import { setImmediate as nextTurn } from 'node:timers/promises';
import { type BeforeApplicationShutdown, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ModerationStore } from './moderation-store.js';

/** Ended bans and mutes are deleted at start and then this often. */
export const RESTRICTION_PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** Small deletes with an event-loop turn in between, as for old messages (RetentionService). */
export const RESTRICTION_PRUNE_BATCH_SIZE = 200;

/**
 * Deletes the rows of bans and mutes that have ended. Readers already ignore them (every query
 * filters on until), so this only keeps the table small; nothing depends on when it runs.
 */
@Injectable()
export class RestrictionPruneService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RestrictionPruneService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private stopped = false;

  constructor(private readonly store: ModerationStore) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.pruneNow(), RESTRICTION_PRUNE_INTERVAL_MS).unref();
    void this.pruneNow();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass (joins a pass already running); resolves with how many rows went. */
  pruneNow(now = new Date()): Promise<number> {
    this.running ??= this.prune(now.toISOString()).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async prune(now: string): Promise<number> {
    let removed = 0;
    try {
      for (;;) {
        const batch = await this.store.pruneEndedRestrictions(now, RESTRICTION_PRUNE_BATCH_SIZE);
        removed += batch;
        if (batch < RESTRICTION_PRUNE_BATCH_SIZE || this.stopped) break;
        await nextTurn();
      }
    } catch (error) {
      this.logger.warn({ err: error, removed }, 'pruning ended bans and mutes failed; retrying at the next interval');
      return removed;
    }
    if (removed > 0) this.logger.log({ removed }, 'pruned ended bans and mutes');
    return removed;
  }
}
