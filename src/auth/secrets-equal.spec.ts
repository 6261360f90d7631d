import { describe, expect, it, jest } from '@jest/globals';
// Bound before the mock below is registered: the real module, for the mock to delegate to.
import * as actual from 'node:crypto';

/** timingSafeEqual, observed: which byte lengths were compared, and how often. */
const comparedLengths: number[] = [];
jest.unstable_mockModule('node:crypto', () => {
  const timingSafeEqual: typeof actual.timingSafeEqual = (a, b) => {
    comparedLengths.push(a.byteLength, b.byteLength);
    return actual.timingSafeEqual(a, b);
  };
  return { ...actual, default: { ...actual, timingSafeEqual }, timingSafeEqual };
});
const { secretsEqual } = await import('./credentials.js');

describe('secretsEqual in constant time', () => {
  it('runs the same constant-time comparison of equal-length values whatever the length of the presented key', () => {
    const expected = 'the-admin-key-0123456789';
    const presented = ['', 't', 'the-admin-key', 'x'.repeat(expected.length), `${expected}x`, 'y'.repeat(100_000), expected];
    const answers = presented.map((given) => secretsEqual(given, expected));
    expect(answers).toEqual([false, false, false, false, false, false, true]);
    // One comparison per call, always of two 32-byte digests: a wrong length is not answered early.
    expect(comparedLengths).toEqual(presented.flatMap(() => [32, 32]));
  });
});
