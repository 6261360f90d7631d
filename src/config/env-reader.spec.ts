import { describe, expect, it } from '@jest/globals';
import { EnvReader } from './env-reader.js';

describe('EnvReader', () => {
  it('reads trimmed strings and falls back on blank ones', () => {
    const env = new EnvReader({ A: ' x ', B: '   ' });
    expect(env.string('A', 'd')).toBe('x');
    expect(env.string('B', 'd')).toBe('d');
    expect(env.string('C')).toBeUndefined();
  });

  it('collects a problem per bad value instead of stopping', () => {
    const env = new EnvReader({ N: 'x', M: '5', B: 'perhaps', O: 'z' });
    expect(env.int('N', 1, 0, 10)).toBe(1);
    expect(env.int('M', 1, 0, 4)).toBe(1);
    expect(env.bool('B', true)).toBe(true);
    expect(env.oneOf('O', ['a', 'b'], 'a')).toBe('a');
    expect(env.problems).toEqual([
      'N must be an integer from 0 to 10 (got "x")',
      'M must be an integer from 0 to 4 (got "5")',
      'B must be true or false (got "perhaps")',
      'O must be one of a, b (got "z")',
    ]);
  });

  it('returns undefined for an unset optional int', () => {
    expect(new EnvReader({}).int('N', undefined, 0, 1)).toBeUndefined();
  });

  it('never shows the value of a secret', () => {
    const env = new EnvReader({ KEY: 'hunter2' }, new Set(['KEY']));
    env.problem('KEY', 'is wrong');
    expect(env.problems).toEqual(['KEY is wrong']);
  });

  it('splits lists and drops empty items', () => {
    expect(new EnvReader({ L: 'a, b,,c ' }).list('L')).toEqual(['a', 'b', 'c']);
    expect(new EnvReader({}).list('L')).toBeUndefined();
  });
});
