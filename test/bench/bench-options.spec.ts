import { describe, expect, it } from '@jest/globals';
import { interleave } from '../../bench/lib/interleave.js';
import { parseOptions } from '../../bench/lib/options.js';

describe('benchmark options', () => {
  it('leaves the fixed load to the saturation search unless --fixed-rate sets it', () => {
    expect(parseOptions([], {}).fixedRate).toBeUndefined();
    expect(parseOptions(['--fixed-rate', '49000'], {}).fixedRate).toBe(49000);
  });

  it('refuses a --fixed-rate that is not a positive number', () => {
    expect(() => parseOptions(['--fixed-rate', '0'], {})).toThrow('--fixed-rate needs a positive number');
    expect(() => parseOptions(['--fixed-rate'], {})).toThrow('--fixed-rate needs a positive number');
  });

  it('never lets a run with the gateway-modules reference write the latest figures into the docs', () => {
    expect(parseOptions([], {}).referenceWithGatewayModules).toBe(false);
    const diagnostic = parseOptions(['--reference-with-gateway-modules', '--docs', 'docs/benchmarks.md'], {});
    expect(diagnostic.referenceWithGatewayModules).toBe(true);
    expect(diagnostic.docsPath).toBeUndefined();
  });
});

describe('interleave', () => {
  it('takes one of each list in turn and keeps every element once', () => {
    expect(
      interleave([
        ['g0', 'g1', 'g2'],
        ['r0', 'r1', 'r2'],
      ]),
    ).toEqual(['g0', 'r0', 'g1', 'r1', 'g2', 'r2']);
  });

  it('puts the rest of a longer list at the end', () => {
    expect(interleave([[1, 2, 3, 4], [10]])).toEqual([1, 10, 2, 3, 4]);
    expect(interleave<number>([[], []])).toEqual([]);
  });
});
