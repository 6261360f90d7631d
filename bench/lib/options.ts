import { join, resolve } from 'node:path';
import { GATEWAY_ENTRY, REPO_ROOT } from './servers.js';

export const SCENARIOS = ['validate', 'fanout', 'rooms', 'reads', 'direct', 'idle', 'cluster'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  mode: 'quick' | 'full';
  repetitions: number;
  scenarios: ScenarioName[];
  outDir: string;
  /** Where the latest numbers go; undefined leaves the docs alone. */
  docsPath?: string;
  /** Connections go to 127.0.0.1 .. 127.0.0.N, spreading them over N times the ephemeral ports. */
  destinations: number;
  listenHost: string;
  maxPerWorker: number;
  minWorkers: number;
  textBytes: number;
  /** Saturation: each step offers load this long, then waits at most `drainMs` for stragglers. */
  stepMs: number;
  drainMs: number;
  warmupMs: number;
  maxSteps: number;
  fixedMs: number;
  latencyLimitMs: number;
  deliveryRatio: number;
  fanoutMembers: number;
  fanoutSenders: number;
  roomCount: number;
  roomSize: number;
  /** `reads` scenario: `room:read` requests per second from each member of the rooms (`--read-rate`). */
  readsPerUserPerSec: number;
  /**
   * Room scenarios: bans and as many mutes of absent users in every joined room of the gateway
   * before measuring (`--restrictions`), so every send, read and typing check finds restrictions
   * in its room. 0: none.
   */
  restrictionsPerRoom: number;
  directUsers: number;
  idleSteps: number[];
  holdSeconds: number;
  clusterConnections: number;
  clusterNodes: number;
  clusterRoomSize: number;
  clusterAnnouncements: number;
  clusterReference: boolean;
  /** Within 2 s at p99 is the target; the wait is longer so a miss is measured, not cut off. */
  announcementWaitMs: number;
  postgresUrl: string;
  redisUrl: string;
  profile: boolean;
  profileMs: number;
  /** Offered deliveries/s in the profile window (`--profile-rate`); the fixed load when unset. */
  profileRate?: number;
  /**
   * Deliveries/s of the fixed load (`--fixed-rate`): skips the saturation search, for A/B runs
   * of one change at one load. Unset: half the reference's saturation, as the targets define it.
   */
  fixedRate?: number;
  heapSnapshots: boolean;
  /** The gateway to measure: `dist/main.js` of this checkout unless `--gateway-entry` names another. */
  gatewayEntry: string;
  /** Re-render the report of an earlier run from its JSON instead of measuring (`--rerender`). */
  rerender?: string;
  /** Extra gateway environment (`--gateway-env KEY=VALUE`), e.g. to try a setting. */
  gatewayEnv: Record<string, string>;
  /**
   * Diagnostic (`--reference-with-gateway-modules`): the reference also loads the gateway's module
   * graph, so both servers carry the same heap of code; not the comparison the targets define.
   */
  referenceWithGatewayModules: boolean;
}

const FULL: Omit<
  BenchOptions,
  'mode' | 'scenarios' | 'outDir' | 'docsPath' | 'gatewayEnv' | 'gatewayEntry' | 'referenceWithGatewayModules'
> = {
  repetitions: 3,
  destinations: 8,
  listenHost: '0.0.0.0',
  maxPerWorker: 8000,
  minWorkers: 2,
  textBytes: 64,
  stepMs: 4000,
  drainMs: 1000,
  warmupMs: 2000,
  maxSteps: 16,
  fixedMs: 10_000,
  latencyLimitMs: 250,
  deliveryRatio: 0.99,
  fanoutMembers: 1000,
  fanoutSenders: 20,
  roomCount: 200,
  roomSize: 10,
  readsPerUserPerSec: 1,
  restrictionsPerRoom: 0,
  directUsers: 2000,
  idleSteps: [1000, 2000, 4000, 6000, 8000, 10_000, 12_500, 15_000],
  holdSeconds: 300,
  clusterConnections: 100_000,
  clusterNodes: 6,
  clusterRoomSize: 100,
  clusterAnnouncements: 5,
  clusterReference: false,
  announcementWaitMs: 15_000,
  postgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: 'redis://127.0.0.1:6379',
  profile: true,
  profileMs: 8000,
  heapSnapshots: true,
};

/** Seconds, tens of connections: enough to prove every code path runs, nothing to measure. */
const QUICK: Partial<BenchOptions> = {
  repetitions: 1,
  destinations: 2,
  minWorkers: 1,
  stepMs: 400,
  drainMs: 500,
  warmupMs: 200,
  maxSteps: 2,
  fixedMs: 600,
  fanoutMembers: 20,
  fanoutSenders: 4,
  roomCount: 4,
  roomSize: 5,
  directUsers: 20,
  idleSteps: [10, 20, 40],
  holdSeconds: 2,
  clusterConnections: 60,
  clusterNodes: 2,
  clusterRoomSize: 10,
  clusterAnnouncements: 2,
  announcementWaitMs: 5000,
  profileMs: 500,
  heapSnapshots: false,
};

const USAGE = `Usage: npm run bench -- [options]
  --quick                 tiny smoke run (also BENCH_QUICK=1)
  --reps N                repetitions per figure (default 3)
  --only a,b              scenarios: ${SCENARIOS.join(', ')}
  --skip a,b              leave scenarios out
  --out DIR               results directory (default bench/results)
  --docs PATH             markdown page to update (default docs/benchmarks.md; --no-docs to skip)
  --hold SECONDS          idle hold time (default 300)
  --idle-steps a,b,c      idle connection counts (default 1000..15000)
  --cluster-connections N (default 100000)   --cluster-nodes N (default 6)
  --cluster-reference     also run the cluster on reference nodes (Redis adapter)
  --step-ms MS  --fixed-ms MS  --warmup-ms MS  --destinations N
  --no-profile  --no-heap-snapshots
  --profile-rate N        offer N deliveries/s while profiling (default: the fixed load)
  --fixed-rate N          fixed load of N deliveries/s, no saturation search (A/B runs of one change)
  --read-rate N           reads scenario: room:read requests per second from each room member (default 1)
  --restrictions N        room scenarios: N bans and N mutes of absent users per joined room (gateway only; default 0)
  --gateway-env KEY=VALUE extra gateway environment (repeatable)
  --gateway-entry FILE    gateway build to run (default dist/main.js of this checkout)
  --reference-with-gateway-modules
                          diagnostic: the reference also loads the gateway's modules (same code heap);
                          leaves the docs alone
  --rerender FILE.json    rebuild report, chart and docs from an earlier run (profiles re-read)`;

function list(value: string | undefined, flag: string): string[] {
  if (!value) throw new Error(`${flag} needs a value\n${USAGE}`);
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function scenarioList(value: string | undefined, flag: string): ScenarioName[] {
  const names = list(value, flag);
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`unknown scenario ${name}\n${USAGE}`);
  }
  return names as ScenarioName[];
}

function positive(value: string | undefined, flag: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number\n${USAGE}`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const quick = argv.includes('--quick') || env.BENCH_QUICK === '1';
  const options: BenchOptions = {
    ...FULL,
    ...(quick ? QUICK : {}),
    mode: quick ? 'quick' : 'full',
    scenarios: quick ? SCENARIOS.filter((s) => s !== 'cluster') : [...SCENARIOS],
    outDir: join(REPO_ROOT, 'bench', 'results'),
    docsPath: join(REPO_ROOT, 'docs', 'benchmarks.md'),
    gatewayEntry: GATEWAY_ENTRY,
    gatewayEnv: {},
    referenceWithGatewayModules: false,
  };
  const skipped: ScenarioName[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i]!;
    const next = (): string | undefined => argv[++i];
    switch (flag) {
      case '--quick':
        break;
      case '--reps':
        options.repetitions = Math.round(positive(next(), flag));
        break;
      case '--only':
        options.scenarios = scenarioList(next(), flag);
        break;
      case '--skip':
        skipped.push(...scenarioList(next(), flag));
        break;
      case '--out':
        options.outDir = list(next(), flag).join(',');
        break;
      case '--docs':
        options.docsPath = list(next(), flag).join(',');
        break;
      case '--no-docs':
        options.docsPath = undefined;
        break;
      case '--hold':
        options.holdSeconds = positive(next(), flag);
        break;
      case '--idle-steps':
        options.idleSteps = list(next(), flag).map((v) => Math.round(positive(v, flag)));
        break;
      case '--cluster-connections':
        options.clusterConnections = Math.round(positive(next(), flag));
        break;
      case '--cluster-nodes':
        options.clusterNodes = Math.round(positive(next(), flag));
        break;
      case '--cluster-reference':
        options.clusterReference = true;
        break;
      case '--step-ms':
        options.stepMs = positive(next(), flag);
        break;
      case '--fixed-ms':
        options.fixedMs = positive(next(), flag);
        break;
      case '--warmup-ms':
        options.warmupMs = positive(next(), flag);
        break;
      case '--destinations':
        options.destinations = Math.min(254, Math.round(positive(next(), flag)));
        break;
      case '--no-profile':
        options.profile = false;
        break;
      case '--profile-rate':
        options.profileRate = positive(next(), flag);
        break;
      case '--fixed-rate':
        options.fixedRate = positive(next(), flag);
        break;
      case '--read-rate':
        options.readsPerUserPerSec = positive(next(), flag);
        break;
      case '--restrictions':
        options.restrictionsPerRoom = Math.round(positive(next(), flag));
        break;
      case '--no-heap-snapshots':
        options.heapSnapshots = false;
        break;
      case '--gateway-env': {
        const [key, ...rest] = list(next(), flag).join(',').split('=');
        options.gatewayEnv[key!] = rest.join('=');
        break;
      }
      case '--gateway-entry':
        options.gatewayEntry = resolve(list(next(), flag).join(','));
        break;
      case '--reference-with-gateway-modules':
        options.referenceWithGatewayModules = true;
        break;
      case '--rerender':
        options.rerender = list(next(), flag).join(',');
        break;
      case '--help':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  options.scenarios = options.scenarios.filter((s) => !skipped.includes(s));
  // The latest figures in the docs are the comparison the targets define, never a diagnostic.
  if (options.referenceWithGatewayModules) options.docsPath = undefined;
  return options;
}
