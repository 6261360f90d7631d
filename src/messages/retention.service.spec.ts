import { describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/app-config.js';
import { MemoryMessageStore } from './memory-message.store.js';
import { PRUNE_BATCH_SIZE, RetentionService } from './retention.service.js';

Logger.overrideLogger(false);

const NOW = new Date('2030-03-10T12:00:00.000Z');
const DAY_MS = 24 * 60 * 60 * 1000;
const ada = { id: 'ada', name: 'Ada' };

async function storeWith(ages: { room: number[]; direct: number[] }): Promise<MemoryMessageStore> {
  const store = new MemoryMessageStore();
  let n = 0;
  for (const days of ages.room) {
    const sentAt = new Date(NOW.getTime() - days * DAY_MS).toISOString();
    await store.appendRoomMessage({ id: `r${(n += 1)}`, room: 'lobby', from: ada, text: `${days}d`, sentAt });
  }
  for (const days of ages.direct) {
    const sentAt = new Date(NOW.getTime() - days * DAY_MS).toISOString();
    await store.appendDirectMessage({ id: `d${(n += 1)}`, from: ada, to: { id: 'bob', name: 'Bob' }, text: `${days}d`, sentAt });
  }
  return store;
}

function service(store: MemoryMessageStore, retentionDays?: number): RetentionService {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', HISTORY_RETENTION_DAYS: retentionDays?.toString() });
  return new RetentionService(store, config);
}

describe('RetentionService', () => {
  it('keeps everything when HISTORY_RETENTION_DAYS is unset', async () => {
    const store = await storeWith({ room: [900, 1], direct: [900] });
    await expect(service(store).pruneNow(NOW)).resolves.toBe(0);
    expect((await store.roomPage({ room: 'lobby', limit: 10 })).messages).toHaveLength(2);
  });

  it('deletes what is older than the retention period, in batches, and keeps the rest and the seq', async () => {
    const old = Array.from({ length: PRUNE_BATCH_SIZE * 2 + 5 }, () => 40);
    const store = await storeWith({ room: [...old, 29, 1], direct: [31, 2] });
    const batches: number[] = [];
    const prune = store.pruneOlderThan.bind(store);
    store.pruneOlderThan = async (cutoff, size) => {
      const removed = await prune(cutoff, size);
      batches.push(removed);
      return removed;
    };
    await expect(service(store, 30).pruneNow(NOW)).resolves.toBe(old.length + 1);
    expect(batches).toEqual([PRUNE_BATCH_SIZE, PRUNE_BATCH_SIZE, 6]);
    expect((await store.roomPage({ room: 'lobby', limit: 10 })).messages.map((m) => m.text)).toEqual(['29d', '1d']);
    expect((await store.directPage({ userA: 'ada', userB: 'bob', limit: 10 }))!.messages.map((m) => m.text)).toEqual(['2d']);
    await expect(store.lastSeq('lobby')).resolves.toBe(old.length + 2);
  });

  it('lets the event loop run between batches', async () => {
    const store = await storeWith({ room: Array.from({ length: PRUNE_BATCH_SIZE * 3 }, () => 40), direct: [] });
    const prune = store.pruneOlderThan.bind(store);
    // Counts event-loop turns; a prune that only chained promises would see one turn throughout.
    let turns = 0;
    let ticking = true;
    const tick = (): void => {
      turns += 1;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const turnsSeen: number[] = [];
    store.pruneOlderThan = (cutoff, size) => {
      turnsSeen.push(turns);
      return prune(cutoff, size);
    };
    await service(store, 30).pruneNow(NOW);
    ticking = false;
    expect(turnsSeen).toHaveLength(4);
    expect(new Set(turnsSeen).size).toBe(4);
  });

  it('survives a failing store and reports what it removed', async () => {
    const store = await storeWith({ room: [40], direct: [] });
    store.pruneOlderThan = async () => {
      throw new Error('database is gone');
    };
    await expect(service(store, 30).pruneNow(NOW)).resolves.toBe(0);
  });
});
