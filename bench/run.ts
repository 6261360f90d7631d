/**
 * The benchmark runner: `npm run bench` (full) or `npm run bench -- --quick` (smoke).
 * Starts the gateway (dist/main.js) and the reference server as child processes, drives them
 * with load processes, and writes bench/results/<time>.json, .md and .svg (kept on this machine:
 * bench/results/ is not in git) plus the latest numbers and chart into docs/benchmarks.md and
 * docs/benchmarks-latest.svg.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { RunContext, errorMessage } from './lib/context.js';
import { computeChecks, computeFigures, MESSAGING_SCENARIOS, messagingResults, type ScenarioResults } from './lib/figures.js';
import { type BenchOptions, parseOptions } from './lib/options.js';
import { type ProfileSummary, summarizeProfile } from './lib/profile.js';
import { type BenchResults, describeEnvironment, ratioChart, reportMarkdown, updateDocs } from './lib/report.js';
import { runCluster } from './lib/scenarios/cluster.js';
import { runIdle } from './lib/scenarios/idle.js';
import { messagingDefinitions, runMessaging } from './lib/scenarios/messaging.js';
import { GATEWAY_ENTRY, gatewayRootOf, killLiveChildren, type ServerKind } from './lib/servers.js';
import { median } from './lib/stats.js';
import { type Validation, validate } from './lib/validate.js';

async function runValidation(ctx: RunContext): Promise<Validation> {
  let started = 0;
  const fresh = (kind: ServerKind) => async () => {
    const server = await ctx.startServer(kind, `${kind}-validation-${++started}`);
    return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
  };
  return validate(fresh('gateway'), fresh('reference'));
}

function automaticNotes(ctx: RunContext, scenarios: ScenarioResults): void {
  const messaging = messagingResults(scenarios);
  const windows = messaging.flatMap((r) => [
    ...r.fixedLoad.runs.gateway,
    ...r.fixedLoad.runs.reference,
    ...[...r.saturation.gateway, ...r.saturation.reference].flatMap((s) => s.steps),
  ]);
  if (windows.length) {
    const other = windows.map((w) => w.otherCores);
    ctx.note(
      `Server, load processes and everything else share this machine's ${cpus().length} cores. Across all measured windows, other processes used ` +
        `a median ${median(other).toFixed(2)} cores (up to ${Math.max(...other).toFixed(2)}), the load processes a median ` +
        `${median(windows.map((w) => w.clientCores)).toFixed(2)}. CPU per message is read from the server process alone and is the steadiest ` +
        'figure; saturation and latency move with the background load (each window lists it in the JSON and the tables below).',
    );
  }
  const databases = readdirSync(ctx.tmpDir, { recursive: true, encoding: 'utf8' }).filter((f) => basename(f).startsWith('chat.db'));
  const written = databases.some((f) => statSync(join(ctx.tmpDir, f)).size > 0);
  ctx.note(
    written
      ? 'The gateway ran with SQLite persistence on (a fresh database file per server start).'
      : 'The gateway was given a SQLite DATABASE_URL but wrote no database file: this build keeps messages in memory, so persistence cost is not in these figures yet.',
  );
  if (ctx.options.referenceWithGatewayModules) {
    ctx.note(
      "Diagnostic run (--reference-with-gateway-modules): the reference also loaded the gateway's module graph, so both servers carried the same heap of code. These are not the figures the targets define.",
    );
  }
  ctx.note(
    'The gateway runs with PRESENCE_BROADCAST=false: presence:online goes to every socket, O(n^2) while thousands connect, and the reference has no presence.',
  );
}

interface OutputTarget {
  outDir: string;
  stamp: string;
  docsPath?: string;
}

function writeOutputs(target: OutputTarget, results: BenchResults): { jsonPath: string; reportPath: string; chartPath: string } {
  const out = target.outDir;
  mkdirSync(out, { recursive: true });
  const base = join(out, target.stamp);
  const jsonPath = `${base}.json`;
  const reportPath = `${base}.md`;
  const chartPath = `${base}.svg`;
  for (const profile of profilesOf(results)) {
    if (!existsSync(profile.flameGraph) || profile.flameGraph.startsWith(`${base}-`)) continue;
    const kept = `${base}-flame-${profile.server}-${profile.scenario}.svg`;
    copyFileSync(profile.flameGraph, kept);
    profile.flameGraph = kept;
  }
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(chartPath, ratioChart(results.figures, `Gateway vs plain socket.io, ${results.startedAt.slice(0, 16)} (${results.mode})`));
  writeFileSync(reportPath, reportMarkdown(results, out, basename(chartPath)));
  if (target.docsPath) updateDocs(target.docsPath, results, reportPath, chartPath);
  return { jsonPath, reportPath, chartPath };
}

function profilesOf(results: BenchResults): ProfileSummary[] {
  return messagingResults(results.scenarios).flatMap((scenario) => scenario.profiles);
}

/** Rebuilds report, chart and docs from a results file; profiles are summarised again when their files are still there. */
function rerender(options: BenchOptions, file: string): void {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  for (const scenario of messagingResults(results.scenarios)) {
    scenario.profiles = scenario.profiles.map((p) =>
      existsSync(p.path)
        ? summarizeProfile(
            p.path,
            { server: p.server, scenario: p.scenario, deliveries: p.deliveries },
            gatewayRootOf(results.options.gatewayEntry ?? GATEWAY_ENTRY),
          )
        : p,
    );
  }
  results.figures = computeFigures(results.scenarios);
  results.checks = computeChecks(results.scenarios, Math.max(...results.options.idleSteps), results.options.clusterConnections);
  // A diagnostic run's figures never become the docs' latest ones, re-rendered or not.
  const docsPath = results.options.referenceWithGatewayModules ? undefined : options.docsPath;
  const written = writeOutputs({ outDir: dirname(file), stamp: basename(file, '.json'), docsPath }, results);
  process.stdout.write(`rewrote ${written.reportPath}, ${written.chartPath}${docsPath ? ` and ${docsPath}` : ''}\n`);
}

async function main(options: BenchOptions): Promise<number> {
  const ctx = new RunContext(options);
  ctx.say(`mode ${options.mode}, ${options.repetitions} repetition(s), scenarios: ${options.scenarios.join(', ')}`);
  if (!existsSync(options.gatewayEntry)) throw new Error(`${options.gatewayEntry} is missing: run npm run bench:build first`);
  const environment = describeEnvironment(options.gatewayEntry);
  const scenarios: ScenarioResults = {};
  const results: BenchResults = {
    schema: 1,
    mode: options.mode,
    startedAt: ctx.startedAt.toISOString(),
    finishedAt: '',
    durationSeconds: 0,
    command: `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    environment,
    options,
    scenarios,
    figures: [],
    checks: [],
    notes: ctx.notes,
  };
  let failures = 0;
  if (options.scenarios.includes('validate')) {
    try {
      results.validation = await runValidation(ctx);
      ctx.say(
        `validation: ${results.validation.passed ? 'passed' : 'FAILED'}; ${results.validation.extraEvents.join(', ') || 'no extra events'}`,
      );
      if (!results.validation.passed) {
        failures += 1;
        for (const m of [
          ...results.validation.hotPathDifferences,
          ...results.validation.gateway.mismatches,
          ...results.validation.reference.mismatches,
        ])
          ctx.say(`  ${m}`);
      }
    } catch (error) {
      results.validationError = errorMessage(error);
      failures += 1;
      ctx.say(`validation FAILED: ${results.validationError}`);
    }
    const rawBroken =
      results.validation && !(results.validation.gateway.rawMatchesSocketIoClient && results.validation.reference.rawMatchesSocketIoClient);
    if (rawBroken) throw new Error('the raw load client disagrees with socket.io-client: no figure would be trustworthy');
  }
  const definitions = messagingDefinitions(ctx);
  const saveProgress = (): void => {
    writeFileSync(join(ctx.tmpDir, 'partial.json'), JSON.stringify(results, null, 2));
  };
  for (const name of MESSAGING_SCENARIOS) {
    if (!options.scenarios.includes(name)) continue;
    ctx.say(`== ${name}: ${definitions[name].title}`);
    scenarios[name] = await runMessaging(ctx, definitions[name]);
    if (scenarios[name]!.error) failures += 1;
    saveProgress();
  }
  if (options.scenarios.includes('idle')) {
    ctx.say(`== idle: up to ${Math.max(...options.idleSteps)} connections per server, hold ${options.holdSeconds}s`);
    scenarios.idle = await runIdle(ctx);
    if (scenarios.idle.error) failures += 1;
    saveProgress();
  }
  if (options.scenarios.includes('cluster')) {
    ctx.say(`== cluster: ${options.clusterConnections} connections on ${options.clusterNodes} nodes`);
    scenarios.cluster = await runCluster(ctx);
    if (scenarios.cluster.runs.some((r) => r.error)) failures += 1;
    saveProgress();
  }
  automaticNotes(ctx, scenarios);
  results.figures = computeFigures(scenarios);
  results.checks = computeChecks(scenarios, Math.max(...options.idleSteps), options.clusterConnections);
  results.finishedAt = new Date().toISOString();
  results.durationSeconds = Math.round((Date.parse(results.finishedAt) - ctx.startedAt.getTime()) / 1000);
  const { jsonPath, reportPath, chartPath } = writeOutputs(
    { outDir: options.outDir, stamp: ctx.stamp, docsPath: options.docsPath },
    results,
  );
  for (const f of results.figures) {
    const ratio = Number.isFinite(f.ratio.median) ? f.ratio.median.toFixed(2) : 'n/a';
    ctx.say(
      `${f.status.toUpperCase().padEnd(7)} ${f.label}: ratio ${ratio}${f.target ? ` (target ${f.target.op} ${f.target.value})` : ''}`,
    );
  }
  for (const c of results.checks) ctx.say(`${c.status.toUpperCase().padEnd(7)} ${c.label}: ${c.value}`);
  ctx.say(`wrote ${jsonPath}, ${reportPath}, ${chartPath}${options.docsPath ? ` and ${options.docsPath}` : ''}`);
  return failures;
}

process.on('exit', killLiveChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killLiveChildren();
    process.exit(130);
  });
}

let options: BenchOptions;
try {
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${errorMessage(error)}\n`);
  process.exit(2);
}
if (options.rerender) {
  rerender(options, options.rerender);
  process.exit(0);
}
main(options).then(
  (failures) => {
    if (failures > 0) process.stderr.write(`bench: ${failures} scenario(s) failed to run; see the report\n`);
    process.exit(failures > 0 ? 1 : 0);
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
