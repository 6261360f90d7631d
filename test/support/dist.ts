import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/**
 * The checkout: the nearest directory above this file with a package.json. Not a fixed number of
 * levels, because the benchmark compiles this file to bench/dist/test/support/ as well.
 */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
  return dir;
}

export const ROOT = checkoutRoot();
export const MAIN_JS = join(ROOT, 'dist', 'main.js');

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Builds dist/ the way `npm run build` does when it is missing or older than a source file, so
 * tests that spawn `node dist/main.js` always run the current code (CI starts from a clean clone).
 */
let building: Promise<void> | undefined;

export function ensureBuilt(): Promise<void> {
  const sources = Math.max(newestSourceMtime(join(ROOT, 'src')), mtimeOf(join(ROOT, 'tsconfig.build.json')));
  if (mtimeOf(MAIN_JS) > sources) return Promise.resolve();
  // One build at a time: suites that start several processes at once must not run tsc twice.
  building ??= build().finally(() => (building = undefined));
  return building;
}

async function build(): Promise<void> {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180_000 });
}
