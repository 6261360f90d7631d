import { describe, expect, it } from '@jest/globals';
import { QueryGate } from './query-gate.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('QueryGate', () => {
  it('runs at most `limit` tasks at once, the rest in arrival order', async () => {
    const gate = new QueryGate(2, 10_000);
    const started: number[] = [];
    const blockers = [deferred(), deferred(), deferred()];
    const runs = blockers.map((blocker, i) =>
      gate.run(async () => {
        started.push(i);
        await blocker.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    blockers[1]!.resolve();
    await runs[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    blockers[0]!.resolve();
    blockers[2]!.resolve();
    await expect(Promise.all(runs)).resolves.toEqual([0, 1, 2]);
  });

  it('fails a task that waited too long and still frees the slot of one that failed', async () => {
    const gate = new QueryGate(1, 50);
    const blocker = deferred();
    const first = gate.run(() => blocker.promise);
    await expect(gate.run(async () => 'late')).rejects.toThrow('database busy');
    blocker.resolve();
    await first;
    await expect(
      gate.run(async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(gate.run(async () => 'next')).resolves.toBe('next');
  });
});
