import { describe, expect, it } from '@jest/globals';
import { nestsDeeperThan } from './json-bodies.js';

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

describe('nestsDeeperThan', () => {
  it('counts the body itself as the first level and scalars as none', () => {
    expect(nestsDeeperThan(nested(3), 3)).toBe(false);
    expect(nestsDeeperThan(nested(4), 3)).toBe(true);
    for (const scalar of [undefined, null, 'x', 1, true]) expect(nestsDeeperThan(scalar, 0)).toBe(false);
    expect(nestsDeeperThan({}, 0)).toBe(true);
  });

  it('finds the deepest branch among wide siblings', () => {
    expect(nestsDeeperThan({ a: 1, b: [1, 2, { c: nested(1) }], d: {} }, 4)).toBe(false);
    expect(nestsDeeperThan({ a: 1, b: [1, 2, { c: nested(2) }], d: {} }, 4)).toBe(true);
  });

  it('answers for a million levels (no recursion to overflow) and for a wide flat body', () => {
    expect(nestsDeeperThan(nested(1_000_000), 32)).toBe(true);
    expect(nestsDeeperThan(nested(1_000_000), 1_000_000)).toBe(false);
    expect(nestsDeeperThan({ list: Array.from({ length: 100_000 }, (_, i) => ({ i })) }, 3)).toBe(false);
  });
});
