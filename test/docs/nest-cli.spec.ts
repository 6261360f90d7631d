import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/**
 * nest-cli.json describes the same build as `npm run build` (tsc -p tsconfig.build.json) and the
 * same entry as `npm start` (node dist/main.js), so `nest build` / `nest start`, where
 * @nestjs/cli is installed, produce and run what the scripts do. The CLI is not a dependency of
 * the project; this keeps the file from drifting away from the build it describes.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const json = <T>(path: string): T => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as T;

interface NestCli {
  sourceRoot: string;
  entryFile?: string;
  compilerOptions: { builder?: string; tsConfigPath: string; plugins?: unknown[]; webpack?: boolean; assets?: unknown[] };
}

interface TsConfig {
  extends?: string;
  compilerOptions: { rootDir: string; outDir: string };
  include: string[];
}

interface PackageJson {
  type: string;
  scripts: Record<string, string>;
}

describe('nest-cli.json', () => {
  const cli = json<NestCli>('nest-cli.json');
  const build = json<TsConfig>(cli.compilerOptions.tsConfigPath);
  const pkg = json<PackageJson>('package.json');

  it('compiles with plain tsc from the tsconfig npm run build uses, with nothing added to the output', () => {
    expect(cli.compilerOptions.builder ?? 'tsc').toBe('tsc');
    expect(cli.compilerOptions.webpack ?? false).toBe(false);
    expect(pkg.scripts.build).toBe(`tsc -p ${cli.compilerOptions.tsConfigPath}`);
    // A CLI plugin (the swagger one, say) rewrites the emitted code; the scripts' build has none.
    expect(cli.compilerOptions.plugins ?? []).toEqual([]);
    expect(cli.compilerOptions.assets ?? []).toEqual([]);
  });

  it('has the source root the build compiles and starts the file npm start runs', () => {
    expect(normalize(build.compilerOptions.rootDir)).toBe(normalize(cli.sourceRoot));
    expect(build.include).toEqual([cli.sourceRoot]);
    // `nest start` runs node <outDir>/<entryFile>; an ES module package (type: module) still finds
    // the .js file, as Node resolves the main entry's extension itself.
    expect(pkg.type).toBe('module');
    const started = join(build.compilerOptions.outDir, `${cli.entryFile ?? 'main'}.js`);
    expect(pkg.scripts.start).toBe(`node ${started}`);
  });
});
