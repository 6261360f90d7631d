import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ModerationStore } from './moderation-store.js';
import { RESTRICTION_PRUNE_BATCH_SIZE, RESTRICTION_PRUNE_INTERVAL_MS, RestrictionPruneService } from './restriction-prune.service.js';

Logger.overrideLogger(false);

const NOW = new Date('2030-03-10T12:00:00.000Z');

/** A store holding `ended` rows that pruneEndedRestrictions deletes batch by batch. */
function storeWith(ended: number): { store: ModerationStore; batches: number[]; cutoffs: string[] } {
  let left = ended;
  const batches: number[] = [];
  const cutoffs: string[] = [];
  const pruneEndedRestrictions = async (now: string, batchSize: number): Promise<number> => {
    const removed = Math.min(left, batchSize);
    left -= removed;
    batches.push(removed);
    cutoffs.push(now);
    return removed;
  };
  return { store: { pruneEndedRestrictions } as unknown as ModerationStore, batches, cutoffs };
}

/** Lets a pass that needs no timer run to its end (a few promise turns). */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn += 1) await Promise.resolve();
}

describe('RestrictionPruneService', () => {
  it('deletes ended restrictions in batches until a short one, with the pass start as the cutoff', async () => {
    const { store, batches, cutoffs } = storeWith(RESTRICTION_PRUNE_BATCH_SIZE * 2 + 3);
    await expect(new RestrictionPruneService(store).pruneNow(NOW)).resolves.toBe(RESTRICTION_PRUNE_BATCH_SIZE * 2 + 3);
    expect(batches).toEqual([RESTRICTION_PRUNE_BATCH_SIZE, RESTRICTION_PRUNE_BATCH_SIZE, 3]);
    expect(new Set(cutoffs)).toEqual(new Set([NOW.toISOString()]));
  });

  it('joins a pass already running', async () => {
    const { store, batches } = storeWith(5);
    const service = new RestrictionPruneService(store);
    const [first, second] = await Promise.all([service.pruneNow(NOW), service.pruneNow(NOW)]);
    expect([first, second, batches]).toEqual([5, 5, [5]]);
  });

  it('logs a failure and answers what went before it', async () => {
    let calls = 0;
    const store = {
      pruneEndedRestrictions: async (): Promise<number> => {
        calls += 1;
        if (calls === 2) throw new Error('database is gone');
        return RESTRICTION_PRUNE_BATCH_SIZE;
      },
    } as unknown as ModerationStore;
    const service = new RestrictionPruneService(store);
    const warn = jest.spyOn(Logger.prototype, 'warn');
    await expect(service.pruneNow(NOW)).resolves.toBe(RESTRICTION_PRUNE_BATCH_SIZE);
    expect(warn).toHaveBeenCalledWith(
      expect.objectContaining({ removed: RESTRICTION_PRUNE_BATCH_SIZE }),
      expect.stringContaining('pruning ended'),
    );
    warn.mockRestore();
  });

  it('prunes at start and then hourly, and stops at shutdown', async () => {
    jest.useFakeTimers();
    try {
      const { store, batches } = storeWith(0);
      const service = new RestrictionPruneService(store);
      service.onApplicationBootstrap();
      await settle();
      expect(batches).toHaveLength(1);
      expect(RESTRICTION_PRUNE_INTERVAL_MS).toBe(60 * 60 * 1000);
      jest.advanceTimersByTime(RESTRICTION_PRUNE_INTERVAL_MS);
      await settle();
      expect(batches).toHaveLength(2);
      await service.beforeApplicationShutdown();
      jest.advanceTimersByTime(RESTRICTION_PRUNE_INTERVAL_MS * 3);
      await settle();
      expect(batches).toHaveLength(2);
    } finally {
      jest.useRealTimers();
    }
  });
});
