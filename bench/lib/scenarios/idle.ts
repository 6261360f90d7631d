import { join } from 'node:path';
import { type RunContext, errorMessage, workersFor } from '../context.js';
import { type HeapDiff, diffHeapSnapshots } from '../heap.js';
import { LoadPool } from '../load-pool.js';
import type { ServerKind, ServerProcess } from '../servers.js';
import { linearFit, sleep } from '../stats.js';

export interface MemoryPoint {
  connections: number;
  rss: number;
  heapUsed: number;
  external: number;
}

export interface IdleRun {
  repetition: number;
  points: MemoryPoint[];
  /** Least-squares slope over all points, bytes per connection. */
  rssPerConnection: number;
  heapPerConnection: number;
  /** Connections per second while opening them (session received), whole ramp. */
  connectRate: number;
  connectLatencyP99Ms: number;
}

export interface HoldResult {
  server: ServerKind;
  connections: number;
  seconds: number;
  drops: number;
  dropReasons: Record<string, number>;
  /** Connections that answered a round trip after the hold. */
  answered: number;
  /** Fewest engine.io pings a connection answered during the hold. */
  minPings: number;
  rssAfter: number;
}

export interface IdleResult {
  maxConnections: number;
  runs: Record<ServerKind, IdleRun[]>;
  hold: HoldResult[];
  heapDiffs: HeapDiff[];
  error?: string;
}

interface Side {
  kind: ServerKind;
  server: ServerProcess;
  ids: number[];
  points: MemoryPoint[];
  connected: number;
  connectMs: number;
  latencyP99: number[];
}

class IdleScenario {
  private readonly pool: LoadPool;
  private readonly max: number;

  constructor(private readonly ctx: RunContext) {
    this.max = Math.max(...ctx.options.idleSteps);
    this.pool = new LoadPool(workersFor(ctx.options, this.max * 2));
  }

  private async grow(side: Side, target: number, rep: number): Promise<void> {
    const ids = this.pool.allocate(target - side.connected);
    const base = side.connected;
    const connected = await this.pool.connect(
      ids.map((id, i) => ({
        id,
        group: side.kind,
        host: this.ctx.destination(base + i),
        port: side.server.port,
        auth: { username: `idle${base + i}` },
      })),
      200,
      60_000,
    );
    if (connected.failed > 0)
      throw new Error(`${side.kind}: ${connected.failed} connections failed at ${target}: ${connected.errors.join('; ')}`);
    side.ids.push(...ids);
    side.connected = target;
    side.connectMs += connected.elapsedMs;
    side.latencyP99.push(connected.latency.p99Ms);
    await sleep(this.ctx.options.mode === 'quick' ? 100 : 1000);
    const memory = await side.server.memory();
    side.points.push({ connections: target, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external });
    this.ctx.say(
      `idle rep ${rep} ${side.kind}: ${target} connections, rss ${(memory.rss / 2 ** 20).toFixed(1)} MiB, ` +
        `heap ${(memory.heapUsed / 2 ** 20).toFixed(1)} MiB (opened at ${Math.round(connected.rate)}/s)`,
    );
  }

  private async hold(sides: Side[]): Promise<HoldResult[]> {
    const seconds = this.ctx.options.holdSeconds;
    this.ctx.say(`idle: holding ${sides.map((s) => `${s.connected} on ${s.kind}`).join(' and ')} for ${seconds}s`);
    const until = performance.now() + seconds * 1000;
    while (performance.now() < until) {
      await sleep(Math.min(30_000, until - performance.now()));
      const status = await this.pool.status();
      const left = Math.max(0, Math.round((until - performance.now()) / 1000));
      this.ctx.say(`idle hold: open ${JSON.stringify(status.open)}, drops ${JSON.stringify(status.drops)}, ${left}s left`);
    }
    const status = await this.pool.status();
    const results: HoldResult[] = [];
    for (const side of sides) {
      // A round trip on every connection proves the server still serves it, not just that TCP is up.
      const answered = await this.pool.join(
        side.ids.map((id, i) => ({ id, room: `after-hold-${i}` })),
        500,
        60_000,
      );
      results.push({
        server: side.kind,
        connections: side.connected,
        seconds,
        drops: status.drops[side.kind] ?? 0,
        dropReasons: status.dropReasons,
        answered: answered.joined,
        minPings: status.minPings,
        rssAfter: side.server.rssBytes(),
      });
      this.ctx.say(
        `idle hold ${side.kind}: ${status.drops[side.kind] ?? 0} drops, ${answered.joined}/${side.connected} answered after the hold`,
      );
    }
    return results;
  }

  /**
   * On servers of their own (a snapshot inflates RSS, which would spoil the slopes): two heap
   * snapshots a known number of connections apart; the difference is what those connections hold.
   */
  private async heapDiffs(steps: number[]): Promise<HeapDiff[]> {
    const [low, high] = [steps[0]!, steps[1] ?? steps[0]! * 2];
    const diffs: HeapDiff[] = [];
    for (const kind of ['gateway', 'reference'] as const) {
      const server = await this.ctx.startServer(kind, `${kind}-heap`);
      const side: Side = { kind, server, ids: [], points: [], connected: 0, connectMs: 0, latencyP99: [] };
      try {
        const paths: string[] = [];
        for (const target of [low, high]) {
          await this.grow(side, target, 0);
          paths.push(join(this.ctx.tmpDir, `${kind}-idle-${target}.heapsnapshot`));
          await server.heapSnapshot(paths[paths.length - 1]!);
        }
        diffs.push(diffHeapSnapshots(kind, paths[0]!, paths[1]!, high - low));
        this.ctx.say(`idle heap ${kind}: ${diffs[diffs.length - 1]!.bytesPerConnection} B per connection by snapshot diff`);
      } finally {
        await this.pool.closeGroup(kind);
        await server.stop();
      }
    }
    return diffs;
  }

  async run(): Promise<IdleResult> {
    const o = this.ctx.options;
    const result: IdleResult = { maxConnections: this.max, runs: { gateway: [], reference: [] }, hold: [], heapDiffs: [] };
    const steps = [...o.idleSteps].sort((a, b) => a - b);
    try {
      for (let rep = 1; rep <= o.repetitions; rep += 1) {
        const sides: Side[] = [];
        try {
          for (const kind of ['gateway', 'reference'] as const) {
            const server = await this.ctx.startServer(kind, `${kind}-idle-${rep}`);
            sides.push({ kind, server, ids: [], points: [], connected: 0, connectMs: 0, latencyP99: [] });
          }
          for (const target of steps) {
            for (const kind of this.ctx.order(rep))
              await this.grow(
                sides.find((s) => s.kind === kind)!,
                target,
                rep,
              );
          }
          for (const side of sides) {
            const rss = linearFit(side.points.map((p) => ({ x: p.connections, y: p.rss })));
            const heap = linearFit(side.points.map((p) => ({ x: p.connections, y: p.heapUsed })));
            result.runs[side.kind].push({
              repetition: rep,
              points: side.points,
              rssPerConnection: rss.slope,
              heapPerConnection: heap.slope,
              connectRate: side.connected / (side.connectMs / 1000),
              connectLatencyP99Ms: Math.max(...side.latencyP99),
            });
            this.ctx.say(
              `idle rep ${rep} ${side.kind}: ${Math.round(rss.slope)} B rss/connection, ${Math.round(heap.slope)} B heap/connection, ` +
                `${Math.round(side.connected / (side.connectMs / 1000))} connections/s`,
            );
          }
          if (rep === 1) result.hold = await this.hold(sides);
        } finally {
          await this.pool.closeGroup();
          await Promise.all(sides.map((s) => s.server.stop()));
        }
      }
      if (o.heapSnapshots) result.heapDiffs = await this.heapDiffs(steps);
    } catch (error) {
      result.error = errorMessage(error);
      this.ctx.say(`idle FAILED: ${result.error}`);
    } finally {
      await this.pool.stop();
    }
    return result;
  }
}

export function runIdle(ctx: RunContext): Promise<IdleResult> {
  return new IdleScenario(ctx).run();
}
