import type { ClusterResult } from './scenarios/cluster.js';
import type { IdleResult } from './scenarios/idle.js';
import {
  cpuMicrosPerRead,
  type MessagingName,
  type MessagingResult,
  type SaturationRun,
  type WindowResult,
} from './scenarios/messaging.js';
import type { ServerKind } from './servers.js';
import { median, round, type Spread, spread } from './stats.js';

/**
 * The headline numbers: each a gateway/reference ratio paired per repetition (same run,
 * interleaved), with median and range, judged against the targets.
 */

export type Status = 'pass' | 'fail' | 'info' | 'missing';

export interface Figure {
  id: string;
  scenario: string;
  label: string;
  unit: string;
  better: 'lower' | 'higher';
  gateway: Spread;
  reference: Spread;
  ratio: Spread;
  target?: { op: '<=' | '>='; value: number };
  status: Status;
}

export interface Check {
  id: string;
  label: string;
  value: string;
  target: string;
  status: Status;
}

export interface ScenarioResults {
  fanout?: MessagingResult;
  rooms?: MessagingResult;
  reads?: MessagingResult;
  direct?: MessagingResult;
  idle?: IdleResult;
  cluster?: ClusterResult;
}

const TARGETS: Record<string, { op: '<=' | '>='; value: number }> = {
  'cpu.fanout': { op: '<=', value: 1.1 },
  'cpu.rooms': { op: '<=', value: 1.5 },
  'cpu.direct': { op: '<=', value: 1.6 },
  'saturation.fanout': { op: '>=', value: 0.9 },
  'latency-p50.fanout': { op: '<=', value: 1.1 },
  'latency-p99.fanout': { op: '<=', value: 1.25 },
  'latency-p50.rooms': { op: '<=', value: 1.1 },
  'latency-p99.rooms': { op: '<=', value: 1.25 },
  'latency-p50.direct': { op: '<=', value: 1.1 },
  'latency-p99.direct': { op: '<=', value: 1.25 },
  'memory-rss.idle': { op: '<=', value: 1.3 },
  'memory-heap.idle': { op: '<=', value: 1.3 },
};

function judge(id: string, ratio: Spread): Status {
  const target = TARGETS[id];
  if (!target) return Number.isFinite(ratio.median) ? 'info' : 'missing';
  if (!Number.isFinite(ratio.median)) return 'missing';
  return (target.op === '<=' ? ratio.median <= target.value : ratio.median >= target.value) ? 'pass' : 'fail';
}

/** Pairs values by repetition and divides gateway by reference. */
function figure(
  id: string,
  scenario: string,
  label: string,
  unit: string,
  better: 'lower' | 'higher',
  values: Record<ServerKind, Array<{ repetition: number; value: number }>>,
): Figure {
  const ratios = values.gateway.map((g) => {
    const r = values.reference.find((v) => v.repetition === g.repetition);
    return r && r.value > 0 ? g.value / r.value : Number.NaN;
  });
  const ratio = spread(ratios);
  return {
    id,
    scenario,
    label,
    unit,
    better,
    gateway: spread(values.gateway.map((v) => v.value)),
    reference: spread(values.reference.map((v) => v.value)),
    ratio,
    target: TARGETS[id],
    status: judge(id, ratio),
  };
}

function perServer<T extends { repetition: number }>(
  runs: Record<ServerKind, T[]>,
  pick: (run: T) => number,
): Record<ServerKind, Array<{ repetition: number; value: number }>> {
  const map = (list: T[]): Array<{ repetition: number; value: number }> => list.map((r) => ({ repetition: r.repetition, value: pick(r) }));
  return { gateway: map(runs.gateway), reference: map(runs.reference) };
}

function messagingFigures(name: MessagingName, result: MessagingResult): Figure[] {
  const fixed = result.fixedLoad.runs;
  const latency = (pick: (w: WindowResult) => number) => perServer(fixed, pick);
  return [
    figure(
      `cpu.${name}`,
      name,
      `CPU per delivered message (${result.title})`,
      'us',
      'lower',
      latency((w) => w.cpuMicrosPerDelivery),
    ),
    figure(
      `saturation.${name}`,
      name,
      `Deliveries/s at saturation (${result.title})`,
      '/s',
      'higher',
      perServer(result.saturation, (r) => r.saturatedPerSec),
    ),
    figure(
      `latency-p50.${name}`,
      name,
      `Latency p50 at fixed load (${result.title})`,
      'ms',
      'lower',
      latency((w) => w.latency.p50Ms),
    ),
    figure(
      `latency-p99.${name}`,
      name,
      `Latency p99 at fixed load (${result.title})`,
      'ms',
      'lower',
      latency((w) => w.latency.p99Ms),
    ),
    figure(
      `latency-p999.${name}`,
      name,
      `Latency p99.9 at fixed load (${result.title})`,
      'ms',
      'lower',
      latency((w) => w.latency.p999Ms),
    ),
    figure(
      `cpu-shared-load.${name}`,
      name,
      `CPU per delivered message at equal load (${result.title})`,
      'us',
      'lower',
      sharedLoadCpu(result.saturation),
    ),
  ];
}

/**
 * CPU per delivery in the saturation search, at the highest offered load that both servers were
 * given in the same repetition and both passed. Beside the fixed-load figure it shows what a
 * message costs when neither server is behind: past its saturation a server also pays for its
 * backlog. Repetitions without such a step (later ones start from each server's own last
 * saturation) are left out.
 */
function sharedLoadCpu(saturation: Record<ServerKind, SaturationRun[]>): Record<ServerKind, Array<{ repetition: number; value: number }>> {
  const values: Record<ServerKind, Array<{ repetition: number; value: number }>> = { gateway: [], reference: [] };
  for (const gatewayRun of saturation.gateway) {
    const referenceRun = saturation.reference.find((r) => r.repetition === gatewayRun.repetition);
    if (!referenceRun) continue;
    let best: { gateway: WindowResult; reference: WindowResult } | undefined;
    for (const step of gatewayRun.steps) {
      const twin = referenceRun.steps.find((s) => s.offeredPerSec === step.offeredPerSec && s.pass);
      if (step.pass && twin && (!best || step.offeredPerSec > best.gateway.offeredPerSec)) best = { gateway: step, reference: twin };
    }
    if (!best) continue;
    values.gateway.push({ repetition: gatewayRun.repetition, value: best.gateway.cpuMicrosPerDelivery });
    values.reference.push({ repetition: gatewayRun.repetition, value: best.reference.cpuMicrosPerDelivery });
  }
  return values;
}

/**
 * What `room:read` costs: CPU per delivered message with and without the reads (slices of the
 * same fixed-load window on the same processes), the CPU per read that difference makes, and
 * how fast reads are answered.
 */
function readFigures(result: MessagingResult): Figure[] {
  const withoutReads = result.fixedLoad.withoutReads;
  if (!withoutReads) return [];
  const fixed = result.fixedLoad.runs;
  const perRead = (kind: ServerKind): Array<{ repetition: number; value: number }> =>
    fixed[kind].map((run) => {
      const without = withoutReads[kind].find((w) => w.repetition === run.repetition);
      return { repetition: run.repetition, value: without ? cpuMicrosPerRead(run, without) : Number.NaN };
    });
  const readAck = (pick: (w: WindowResult) => number) => perServer(fixed, (w) => (w.reads ? pick(w) : Number.NaN));
  return [
    figure(
      'cpu-without-reads.reads',
      'reads',
      `CPU per delivered message with the reads off (${result.title})`,
      'us',
      'lower',
      perServer(withoutReads, (w) => w.cpuMicrosPerDelivery),
    ),
    figure('cpu-per-read.reads', 'reads', `CPU per room:read (${result.title})`, 'us', 'lower', {
      gateway: perRead('gateway'),
      reference: perRead('reference'),
    }),
    figure(
      'read-ack-p50.reads',
      'reads',
      `room:read ack latency p50 at fixed load (${result.title})`,
      'ms',
      'lower',
      readAck((w) => w.reads!.ackLatency.p50Ms),
    ),
    figure(
      'read-ack-p99.reads',
      'reads',
      `room:read ack latency p99 at fixed load (${result.title})`,
      'ms',
      'lower',
      readAck((w) => w.reads!.ackLatency.p99Ms),
    ),
  ];
}

/** Every `room:read` of the fixed load must be answered, and answered without an error, or its cost means nothing. */
function readAckCheck(result: MessagingResult): Check {
  const runs = [...result.fixedLoad.runs.gateway, ...result.fixedLoad.runs.reference];
  const side = (kind: ServerKind): string => {
    const reads = result.fixedLoad.runs[kind].flatMap((r) => (r.reads ? [r.reads] : []));
    const total = (pick: (r: (typeof reads)[number]) => number): number => reads.reduce((s, r) => s + pick(r), 0);
    const error = reads.flatMap((r) => r.ackErrors)[0];
    return (
      `${kind} ${total((r) => r.acksOk)}/${total((r) => r.sent)} ok, ${total((r) => r.acksFailed)} refused, ${total((r) => r.unanswered)} unanswered` +
      (error ? ` (${error})` : '')
    );
  };
  const clean = runs.length > 0 && runs.every((r) => r.reads && r.reads.sent > 0 && r.reads.acksFailed === 0 && r.reads.unanswered === 0);
  return {
    id: 'read-acks',
    label: `room:read acks at the fixed load (${result.title})`,
    value: result.error ? `failed: ${result.error}` : `${side('gateway')}; ${side('reference')}`,
    target: 'every room:read acked ok',
    status: runs.length === 0 ? 'missing' : clean ? 'pass' : 'fail',
  };
}

export const MESSAGING_SCENARIOS = ['fanout', 'rooms', 'reads', 'direct'] as const;

/** The messaging scenarios that ran, in report order. */
export function messagingResults(results: ScenarioResults): MessagingResult[] {
  return MESSAGING_SCENARIOS.map((name) => results[name]).filter((r): r is MessagingResult => r !== undefined);
}

export function computeFigures(results: ScenarioResults): Figure[] {
  const figures: Figure[] = [];
  for (const name of MESSAGING_SCENARIOS) {
    const result = results[name];
    if (result) figures.push(...messagingFigures(name, result), ...readFigures(result));
  }
  const idle = results.idle;
  if (idle) {
    figures.push(
      figure(
        'memory-rss.idle',
        'idle',
        'Memory per idle connection (RSS slope)',
        'B',
        'lower',
        perServer(idle.runs, (r) => r.rssPerConnection),
      ),
      figure(
        'memory-heap.idle',
        'idle',
        'Memory per idle connection (heap slope)',
        'B',
        'lower',
        perServer(idle.runs, (r) => r.heapPerConnection),
      ),
      figure(
        'connect-rate.idle',
        'idle',
        'Connection rate (handshake to session)',
        '/s',
        'higher',
        perServer(idle.runs, (r) => r.connectRate),
      ),
    );
  }
  return figures;
}

export function computeChecks(results: ScenarioResults, expectedIdle: number, expectedCluster: number): Check[] {
  const checks: Check[] = [];
  if (results.reads) checks.push(readAckCheck(results.reads));
  const hold = results.idle?.hold.find((h) => h.server === 'gateway');
  if (results.idle) {
    checks.push({
      id: 'idle-hold',
      label: `${expectedIdle} idle connections on one gateway process, held`,
      value: hold ? `${hold.connections} held ${hold.seconds}s, ${hold.drops} drops, ${hold.answered} answered afterwards` : 'not run',
      target: `${expectedIdle} connections, zero drops`,
      status: !hold
        ? 'missing'
        : hold.connections >= expectedIdle && hold.drops === 0 && hold.answered === hold.connections
          ? 'pass'
          : 'fail',
    });
  }
  const cluster = results.cluster?.runs.find((r) => r.server === 'gateway');
  if (results.cluster) {
    const announcements = cluster?.announcements ?? [];
    const allReached = announcements.length > 0 && announcements.every((a) => a.reached === a.expected && a.expected >= expectedCluster);
    const p99 = round(median(announcements.map((a) => a.p99Ms)), 1);
    const reach = announcements.map((a) => `${a.reached}/${a.expected}`).join(', ');
    checks.push({
      id: 'cluster-announcement',
      label: `${expectedCluster} connections on ${cluster?.nodes ?? '?'} gateway nodes: announcement to everyone`,
      value: cluster?.error
        ? `failed: ${cluster.error}`
        : `${cluster?.opened ?? 0} connected; reached ${reach}; p50 ${round(median(announcements.map((a) => a.p50Ms)), 1)} ms, ` +
          `p99 ${p99} ms, last ${round(median(announcements.map((a) => a.maxMs)), 1)} ms (medians over ${announcements.length})`,
      target: 'all reached, p99 <= 2000 ms',
      status: !cluster || cluster.error ? 'fail' : allReached && p99 <= 2000 ? 'pass' : 'fail',
    });
  }
  return checks;
}
