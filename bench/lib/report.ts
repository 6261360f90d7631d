import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import { type Check, type Figure, messagingResults, type ScenarioResults, type Status } from './figures.js';
import type { HeapDiff } from './heap.js';
import type { BenchOptions } from './options.js';
import { escapeXml, type ProfileSummary } from './profile.js';
import { cpuMicrosPerRead, type MessagingResult } from './scenarios/messaging.js';
import { gatewayRootOf, REPO_ROOT } from './servers.js';
import type { Spread } from './stats.js';
import type { Validation } from './validate.js';

export interface Environment {
  machine: { cpu: string; cores: number; memoryGiB: number; kernel: string; openFilesLimit: string };
  versions: Record<string, string>;
  commit: string;
}

export interface BenchResults {
  schema: 1;
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  command: string;
  environment: Environment;
  options: BenchOptions;
  validation?: Validation;
  validationError?: string;
  scenarios: ScenarioResults;
  figures: Figure[];
  checks: Check[];
  notes: string[];
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // A package the gateway dropped is reported as absent rather than failing the report.
    return 'absent';
  }
}

/** Output of a command, or undefined when it cannot run (no git, not a checkout). */
function run(command: string, args: string[], cwd = REPO_ROOT): string | undefined {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function describeEnvironment(gatewayEntry: string): Environment {
  const gatewayRoot = gatewayRootOf(gatewayEntry);
  const versions: Record<string, string> = { node: process.versions.node };
  for (const name of [
    'socket.io',
    'engine.io',
    'ws',
    '@nestjs/core',
    '@nestjs/platform-socket.io',
    'better-sqlite3',
    'pg',
    'ioredis',
    '@socket.io/redis-adapter',
  ]) {
    versions[name] = packageVersion(name);
  }
  const status = run('git', ['status', '--porcelain', '--', 'src'], gatewayRoot);
  const dirty = status !== undefined && status !== '';
  return {
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      openFilesLimit: run('sh', ['-c', 'ulimit -n']) ?? 'unknown',
    },
    versions,
    commit: `${run('git', ['rev-parse', '--short', 'HEAD'], gatewayRoot) ?? 'unknown'}${dirty ? ' (src modified)' : ''}${gatewayRoot === REPO_ROOT ? '' : ` at ${gatewayRoot}`}`,
  };
}

// ---- formatting ----

function num(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (unit === 'B') return value >= 1024 ? `${(value / 1024).toFixed(1)} KiB` : `${Math.round(value)} B`;
  if (Math.abs(value) >= 1000) return `${Math.round(value).toLocaleString('en-US')}`;
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A 0..1 share as a percentage; '-' for results recorded before the share was measured. */
function share(value: number | undefined): string {
  return value === undefined ? '-' : `${Math.round(value * 100)}%`;
}

function range(s: Spread, unit: string): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  const values = s.values.filter((v) => Number.isFinite(v));
  const suffix = unit === 'B' ? '' : ` ${unit}`;
  return values.length > 1
    ? `${num(s.median, unit)}${suffix} (${num(s.min, unit)}-${num(s.max, unit)})`
    : `${num(s.median, unit)}${suffix}`;
}

function ratioText(s: Spread): string {
  if (!Number.isFinite(s.median)) return 'n/a';
  const values = s.values.filter((v) => Number.isFinite(v));
  return values.length > 1 ? `**${s.median.toFixed(2)}** (${s.min.toFixed(2)}-${s.max.toFixed(2)})` : `**${s.median.toFixed(2)}**`;
}

const STATUS_TEXT: Record<Status, string> = { pass: 'pass', fail: '**FAIL**', info: '-', missing: 'not measured' };

function figureTable(figures: Figure[]): string {
  const rows = figures.map(
    (f) =>
      `| ${f.label} | ${range(f.gateway, f.unit)} | ${range(f.reference, f.unit)} | ${ratioText(f.ratio)} | ${f.target ? `${f.target.op} ${f.target.value}` : ''} | ${STATUS_TEXT[f.status]} |`,
  );
  return ['| Figure | Gateway | Reference | Ratio gateway/reference | Target | Status |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

function checkTable(checks: Check[]): string {
  if (checks.length === 0) return '';
  const rows = checks.map((c) => `| ${c.label} | ${c.value} | ${c.target} | ${STATUS_TEXT[c.status]} |`);
  return ['| Absolute target | Measured | Target | Status |', '|---|---|---|---|', ...rows].join('\n');
}

// ---- chart ----

const STATUS_COLOR: Record<Status, string> = { pass: '#59a14f', fail: '#e15759', info: '#9aa5b1', missing: '#dddddd' };

/** Horizontal bars of each ratio (median, with the min-max range), the 1.0 line and the targets. */
export function ratioChart(figures: Figure[], title: string): string {
  const shown = figures.filter((f) => Number.isFinite(f.ratio.median));
  const labelWidth = 430;
  const plotWidth = 520;
  const row = 26;
  const top = 50;
  const maxRatio = Math.min(
    6,
    Math.max(2, ...shown.map((f) => (Number.isFinite(f.ratio.max) ? f.ratio.max : 0)), ...shown.map((f) => f.target?.value ?? 0)) * 1.1,
  );
  const x = (v: number): number => labelWidth + (Math.min(v, maxRatio) / maxRatio) * plotWidth;
  const height = top + shown.length * row + 40;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 120}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="38" fill="#555">Ratio gateway/reference (median, line = min-max over repetitions); | = target; green pass, red fail, grey no target</text>`,
  ];
  for (let tick = 0; tick <= maxRatio + 1e-9; tick += maxRatio > 3 ? 1 : 0.5) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 4}" x2="${x(tick)}" y2="${height - 30}" stroke="#eee"/>`);
    parts.push(`<text x="${x(tick)}" y="${height - 14}" text-anchor="middle" fill="#555">${tick.toFixed(1)}</text>`);
  }
  parts.push(`<line x1="${x(1)}" y1="${top - 4}" x2="${x(1)}" y2="${height - 30}" stroke="#333" stroke-dasharray="4 3"/>`);
  shown.forEach((f, i) => {
    const y = top + i * row;
    const label = f.label.length > 70 ? `${f.label.slice(0, 69)}~` : f.label;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(label)}</text>`);
    parts.push(
      `<rect x="${labelWidth}" y="${y + 4}" width="${Math.max(1, x(f.ratio.median) - labelWidth)}" height="${row - 10}" fill="${STATUS_COLOR[f.status]}"/>`,
    );
    if (Number.isFinite(f.ratio.min) && f.ratio.max > f.ratio.min) {
      parts.push(`<line x1="${x(f.ratio.min)}" y1="${y + 12}" x2="${x(f.ratio.max)}" y2="${y + 12}" stroke="#222" stroke-width="1.5"/>`);
    }
    if (f.target)
      parts.push(
        `<line x1="${x(f.target.value)}" y1="${y + 1}" x2="${x(f.target.value)}" y2="${y + row - 3}" stroke="#000" stroke-width="2.5"/>`,
      );
    // The label goes right of everything drawn on the row, so no tick or range line crosses it.
    const rightmost = Math.max(f.ratio.median, Number.isFinite(f.ratio.max) ? f.ratio.max : 0, f.target?.value ?? 0);
    parts.push(
      `<text x="${x(rightmost) + 6}" y="${y + 15}">${f.ratio.median.toFixed(2)}${f.ratio.median > maxRatio ? ' (off scale)' : ''}</text>`,
    );
  });
  parts.push('</svg>\n');
  return parts.join('\n');
}

// ---- detail sections ----

function messagingSection(result: MessagingResult): string {
  const lines = [
    `### ${result.title}`,
    '',
    `${result.connectionsPerServer} connections per server; each send is delivered to ${result.fanout}.`,
    '',
  ];
  if (result.error) lines.push(`**Failed:** ${result.error}`, '');
  lines.push('Saturation (last step with delivered/offered >= 0.99 and p99 <= 250 ms):', '');
  lines.push('| Repetition | Server | Saturation deliveries/s | Steps (offered/s: result) |', '|---|---|---|---|');
  for (const kind of ['gateway', 'reference'] as const) {
    for (const run of result.saturation[kind]) {
      const steps = run.steps.map((s) => `${num(s.offeredPerSec, '/s')}: ${s.pass ? 'ok' : (s.failReason ?? 'fail')}`).join('; ');
      lines.push(`| ${run.repetition} | ${kind} | ${num(run.saturatedPerSec, '/s')} | ${steps} |`);
    }
  }
  // No saturation search ran when --fixed-rate set the load.
  const basis = result.saturation.reference.length === 0 ? 'set by --fixed-rate' : "half the reference's saturation";
  lines.push('', `Fixed load: ${num(result.fixedLoad.deliveriesPerSec, '/s')} deliveries/s (${basis}).`, '');
  lines.push(
    '| Repetition | Server | Delivered | p50 ms | p99 ms | p99.9 ms | CPU us/delivery | Kernel share of server CPU | Main-thread share of server CPU | Server cores | Client cores | Other load (cores) | RSS MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const kind of ['gateway', 'reference'] as const) {
    for (const r of result.fixedLoad.runs[kind]) {
      lines.push(
        `| ${r.repetition} | ${kind} | ${(r.deliveredRatio * 100).toFixed(2)}% | ${r.latency.p50Ms} | ${r.latency.p99Ms} | ${r.latency.p999Ms} | ` +
          `${num(r.cpuMicrosPerDelivery, 'us')} | ${Math.round(r.serverSystemShare * 100)}% | ${share(r.serverMainThreadShare)} | ${r.serverCores} | ${r.clientCores} | ${r.otherCores} | ${(r.rssBytes / 2 ** 20).toFixed(0)} |`,
      );
    }
  }
  lines.push('', ...readsTable(result));
  return lines.join('\n');
}

/** The reads scenario's pairs: the same fixed load with and without `room:read`, and what the reads cost. */
function readsTable(result: MessagingResult): string[] {
  const withoutReads = result.fixedLoad.withoutReads;
  if (!withoutReads) return [];
  const lines = [
    'room:read at the fixed load. Each server ran the same load with the reads on and off in alternating slices of its window; ' +
      'CPU per room:read is the extra server CPU of the reads-on slices (beyond their deliveries at the reads-off CPU per delivery) divided by the reads sent; ' +
      "advancing reads carried a seq above the reader's previous read (the others move no marker):",
    '',
    '| Repetition | Server | room:read/s | Advancing | Acked ok | Refused | Unanswered | Ack p50 ms | Ack p99 ms | CPU us/delivery, reads on | CPU us/delivery, reads off | CPU us per room:read |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const errors: string[] = [];
  for (const kind of ['gateway', 'reference'] as const) {
    for (const run of result.fixedLoad.runs[kind]) {
      const without = withoutReads[kind].find((w) => w.repetition === run.repetition);
      const r = run.reads;
      if (!r || !without) continue;
      lines.push(
        `| ${run.repetition} | ${kind} | ${num(r.sentPerSec, '/s')} | ${r.sent > 0 ? `${Math.round((r.advancing / r.sent) * 100)}%` : '-'} | ${r.acksOk} | ${r.acksFailed > 0 ? `**${r.acksFailed}**` : 0} | ${r.unanswered} | ` +
          `${r.ackLatency.p50Ms} | ${r.ackLatency.p99Ms} | ${num(run.cpuMicrosPerDelivery, 'us')} | ${num(without.cpuMicrosPerDelivery, 'us')} | ${num(cpuMicrosPerRead(run, without), 'us')} |`,
      );
      for (const error of [...new Set(r.ackErrors)].slice(0, 2))
        errors.push(`- ${kind}, repetition ${run.repetition}, refused: \`${error}\``);
    }
  }
  return [...lines, '', ...(errors.length ? [...errors, ''] : [])];
}

function idleSection(results: ScenarioResults): string {
  const idle = results.idle;
  if (!idle) return '';
  const lines = ['### Idle connections', ''];
  if (idle.error) lines.push(`**Failed:** ${idle.error}`, '');
  lines.push(
    '| Repetition | Server | RSS B/connection | Heap B/connection | Connections/s | Connect p99 ms | Points (connections: RSS MiB / heap MiB) |',
    '|---|---|---|---|---|---|---|',
  );
  for (const kind of ['gateway', 'reference'] as const) {
    for (const r of idle.runs[kind]) {
      const points = r.points
        .map((p) => `${p.connections}: ${(p.rss / 2 ** 20).toFixed(0)}/${(p.heapUsed / 2 ** 20).toFixed(0)}`)
        .join(', ');
      lines.push(
        `| ${r.repetition} | ${kind} | ${Math.round(r.rssPerConnection)} | ${Math.round(r.heapPerConnection)} | ${Math.round(r.connectRate)} | ${r.connectLatencyP99Ms} | ${points} |`,
      );
    }
  }
  lines.push('');
  for (const h of idle.hold) {
    lines.push(
      `- Hold, ${h.server}: ${h.connections} connections for ${h.seconds}s: ${h.drops} dropped, ${h.answered} answered a round trip afterwards, ` +
        `each answered at least ${h.minPings} engine.io pings, RSS afterwards ${(h.rssAfter / 2 ** 20).toFixed(0)} MiB.`,
    );
  }
  if (idle.hold.length) lines.push('');
  const [gatewayHeap, referenceHeap] = (['gateway', 'reference'] as const).map((k) => idle.heapDiffs.find((d) => d.server === k));
  if (gatewayHeap && referenceHeap) lines.push(heapComparison(gatewayHeap, referenceHeap));
  for (const diff of idle.heapDiffs) lines.push(heapSection(diff));
  return lines.join('\n');
}

/** What an idle connection holds on the gateway beyond what it holds on the reference. */
function heapComparison(gateway: HeapDiff, reference: HeapDiff): string {
  // Kinds in both top lists: only there is the difference measured on both sides.
  const rows = gateway.top
    .flatMap((g) => {
      const r = reference.top.find((x) => x.name === g.name);
      return r ? [{ name: g.name, g, r, extra: g.bytesPerConnection - r.bytesPerConnection }] : [];
    })
    .filter((row) => Math.abs(row.extra) >= 30)
    .sort((a, b) => b.extra - a.extra)
    .map(
      (row) =>
        `| ${row.name.replace(/\|/g, '\\|')} | ${row.g.countPerConnection} | ${row.r.countPerConnection} | ${Math.round(row.extra)} |`,
    );
  return [
    `Heap per idle connection, gateway minus reference: ${gateway.bytesPerConnection - reference.bytesPerConnection} B ` +
      `(${gateway.bytesPerConnection} vs ${reference.bytesPerConnection} B, snapshot diffs over ${gateway.addedConnections} connections):`,
    '',
    '| Constructor / kind | Gateway objects per connection | Reference objects per connection | Extra bytes per connection |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function heapSection(diff: HeapDiff): string {
  const rows = diff.top.slice(0, 15).map((g) => `| ${g.name.replace(/\|/g, '\\|')} | ${g.countPerConnection} | ${g.bytesPerConnection} |`);
  return [
    `Heap growth per added idle connection, ${diff.server} (snapshot diff over ${diff.addedConnections} connections, ${diff.bytesPerConnection} B total):`,
    '',
    '| Constructor / kind | Objects per connection | Bytes per connection |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function clusterSection(results: ScenarioResults): string {
  const cluster = results.cluster;
  if (!cluster) return '';
  const lines = ['### Cluster', ''];
  for (const run of cluster.runs) {
    lines.push(
      `${run.server}: ${run.opened}/${run.connections} connected over ${run.nodes} nodes (${Math.round(run.connectRate)}/s), ${run.joined} joined, ` +
        `ramp ${run.rampSeconds.toFixed(0)}s, ${run.dropsDuringRun} drops.${run.error ? ` **Failed:** ${run.error}` : ''}`,
      '',
    );
    if (run.announcements.length) {
      lines.push(
        '| Announcement | Reached | p50 ms | p99 ms | Last ms | CPU s, all nodes | CPU s, load processes | Window s |',
        '|---|---|---|---|---|---|---|---|',
      );
      for (const a of run.announcements) {
        lines.push(
          `| ${a.index} | ${a.reached}/${a.expected} | ${a.p50Ms} | ${a.p99Ms} | ${a.maxMs} | ${a.nodesCpuSeconds.toFixed(2)} | ${a.clientsCpuSeconds.toFixed(2)} | ${a.wallSeconds.toFixed(1)} |`,
        );
      }
      lines.push('');
    }
    if (run.nodeStats.length) {
      lines.push('| Node | Connections | RSS MiB | Heap MiB | CPU s (ramp) | CPU s (announcements) |', '|---|---|---|---|---|---|');
      for (const n of run.nodeStats) {
        lines.push(
          `| ${n.name} | ${n.connections} | ${(n.rssBytes / 2 ** 20).toFixed(0)} | ${(n.heapUsedBytes / 2 ** 20).toFixed(0)} | ${n.rampCpuSeconds.toFixed(1)} | ${n.announceCpuSeconds.toFixed(2)} |`,
        );
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

function profileSection(profiles: ProfileSummary[], outDir: string): string {
  if (profiles.length === 0) return '';
  const lines = ['## CPU profiles', ''];
  lines.push(
    'Sampled in-process (V8 inspector, the same profiler as `node --cpu-prof`) during an extra window (at the fixed load unless the table below names another offered load); self time by library:',
    '',
  );
  const categories = [...new Set(profiles.flatMap((p) => p.categories.map((c) => c.category)))];
  lines.push(`| Category | ${profiles.map((p) => `${p.server} ${p.scenario} self % (incl. %)`).join(' | ')} |`);
  lines.push(`|---|${profiles.map(() => '---').join('|')}|`);
  for (const category of categories) {
    const cells = profiles.map((p) => {
      const c = p.categories.find((x) => x.category === category);
      return c ? `${c.selfPercent} (${c.inclusivePercent})` : '';
    });
    lines.push(`| ${category} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('| Profile | Offered /s | Busy ms | Deliveries | Busy us per delivery |', '|---|---|---|---|---|');
  for (const p of profiles) {
    const perDelivery = p.deliveries > 0 ? ((p.busyMs * 1000) / p.deliveries).toFixed(1) : 'n/a';
    lines.push(`| ${p.server} ${p.scenario} | ${p.offeredPerSec ?? 'fixed load'} | ${p.busyMs} | ${p.deliveries} | ${perDelivery} |`);
  }
  lines.push('', '(Profiling adds its own overhead; compare the two servers, not these with the CPU figures above.)', '');
  for (const p of profiles.filter((x) => x.server === 'gateway')) {
    lines.push(
      `Top self time, gateway, ${p.scenario} (${p.busyMs} ms busy for ${p.deliveries} deliveries; flame graph: ${relative(outDir, p.flameGraph)}):`,
      '',
    );
    lines.push('| Self % | Function | Where | Category |', '|---|---|---|---|');
    for (const f of p.top.slice(0, 25))
      lines.push(`| ${f.selfPercent} | ${f.name.replace(/\|/g, '\\|')} | ${f.location} | ${f.category} |`);
    lines.push('');
  }
  return lines.join('\n');
}

function validationSection(results: BenchResults): string {
  if (results.validationError) return `## Validation\n\n**Failed:** ${results.validationError}\n`;
  const v = results.validation;
  if (!v) return '';
  const lines = [
    '## Validation',
    '',
    `Same conversation played with socket.io-client and with the raw load client on both servers: ${v.passed ? 'identical where it must be' : '**MISMATCH**'}.`,
    '',
    `- Raw client matches socket.io-client: gateway ${v.gateway.rawMatchesSocketIoClient}, reference ${v.reference.rawMatchesSocketIoClient}.`,
    `- Hot-path differences gateway vs reference: ${v.hotPathDifferences.length === 0 ? 'none' : v.hotPathDifferences.join('; ')}.`,
    `- Events outside the hot path: ${v.extraEvents.length === 0 ? 'none' : v.extraEvents.join(', ')}.`,
  ];
  for (const m of [...v.gateway.mismatches, ...v.reference.mismatches]) lines.push(`- ${m}`);
  return `${lines.join('\n')}\n`;
}

function environmentSection(results: BenchResults): string {
  const { machine, versions, commit } = results.environment;
  return [
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, Linux ${machine.kernel}, open files limit ${machine.openFilesLimit}`,
    `- Versions: ${Object.entries(versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- Gateway commit: ${commit}`,
    `- Run: ${results.mode}, ${results.options.repetitions} repetition(s), started ${results.startedAt}, took ${Math.round(results.durationSeconds / 60)} min; \`${results.command}\``,
  ].join('\n');
}

export function summaryMarkdown(results: BenchResults, chartLink: string): string {
  const lines = [
    ...(results.mode === 'quick' ? ['> Quick smoke run: tiny loads, one repetition. These numbers say nothing about speed.', ''] : []),
    figureTable(results.figures),
    '',
    checkTable(results.checks),
    '',
    `![Ratios gateway/reference against targets](${chartLink})`,
    '',
    environmentSection(results),
    '',
  ];
  if (results.notes.length) lines.push('Notes:', '', ...results.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

export function reportMarkdown(results: BenchResults, outDir: string, chartFile: string): string {
  const scenarios = results.scenarios;
  const messaging = messagingResults(scenarios);
  const profiles = messaging.flatMap((m) => m.profiles);
  return [
    `# Benchmark: gateway vs plain socket.io (${results.startedAt})`,
    '',
    summaryMarkdown(results, chartFile),
    '## Scenarios',
    '',
    ...messaging.map(messagingSection),
    idleSection(scenarios),
    clusterSection(scenarios),
    profileSection(profiles, outDir),
    validationSection(results),
  ].join('\n');
}

const START_MARKER = '<!-- bench:latest:start -->';
const END_MARKER = '<!-- bench:latest:end -->';

/**
 * Replaces the generated part of the docs page, keeping the hand-written text around it. Run
 * files stay where the run wrote them (bench/results/ is not in git), so the page names the
 * report without linking it, and the chart is copied beside the page (`<page>-latest.svg`).
 */
export function updateDocs(docsPath: string, results: BenchResults, reportPath: string, chartPath: string): void {
  const docsDir = dirname(docsPath);
  const docsChart = join(docsDir, `${basename(docsPath, '.md')}-latest.svg`);
  copyFileSync(chartPath, docsChart);
  const fromRoot = relative(REPO_ROOT, reportPath);
  const report = fromRoot.startsWith('..') || isAbsolute(fromRoot) ? basename(reportPath) : fromRoot;
  const body = [
    START_MARKER,
    `Latest run: ${results.startedAt} (${results.mode}); full report: \`${report}\`, written by the run on its machine (not in git).`,
    '',
    summaryMarkdown(results, relative(docsDir, docsChart)),
    END_MARKER,
  ].join('\n');
  const current = existsSync(docsPath) ? readFileSync(docsPath, 'utf8') : '# Benchmarks\n\n';
  const start = current.indexOf(START_MARKER);
  const end = current.indexOf(END_MARKER);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + body + current.slice(end + END_MARKER.length)
      : `${current.trimEnd()}\n\n${body}\n`;
  writeFileSync(docsPath, next);
}
