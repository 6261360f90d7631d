import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import pg from 'pg';
import { type RunContext, errorMessage } from '../context.js';
import { LoadPool } from '../load-pool.js';
import { messageText } from '../load-protocol.js';
import { ADMIN_API_KEY, type ServerKind, type ServerProcess } from '../servers.js';
import { epochMicros, sleep } from '../stats.js';

/**
 * The "1 lakh users" run: 100,000 connections across 6 nodes sharing Redis and PostgreSQL on
 * this one machine, every connection authenticated and in a room, then announcements over the
 * admin REST API; measured is the time until every connection has each one.
 */

export interface ClusterNode {
  name: string;
  pid: number;
  port: number;
  connections: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** CPU seconds while the connections were opened and joined. */
  rampCpuSeconds: number;
  /** CPU seconds during the announcement window(s). */
  announceCpuSeconds: number;
}

export interface AnnouncementRun {
  index: number;
  expected: number;
  reached: number;
  p50Ms: number;
  p99Ms: number;
  /** Time until the last connection had it (when all were reached). */
  maxMs: number;
  /** CPU seconds all nodes and all load processes used while it went out. */
  nodesCpuSeconds: number;
  clientsCpuSeconds: number;
  wallSeconds: number;
}

export interface ClusterRun {
  server: ServerKind;
  nodes: number;
  connections: number;
  opened: number;
  joined: number;
  connectRate: number;
  rampSeconds: number;
  announcements: AnnouncementRun[];
  nodeStats: ClusterNode[];
  dropsDuringRun: number;
  error?: string;
}

export interface ClusterResult {
  runs: ClusterRun[];
}

const BATCH = 10_000;

function post(port: number, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'x-api-key': ADMIN_API_KEY },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A throwaway PostgreSQL database for the cluster, dropped afterwards. */
async function withDatabase<T>(adminUrl: string, task: (url: string) => Promise<T>): Promise<T> {
  const name = `bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await task(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    await admin.end();
  }
}

class ClusterScenario {
  constructor(
    private readonly ctx: RunContext,
    private readonly kind: ServerKind,
  ) {}

  private async startNodes(extraEnv: Record<string, string>): Promise<ServerProcess[]> {
    const n = this.ctx.options.clusterNodes;
    // The first node alone: it may create the schema the others expect.
    const first = await this.ctx.startServer(this.kind, `${this.kind}-cluster-node0`, { ...extraEnv, NODE_ID: 'bench-node0' });
    const rest = await Promise.all(
      Array.from({ length: n - 1 }, (_, i) =>
        this.ctx.startServer(this.kind, `${this.kind}-cluster-node${i + 1}`, { ...extraEnv, NODE_ID: `bench-node${i + 1}` }),
      ),
    );
    return [first, ...rest];
  }

  async run(): Promise<ClusterRun> {
    const o = this.ctx.options;
    const total = o.clusterConnections;
    const run: ClusterRun = {
      server: this.kind,
      nodes: o.clusterNodes,
      connections: total,
      opened: 0,
      joined: 0,
      connectRate: 0,
      rampSeconds: 0,
      announcements: [],
      nodeStats: [],
      dropsDuringRun: 0,
    };
    const pool = new LoadPool(Math.max(o.minWorkers, Math.ceil(total / o.maxPerWorker)));
    let nodes: ServerProcess[] = [];
    try {
      await withDatabase(o.postgresUrl, async (databaseUrl) => {
        const prefix = `bench-${randomBytes(4).toString('hex')}`;
        nodes = await this.startNodes({ REDIS_URL: o.redisUrl, DATABASE_URL: databaseUrl, REDIS_PREFIX: prefix });
        this.ctx.say(`cluster ${this.kind}: ${nodes.length} nodes up on ports ${nodes.map((n) => n.port).join(', ')}`);
        const cpuStart = nodes.map((n) => n.cpuSeconds());
        const rampStart = performance.now();
        await this.ramp(pool, nodes, run);
        run.rampSeconds = (performance.now() - rampStart) / 1000;
        const cpuAfterRamp = nodes.map((n) => n.cpuSeconds());
        await this.announce(pool, nodes, run);
        const cpuAfterAnnouncements = nodes.map((n) => n.cpuSeconds());
        const status = await pool.status();
        run.dropsDuringRun = Object.values(status.drops).reduce((s, v) => s + v, 0);
        for (const [i, node] of nodes.entries()) {
          const memory = await node.memory();
          run.nodeStats.push({
            name: node.name,
            pid: node.pid,
            port: node.port,
            connections: Math.floor(total / nodes.length) + (i < total % nodes.length ? 1 : 0),
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            rampCpuSeconds: cpuAfterRamp[i]! - cpuStart[i]!,
            announceCpuSeconds: cpuAfterAnnouncements[i]! - cpuAfterRamp[i]!,
          });
        }
        await pool.closeGroup();
        await Promise.all(nodes.map((n) => n.stop()));
      });
    } catch (error) {
      run.error = errorMessage(error);
      this.ctx.say(`cluster ${this.kind} FAILED: ${run.error}`);
    } finally {
      await pool.stop();
      await Promise.all(nodes.map((n) => n.stop()));
    }
    return run;
  }

  private async ramp(pool: LoadPool, nodes: ServerProcess[], run: ClusterRun): Promise<void> {
    const o = this.ctx.options;
    const total = o.clusterConnections;
    const ids = pool.allocate(total);
    let connectMs = 0;
    for (let from = 0; from < total; from += BATCH) {
      const batch = ids.slice(from, from + BATCH);
      const connected = await pool.connect(
        batch.map((id, k) => {
          const i = from + k;
          const node = nodes[i % nodes.length]!;
          return {
            id,
            group: node.name,
            host: this.ctx.destination(Math.floor(i / nodes.length)),
            port: node.port,
            auth: { username: `c${i}` },
          };
        }),
        400,
        120_000,
      );
      connectMs += connected.elapsedMs;
      run.opened += connected.opened;
      if (connected.failed > 0)
        this.ctx.say(`cluster ${this.kind}: ${connected.failed} connections failed: ${connected.errors.join('; ')}`);
      const joined = await pool.join(
        batch.map((id, k) => ({ id, room: `lakh-${Math.floor((from + k) / o.clusterRoomSize)}` })),
        400,
        120_000,
      );
      run.joined += joined.joined;
      if (joined.failed > 0) this.ctx.say(`cluster ${this.kind}: ${joined.failed} joins failed: ${joined.errors.join('; ')}`);
      this.ctx.say(
        `cluster ${this.kind}: ${run.opened}/${total} connected (${Math.round(connected.rate)}/s), ${run.joined} joined; ` +
          `rss ${nodes.map((n) => Math.round(n.rssBytes() / 2 ** 20)).join('/')} MiB`,
      );
    }
    run.connectRate = run.opened / (connectMs / 1000);
    if (run.opened < total) throw new Error(`only ${run.opened} of ${total} connections opened`);
  }

  private async announce(pool: LoadPool, nodes: ServerProcess[], run: ClusterRun): Promise<void> {
    const o = this.ctx.options;
    for (let k = 0; k < o.clusterAnnouncements; k += 1) {
      await sleep(o.mode === 'quick' ? 200 : 3000);
      const phase = pool.reservePhase();
      const node = nodes[k % nodes.length]!;
      let status = 0;
      const nodesCpu = (): number => nodes.reduce((sum, n) => sum + n.cpuSeconds(), 0);
      const [nodesBefore, clientsBefore, wallBefore] = [nodesCpu(), pool.cpuSeconds(), performance.now()];
      const seen = await pool.observe(
        phase,
        run.opened,
        async () => {
          status = await post(node.port, '/announcements', { text: messageText(epochMicros(), phase, 64) });
        },
        o.announcementWaitMs,
      );
      if (status < 200 || status >= 300) throw new Error(`POST /announcements on ${node.name} answered ${status}`);
      const latency = seen.latency.summary();
      const result: AnnouncementRun = {
        index: k + 1,
        expected: run.opened,
        reached: seen.delivered,
        p50Ms: latency.p50Ms,
        p99Ms: latency.p99Ms,
        maxMs: latency.maxMs,
        nodesCpuSeconds: nodesCpu() - nodesBefore,
        clientsCpuSeconds: pool.cpuSeconds() - clientsBefore,
        wallSeconds: (performance.now() - wallBefore) / 1000,
      };
      run.announcements.push(result);
      this.ctx.say(
        `cluster ${this.kind} announcement ${k + 1} via ${node.name}: reached ${result.reached}/${result.expected}, ` +
          `p50 ${result.p50Ms}ms p99 ${result.p99Ms}ms last ${result.maxMs}ms; CPU s nodes ${result.nodesCpuSeconds.toFixed(1)}, load processes ${result.clientsCpuSeconds.toFixed(1)}`,
      );
    }
  }
}

export async function runCluster(ctx: RunContext): Promise<ClusterResult> {
  const runs = [await new ClusterScenario(ctx, 'gateway').run()];
  if (ctx.options.clusterReference) runs.push(await new ClusterScenario(ctx, 'reference').run());
  return { runs };
}
