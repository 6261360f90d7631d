import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

/**
 * Runs the benchmark harness end to end in its quick mode (tens of connections, one
 * repetition) against the real gateway and the reference, so the harness cannot rot. Only the
 * shape of the output is checked: figures from a shared, noisy machine are never asserted.
 */
const run = promisify(execFile);
const ROOT = resolve(process.cwd());
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const BUILD_MS = 180_000;
const RUN_MS = 300_000;

interface Spread {
  median: number | null;
  values: number[];
}

interface Figure {
  id: string;
  label: string;
  gateway: Spread;
  reference: Spread;
  ratio: Spread;
  status: string;
}

interface ReadWindow {
  sent: number;
  advancing: number;
  acksOk: number;
  acksFailed: number;
  unanswered: number;
  ackErrors: string[];
  ackLatency: { count: number };
}

interface FixedRun {
  repetition: number;
  delivered: number;
  reads?: ReadWindow;
}

interface MessagingScenario {
  error?: string;
  saturation: Record<string, Array<{ steps: Array<{ reads?: ReadWindow }> }>>;
  fixedLoad: { runs: Record<string, FixedRun[]>; withoutReads?: Record<string, FixedRun[]> };
}

interface Results {
  schema: number;
  mode: string;
  validation?: { passed: boolean; extraEvents: string[] };
  scenarios: Record<string, MessagingScenario | undefined>;
  figures: Figure[];
  checks: Array<{ id: string; status: string; value: string }>;
  environment: { machine: { cores: number }; versions: Record<string, string> };
}

interface ClusterResults {
  scenarios: {
    cluster: {
      runs: Array<{
        server: string;
        connections: number;
        opened: number;
        nodeStats: Array<{ connections: number }>;
        announcements: Array<{ expected: number; reached: number }>;
      }>;
    };
  };
  checks: Array<{ id: string; status: string }>;
}

describe('benchmark harness (quick smoke run)', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
  const docsPath = join(outDir, 'benchmarks.md');
  let stdout = '';
  let results: Results;
  let files: string[];

  beforeAll(
    async () => {
      // dist/ (the gateway) is built once per test run by the global setup; only the harness here.
      await run(process.execPath, [TSC, '-p', 'bench/tsconfig.json'], { cwd: ROOT, timeout: BUILD_MS });
      writeFileSync(
        docsPath,
        '# Benchmarks\n\nHand-written intro.\n\n<!-- bench:latest:start -->\nold\n<!-- bench:latest:end -->\n\nHand-written outro.\n',
      );
      const child = await run(process.execPath, ['bench/dist/bench/run.js', '--quick', '--out', outDir, '--docs', docsPath], {
        cwd: ROOT,
        timeout: RUN_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
      stdout = child.stdout;
      files = readdirSync(outDir);
      const json = files.find((f) => /^\d{4}-.*\d\.json$/.test(f));
      if (!json) throw new Error(`no results JSON in ${outDir}: ${files.join(', ')}\n${stdout}`);
      results = JSON.parse(readFileSync(join(outDir, json), 'utf8')) as Results;
    },
    BUILD_MS * 2 + RUN_MS,
  );

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('prints progress and the figures as it goes', () => {
    expect(stdout).toMatch(/\[bench +\d+s\] mode quick/);
    expect(stdout).toMatch(/fanout rep 1 gateway step 1: offered/);
    expect(stdout).toMatch(/wrote .*\.json/);
  });

  it('validates the raw load client against socket.io-client on both servers', () => {
    expect(results.validation?.passed).toBe(true);
  });

  it('runs every single-node scenario against both servers without a harness error', () => {
    expect(results.schema).toBe(1);
    expect(results.mode).toBe('quick');
    for (const name of ['fanout', 'rooms', 'reads', 'direct', 'idle']) {
      expect(results.scenarios[name]).toBeDefined();
      expect(results.scenarios[name]?.error).toBeUndefined();
    }
  });

  it('reports every figure as a gateway/reference pair with one value per repetition', () => {
    const ids = results.figures.map((f) => f.id).sort();
    expect(ids).toEqual(
      [
        ...['fanout', 'rooms', 'reads', 'direct'].flatMap((s) => [
          `cpu.${s}`,
          `cpu-shared-load.${s}`,
          `saturation.${s}`,
          `latency-p50.${s}`,
          `latency-p99.${s}`,
          `latency-p999.${s}`,
        ]),
        'cpu-without-reads.reads',
        'cpu-per-read.reads',
        'read-ack-p50.reads',
        'read-ack-p99.reads',
        'memory-rss.idle',
        'memory-heap.idle',
        'connect-rate.idle',
      ].sort(),
    );
    for (const figure of results.figures) {
      // The equal-load figure exists only where both servers passed a step of the same load.
      if (figure.id.startsWith('cpu-shared-load.')) {
        expect(figure.gateway.values.length).toBeLessThanOrEqual(1);
        expect(figure.ratio.values).toHaveLength(figure.gateway.values.length);
        continue;
      }
      expect(figure.gateway.values).toHaveLength(1);
      expect(figure.reference.values).toHaveLength(1);
      expect(figure.ratio.values).toHaveLength(1);
      // A tiny window can record zero CPU ticks (and the reads' extra CPU can come out below zero
      // for the reference); JSON then carries null instead of a number.
      expect(figure.ratio.median === null || typeof figure.ratio.median === 'number').toBe(true);
      expect(['pass', 'fail', 'info', 'missing']).toContain(figure.status);
    }
    expect(results.checks.map((c) => c.id)).toEqual(['read-acks', 'idle-hold']);
    expect(results.environment.machine.cores).toBeGreaterThan(0);
    expect(results.environment.versions['socket.io']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('writes a Markdown report with the chart and the profiles, and an SVG chart', () => {
    const stem = files.find((f) => /^\d{4}-.*\d\.json$/.test(f))!.replace(/\.json$/, '');
    const report = readFileSync(join(outDir, `${stem}.md`), 'utf8');
    expect(report).toContain('| Figure | Gateway | Reference | Ratio gateway/reference | Target | Status |');
    expect(report).toContain(`](${stem}.svg)`);
    expect(report).toContain('## CPU profiles');
    const chart = readFileSync(join(outDir, `${stem}.svg`), 'utf8');
    expect(chart.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(chart.trimEnd().endsWith('</svg>')).toBe(true);
    expect(report).toContain('| CPU us/delivery, reads on | CPU us/delivery, reads off | CPU us per room:read |');
    expect(files.filter((f) => f.includes('-flame-gateway-'))).toHaveLength(4);
  });

  it('moves read markers in the reads scenario: every member sends room:read with the latest seq it received, each answered without an error', () => {
    const reads = results.scenarios.reads!;
    for (const kind of ['gateway', 'reference']) {
      const [withReads] = reads.fixedLoad.runs[kind]!;
      const [withoutReads] = reads.fixedLoad.withoutReads![kind]!;
      expect(withoutReads!.repetition).toBe(withReads!.repetition);
      expect(withoutReads!.reads).toBeUndefined();
      const r = withReads!.reads!;
      expect(r.sent).toBeGreaterThan(0);
      // Reads carry the latest seq received, so some move the marker forward; in windows this
      // short, only the first rooms get messages, so it is counted over all of the scenario's windows.
      const windows = [...reads.saturation[kind]!.flatMap((run) => run.steps), withReads!];
      expect(windows.reduce((sum, w) => sum + (w.reads?.advancing ?? 0), 0)).toBeGreaterThan(0);
      expect({ kind, ok: r.acksOk, refused: r.acksFailed, unanswered: r.unanswered, errors: r.ackErrors }).toEqual({
        kind,
        ok: r.sent,
        refused: 0,
        unanswered: 0,
        errors: [],
      });
      expect(r.ackLatency.count).toBe(r.sent);
    }
    expect(results.checks.find((c) => c.id === 'read-acks')).toMatchObject({ status: 'pass' });
  });

  it("preloads the gateway's module graph into a process for --reference-with-gateway-modules, and refuses without the file", async () => {
    const preload = join(ROOT, 'bench', 'dist', 'bench', 'lib', 'gateway-modules.js');
    const show = 'process.stdout.write(Object.keys(globalThis.benchGatewayModules ?? {}).join(","))';
    const env = { ...process.env, BENCH_GATEWAY_APP_MODULE: join(ROOT, 'dist', 'app.module.js') };
    const loaded = await run(process.execPath, ['--import', preload, '-e', show], { cwd: ROOT, env, timeout: 30_000 });
    expect(loaded.stdout.split(',')).toContain('AppModule');
    const { BENCH_GATEWAY_APP_MODULE: _unset, ...without } = env;
    await expect(run(process.execPath, ['--import', preload, '-e', show], { cwd: ROOT, env: without, timeout: 30_000 })).rejects.toThrow(
      /BENCH_GATEWAY_APP_MODULE must name the gateway's dist\/app\.module\.js/,
    );
  });

  it("re-renders a diagnostic run without making its figures the docs' latest", async () => {
    const json = files.find((f) => /^\d{4}-.*\d\.json$/.test(f))!;
    const diagnostic = join(outDir, `diagnostic-${json}`);
    const raw = JSON.parse(readFileSync(join(outDir, json), 'utf8')) as { options: Record<string, unknown> };
    writeFileSync(diagnostic, JSON.stringify({ ...raw, options: { ...raw.options, referenceWithGatewayModules: true } }));
    const docsBefore = readFileSync(docsPath, 'utf8');
    const { stdout: said } = await run(process.execPath, ['bench/dist/bench/run.js', '--rerender', diagnostic, '--docs', docsPath], {
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(said).toMatch(/^rewrote .*diagnostic-.*\.md, .*\.svg\n$/);
    expect(readFileSync(docsPath, 'utf8')).toBe(docsBefore);
  });

  it('lists the heap each dependency of the gateway holds once imported', async () => {
    const { stdout: table } = await run(process.execPath, ['--expose-gc', 'bench/dist/bench/module-heap.js'], {
      cwd: ROOT,
      timeout: 60_000,
    });
    expect(table).toMatch(/MB {2}@nestjs\/core\n/);
    expect(table).toMatch(/MB {2}the gateway's own modules \(dist\/app\.module\.js\)\n/);
    expect(table).toMatch(/MB {2}in all \(\d+ imports\), on top of +[\d.]+ MB of an empty process\n$/);
  });

  it(
    'runs the cluster scenario on real gateway nodes over Redis, every announcement reaching every connection',
    async () => {
      const clusterOut = mkdtempSync(join(tmpdir(), 'bench-smoke-cluster-'));
      try {
        await run(process.execPath, ['bench/dist/bench/run.js', '--quick', '--only', 'cluster', '--out', clusterOut, '--no-docs'], {
          cwd: ROOT,
          timeout: RUN_MS,
          maxBuffer: 16 * 1024 * 1024,
        });
        const json = readdirSync(clusterOut).find((f) => /^\d{4}-.*\d\.json$/.test(f))!;
        const cluster = JSON.parse(readFileSync(join(clusterOut, json), 'utf8')) as ClusterResults;
        const [gateway] = cluster.scenarios.cluster.runs;
        expect(gateway!.server).toBe('gateway');
        expect(gateway!.opened).toBe(gateway!.connections);
        // Each node holds some of the connections, so an announcement made on one crosses Redis.
        expect(gateway!.nodeStats.every((node) => node.connections > 0)).toBe(true);
        expect(gateway!.announcements.length).toBeGreaterThan(0);
        for (const announcement of gateway!.announcements) expect(announcement.reached).toBe(announcement.expected);
        expect(cluster.checks.map((c) => c.id)).toEqual(['cluster-announcement']);
      } finally {
        rmSync(clusterOut, { recursive: true, force: true });
      }
    },
    RUN_MS,
  );

  it('replaces only the generated block of the docs page', () => {
    const docs = readFileSync(docsPath, 'utf8');
    expect(docs.startsWith('# Benchmarks\n\nHand-written intro.\n')).toBe(true);
    expect(docs.trimEnd().endsWith('Hand-written outro.')).toBe(true);
    expect(docs).not.toContain('\nold\n');
    expect(docs).toContain('| Figure | Gateway | Reference |');
  });

  it('links nothing from the docs page into the run files (not in git), and puts the chart beside it', () => {
    const docs = readFileSync(docsPath, 'utf8');
    const stem = files.find((f) => /^\d{4}-.*\d\.json$/.test(f))!.replace(/\.json$/, '');
    expect(docs).toContain('![Ratios gateway/reference against targets](benchmarks-latest.svg)');
    expect(readFileSync(join(outDir, 'benchmarks-latest.svg'), 'utf8')).toBe(readFileSync(join(outDir, `${stem}.svg`), 'utf8'));
    const links = [...docs.matchAll(/\]\(([^)]+)\)/g)].map((match) => match[1]);
    expect(links).toEqual(['benchmarks-latest.svg']);
  });
});
