/**
 * How much V8 heap each of the gateway's dependencies holds once imported, and the gateway's own
 * modules on top: the heap the gateway carries before its first connection, which plain
 * socket.io does not (docs/benchmarks.md, why the 10-member rooms' p99 is longer). Packages are
 * imported one after another in one process, so a package's figure leaves out what earlier ones
 * already loaded; the heap is read after two full collections.
 *
 *   npm run bench:module-heap
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './lib/servers.js';

/** Foundations first, so each later package is charged only for what it adds. */
const LOAD_ORDER = [
  'reflect-metadata',
  'rxjs',
  '@nestjs/common',
  '@nestjs/core',
  'express',
  '@nestjs/platform-express',
  'socket.io',
  '@nestjs/websockets',
  '@nestjs/platform-socket.io',
  'class-validator',
  'class-transformer',
  'pino',
  'pino-http',
  'nestjs-pino',
];
/** Native addons with nothing to import as a module of their own. */
const NOT_IMPORTED = new Set(['bufferutil']);

function exposedGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:module-heap does)');
  return gc;
}
const collect = exposedGc();

function heapUsed(): number {
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const dependencies = Object.keys(manifest.dependencies).filter((name) => !NOT_IMPORTED.has(name));
const order = [...LOAD_ORDER.filter((name) => dependencies.includes(name)), ...dependencies.filter((name) => !LOAD_ORDER.includes(name))];
const targets = [...order, pathToFileURL(join(REPO_ROOT, 'dist', 'app.module.js')).href];

const kept: unknown[] = [];
const start = heapUsed();
let last = start;
const rows: Array<[string, number]> = [];
for (const target of targets) {
  kept.push(await import(target));
  const now = heapUsed();
  rows.push([target.startsWith('file:') ? "the gateway's own modules (dist/app.module.js)" : target, now - last]);
  last = now;
}
const mb = (bytes: number): string => (bytes / 1e6).toFixed(2).padStart(6);
for (const [name, bytes] of rows.sort((a, b) => b[1] - a[1])) process.stdout.write(`${mb(bytes)} MB  ${name}\n`);
process.stdout.write(`${mb(last - start)} MB  in all (${kept.length} imports), on top of ${mb(start)} MB of an empty process\n`);
