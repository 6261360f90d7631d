import { describe, expect, it } from '@jest/globals';
import { interleave } from '../../bench/lib/interleave.js';
import { parseOptions } from '../../bench/lib/options.js';
import { cpuMicrosPerRead, type WindowResult } from '../../bench/lib/scenarios/messaging.js';

describe('benchmark options', () => {
  it('leaves the fixed load to the saturation search unless --fixed-rate sets it', () => {
    expect(parseOptions([], {}).fixedRate).toBeUndefined();
    expect(parseOptions(['--fixed-rate', '49000'], {}).fixedRate).toBe(49000);
  });

  it('refuses a --fixed-rate that is not a positive number', () => {
    expect(() => parseOptions(['--fixed-rate', '0'], {})).toThrow('--fixed-rate needs a positive number');
    expect(() => parseOptions(['--fixed-rate'], {})).toThrow('--fixed-rate needs a positive number');
  });

  it('runs the reads scenario after the plain rooms, also in the quick mode, at one room:read per member and second unless --read-rate says', () => {
    for (const argv of [[], ['--quick']]) {
      const { scenarios } = parseOptions(argv, {});
      expect(scenarios.indexOf('reads')).toBe(scenarios.indexOf('rooms') + 1);
    }
    expect(parseOptions([], {}).readsPerUserPerSec).toBe(1);
    expect(parseOptions(['--read-rate', '2.5'], {}).readsPerUserPerSec).toBe(2.5);
    expect(parseOptions([], {}).restrictionsPerRoom).toBe(0);
    expect(parseOptions(['--restrictions', '20'], {}).restrictionsPerRoom).toBe(20);
    expect(() => parseOptions(['--restrictions', '-1'], {})).toThrow(/positive/);
    expect(parseOptions(['--only', 'rooms,reads'], {}).scenarios).toEqual(['rooms', 'reads']);
    expect(() => parseOptions(['--read-rate', '-1'], {})).toThrow('--read-rate needs a positive number');
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

describe('CPU per room:read', () => {
  const window = (cpuMicrosPerDelivery: number, delivered: number, readsSent?: number): WindowResult =>
    ({ cpuMicrosPerDelivery, delivered, ...(readsSent === undefined ? {} : { reads: { sent: readsSent } }) }) as WindowResult;

  it("charges the reads with the CPU the window spent beyond its deliveries at the reads-off window's cost per delivery", () => {
    // 9000 deliveries at 12 us with reads on, 11 us without: 9000 us extra over 300 reads.
    expect(cpuMicrosPerRead(window(12, 9000, 300), window(11, 9100))).toBeCloseTo(30, 9);
  });

  it('has no value for a window without reads', () => {
    expect(cpuMicrosPerRead(window(12, 9000), window(11, 9100))).toBeNaN();
    expect(cpuMicrosPerRead(window(12, 9000, 0), window(11, 9100))).toBeNaN();
  });
});
