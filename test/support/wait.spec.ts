import { describe, expect, it } from '@jest/globals';
import { eventually, within } from './wait.js';

/** The two waits every suite relies on: each must end, and say what it waited for. */
describe('within', () => {
  it('resolves with the promise when it settles in time', async () => {
    await expect(within(Promise.resolve(42), 'the answer', 100)).resolves.toBe(42);
  });

  it('rejects after the bound, naming what it waited for', async () => {
    await expect(within(new Promise<never>(() => undefined), 'a reply that never comes', 20)).rejects.toThrow(
      'timed out after 20 ms waiting for a reply that never comes',
    );
  });
});

describe('eventually', () => {
  it('resolves once the check holds', async () => {
    let calls = 0;
    await eventually(() => ++calls === 3, 'the third call', 1000, 1);
    expect(calls).toBe(3);
  });

  it('rejects after the bound, naming the condition, and stops polling', async () => {
    let calls = 0;
    await expect(eventually(() => (calls++, false), 'it never holds', 30, 1)).rejects.toThrow(
      'timed out after 30 ms waiting until it never holds',
    );
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(after);
  });

  it('rejects after the bound when a check itself never answers', async () => {
    await expect(eventually(() => new Promise<boolean>(() => undefined), 'a hanging check holds', 30)).rejects.toThrow(
      'timed out after 30 ms waiting until a hanging check holds',
    );
  });

  it('passes on the error of a check that fails', async () => {
    await expect(
      eventually(
        () => {
          throw new Error('the check broke');
        },
        'never',
        1000,
      ),
    ).rejects.toThrow('the check broke');
  });
});
