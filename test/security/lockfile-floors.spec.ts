import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';

/**
 * Minimum versions of the realtime stack: releases below these carry known denial-of-service or
 * parser bugs (crafted packets crashing the server, unbounded attachments, header floods).
 */
const FLOORS: Readonly<Record<string, string>> = {
  'socket.io': '4.8.3',
  'engine.io': '6.6.9',
  ws: '8.21.0',
  'socket.io-parser': '4.2.6',
};

const ROOT = join(import.meta.dirname, '..', '..');

interface Lockfile {
  lockfileVersion: number;
  packages: Record<string, { version?: string; link?: boolean }>;
}

/** [major, minor, patch, isRelease]: a pre-release sorts below its release. */
function parse(version: string): [number, number, number, number] {
  const match = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+.*)?$/.exec(version);
  if (!match) throw new Error(`not a semver version: ${version}`);
  return [Number(match[1]), Number(match[2]), Number(match[3]), match[4] ? 0 : 1];
}

function atLeast(version: string, floor: string): boolean {
  const a = parse(version);
  const b = parse(floor);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return true;
}

function installed(lock: Lockfile, name: string): Array<{ path: string; version: string }> {
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.endsWith(`node_modules/${name}`) && !entry.link)
    .map(([path, entry]) => ({ path, version: entry.version ?? '(none)' }));
}

describe('lockfile floors', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };

  it('compares versions correctly', () => {
    expect(atLeast('4.8.3', '4.8.3')).toBe(true);
    expect(atLeast('4.10.0', '4.8.3')).toBe(true);
    expect(atLeast('5.0.0', '4.8.3')).toBe(true);
    expect(atLeast('4.8.2', '4.8.3')).toBe(false);
    expect(atLeast('4.8.3-rc.1', '4.8.3')).toBe(false);
    expect(atLeast('3.99.99', '4.8.3')).toBe(false);
  });

  it('is a lockfile with a packages map', () => {
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    expect(typeof lock.packages).toBe('object');
  });

  it.each(Object.entries(FLOORS))('every copy of %s is at least %s', (name, floor) => {
    const copies = installed(lock, name);
    expect(copies.length).toBeGreaterThan(0);
    const below = copies.filter((copy) => !atLeast(copy.version, floor));
    expect(below).toEqual([]);
  });

  it('declares no range for a floored direct dependency that starts below its floor', () => {
    const declared = { ...manifest.dependencies, ...manifest.devDependencies };
    for (const [name, floor] of Object.entries(FLOORS)) {
      const range = declared[name];
      if (range === undefined) continue;
      const lowest = /(\d+\.\d+\.\d+)/.exec(range)?.[1];
      expect({ name, range, ok: lowest !== undefined && atLeast(lowest, floor) }).toEqual({ name, range, ok: true });
    }
  });
});
