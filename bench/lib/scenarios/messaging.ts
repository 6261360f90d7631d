import { join } from 'node:path';
import { type RunContext, errorMessage, workersFor } from '../context.js';
import { cpuMark, cpuSince } from '../cpu-window.js';
import type { LatencySummary } from '../histogram.js';
import { LoadPool } from '../load-pool.js';
import type { SenderSpec } from '../load-protocol.js';
import { type ProfileSummary, summarizeProfile } from '../profile.js';
import type { ServerKind, ServerProcess } from '../servers.js';
import { median, round } from '../stats.js';

export type MessagingName = 'fanout' | 'rooms' | 'direct';

export interface MessagingDefinition {
  name: MessagingName;
  title: string;
  connections: number;
  /** Deliveries one send causes. */
  fanout: number;
  /** Deliveries per second the saturation search starts at. */
  startRate: number;
  plan(ids: number[]): { joins: Array<{ id: number; room: string }>; senders: SenderSpec[] };
}

export interface WindowResult {
  offeredPerSec: number;
  durationMs: number;
  sent: number;
  expected: number;
  skipped: number;
  delivered: number;
  deliveredRatio: number;
  deliveredPerSec: number;
  stale: number;
  latency: LatencySummary;
  ackLatency: LatencySummary;
  acksFailed: number;
  ackErrors: string[];
  cpuMicrosPerDelivery: number;
  serverCores: number;
  clientCores: number;
  otherCores: number;
  rssBytes: number;
  pass?: boolean;
  failReason?: string;
}

export interface SaturationRun {
  repetition: number;
  steps: WindowResult[];
  /** Deliveries per second of the last step that met the delivery and latency limits. */
  saturatedPerSec: number;
}

export interface FixedRun extends WindowResult {
  repetition: number;
}

export interface MessagingResult {
  name: MessagingName;
  title: string;
  connectionsPerServer: number;
  fanout: number;
  saturation: Record<ServerKind, SaturationRun[]>;
  fixedLoad: { deliveriesPerSec: number; runs: Record<ServerKind, FixedRun[]> };
  profiles: ProfileSummary[];
  error?: string;
}

interface Side {
  kind: ServerKind;
  server: ServerProcess;
  senders: SenderSpec[];
}

export function messagingDefinitions(ctx: RunContext): Record<MessagingName, MessagingDefinition> {
  const o = ctx.options;
  return {
    fanout: {
      name: 'fanout',
      title: `one room of ${o.fanoutMembers} members`,
      connections: o.fanoutMembers,
      fanout: o.fanoutMembers - 1,
      startRate: o.mode === 'quick' ? 200 : 40_000,
      plan: (ids) => ({
        joins: ids.map((id) => ({ id, room: 'big-room' })),
        senders: ids.slice(0, o.fanoutSenders).map((id) => ({ id, kind: 'room', room: 'big-room', fanout: o.fanoutMembers - 1 })),
      }),
    },
    rooms: {
      name: 'rooms',
      title: `${o.roomCount} rooms of ${o.roomSize} members`,
      connections: o.roomCount * o.roomSize,
      fanout: o.roomSize - 1,
      startRate: o.mode === 'quick' ? 100 : 10_000,
      plan: (ids) => {
        const room = (i: number): string => `room-${Math.floor(i / o.roomSize)}`;
        return {
          joins: ids.map((id, i) => ({ id, room: room(i) })),
          senders: ids.map((id, i) => ({ id, kind: 'room', room: room(i), fanout: o.roomSize - 1 })),
        };
      },
    },
    direct: {
      name: 'direct',
      title: `direct messages between ${o.directUsers} users`,
      connections: o.directUsers,
      fanout: 1,
      startRate: o.mode === 'quick' ? 50 : 4000,
      plan: (ids) => ({
        joins: [],
        senders: ids.map((id, i) => ({ id, kind: 'direct', userPrefix: 'u', userIndex: i, userCount: ids.length })),
      }),
    },
  };
}

function describe(w: WindowResult): string {
  const verdict = w.pass === undefined ? '' : w.pass ? ' -> pass' : ` -> FAIL (${w.failReason})`;
  return (
    `offered ${Math.round(w.offeredPerSec)}/s delivered ${Math.round(w.deliveredPerSec)}/s (${(w.deliveredRatio * 100).toFixed(1)}%) ` +
    `p50 ${w.latency.p50Ms}ms p99 ${w.latency.p99Ms}ms cpu ${w.cpuMicrosPerDelivery.toFixed(2)}us/delivery ` +
    `server ${w.serverCores.toFixed(2)} cores, clients ${w.clientCores.toFixed(2)}, others ${w.otherCores.toFixed(2)}${verdict}`
  );
}

class MessagingRun {
  private readonly pool: LoadPool;

  constructor(
    private readonly ctx: RunContext,
    private readonly def: MessagingDefinition,
  ) {
    this.pool = new LoadPool(workersFor(ctx.options, def.connections * 2));
  }

  /** Fresh gateway and reference, each with its own connections, joined as the scenario says. */
  async openPair(label: string): Promise<Side[]> {
    const sides: Side[] = [];
    for (const kind of ['gateway', 'reference'] as const) {
      const server = await this.ctx.startServer(kind, `${kind}-${this.def.name}-${label}`);
      sides.push({ kind, server, senders: [] });
      const ids = this.pool.allocate(this.def.connections);
      const connected = await this.pool.connect(
        ids.map((id, i) => ({ id, group: kind, host: this.ctx.destination(i), port: server.port, auth: { username: `u${i}` } })),
        200,
      );
      if (connected.failed > 0) throw new Error(`${kind}: ${connected.failed} connections failed: ${connected.errors.join('; ')}`);
      const { joins, senders } = this.def.plan(ids);
      if (joins.length > 0) {
        const joined = await this.pool.join(joins, 50, 60_000);
        if (joined.failed > 0) throw new Error(`${kind}: ${joined.failed} joins failed: ${joined.errors.join('; ')}`);
      }
      sides[sides.length - 1]!.senders = senders;
      this.ctx.say(`${this.def.name} ${label}: ${kind} up (pid ${server.pid}), ${connected.opened} connected at ${Math.round(connected.rate)}/s`);
    }
    return sides;
  }

  async closePair(sides: Side[]): Promise<void> {
    await this.pool.closeGroup();
    await Promise.all(sides.map((s) => s.server.stop()));
  }

  async window(side: Side, twin: Side, deliveriesPerSec: number, durationMs: number): Promise<WindowResult> {
    const o = this.ctx.options;
    const mark = cpuMark(side.server, [twin.server], this.pool);
    const phase = await this.pool.measure(side.senders, deliveriesPerSec / this.def.fanout, durationMs, o.drainMs, o.textBytes);
    const cpu = cpuSince(mark, side.server, [twin.server], this.pool);
    if (!side.server.alive) throw new Error(`${side.kind} died: ${side.server.stderr}`);
    return {
      offeredPerSec: deliveriesPerSec,
      durationMs,
      sent: phase.sent,
      expected: phase.expected,
      skipped: phase.skipped,
      delivered: phase.delivered,
      deliveredRatio: phase.expected === 0 ? 0 : phase.delivered / phase.expected,
      deliveredPerSec: phase.delivered / (durationMs / 1000),
      stale: phase.stale,
      latency: phase.latency.summary(),
      ackLatency: phase.ackLatency.summary(),
      acksFailed: phase.acksFailed,
      ackErrors: phase.ackErrors,
      cpuMicrosPerDelivery: phase.delivered === 0 ? Number.NaN : (cpu.serverSeconds * 1e6) / phase.delivered,
      serverCores: round(cpu.serverCores),
      clientCores: round(cpu.clientCores),
      otherCores: round(cpu.otherCores),
      rssBytes: side.server.rssBytes(),
    };
  }

  judge(w: WindowResult): WindowResult {
    const o = this.ctx.options;
    const reasons: string[] = [];
    if (w.skipped > 0.01 * (w.sent + w.skipped)) reasons.push('load generator fell behind');
    if (w.acksFailed > 0) reasons.push(`${w.acksFailed} sends refused`);
    if (w.deliveredRatio < o.deliveryRatio) reasons.push(`delivered ${(w.deliveredRatio * 100).toFixed(1)}%`);
    if (w.latency.p99Ms > o.latencyLimitMs) reasons.push(`p99 ${w.latency.p99Ms}ms`);
    return { ...w, pass: reasons.length === 0, failReason: reasons.length ? reasons.join(', ') : undefined };
  }

  /**
   * Steps the offered load up by 1.5x while it passes, halves it while the first steps fail,
   * then bisects (geometric mean) between the last pass and the first failure.
   */
  async saturate(side: Side, twin: Side, startRate: number, label: string): Promise<SaturationRun['steps']> {
    const o = this.ctx.options;
    const steps: WindowResult[] = [];
    let rate = startRate;
    let lo: number | undefined;
    let hi: number | undefined;
    await this.window(side, twin, startRate / 2, o.warmupMs);
    for (let n = 0; n < o.maxSteps; n += 1) {
      const step = this.judge(await this.window(side, twin, rate, o.stepMs));
      steps.push(step);
      this.ctx.say(`${this.def.name} ${label} ${side.kind} step ${n + 1}: ${describe(step)}`);
      if (step.pass) lo = rate;
      else {
        hi = rate;
        await this.pool.quiesce(10_000);
      }
      if (lo === undefined) rate /= 2;
      else if (hi === undefined) rate *= 1.5;
      else if (hi / lo > 1.12) rate = Math.sqrt(lo * hi);
      else break;
      if (lo === undefined && n >= 4) break;
    }
    return steps;
  }

  async profile(side: Side, twin: Side, deliveriesPerSec: number): Promise<ProfileSummary> {
    const path = join(this.ctx.tmpDir, `${side.kind}-${this.def.name}.cpuprofile`);
    await side.server.startProfile();
    const window = await this.window(side, twin, deliveriesPerSec, this.ctx.options.profileMs);
    await side.server.stopProfile(path);
    this.ctx.say(`${this.def.name} profile ${side.kind}: ${describe(window)} -> ${path}`);
    return summarizeProfile(path, { server: side.kind, scenario: this.def.name, deliveries: window.delivered });
  }

  async run(): Promise<MessagingResult> {
    const o = this.ctx.options;
    const result: MessagingResult = {
      name: this.def.name,
      title: this.def.title,
      connectionsPerServer: this.def.connections,
      fanout: this.def.fanout,
      saturation: { gateway: [], reference: [] },
      fixedLoad: { deliveriesPerSec: 0, runs: { gateway: [], reference: [] } },
      profiles: [],
    };
    try {
      const lastPass: Partial<Record<ServerKind, number>> = {};
      for (let rep = 1; rep <= o.repetitions; rep += 1) {
        const sides = await this.openPair(`saturation ${rep}/${o.repetitions}`);
        try {
          for (const kind of this.ctx.order(rep)) {
            const side = sides.find((s) => s.kind === kind)!;
            const twin = sides.find((s) => s.kind !== kind)!;
            const start = lastPass[kind] ? lastPass[kind]! * 0.6 : this.def.startRate;
            const steps = await this.saturate(side, twin, start, `rep ${rep}`);
            const passing = steps.filter((s) => s.pass);
            const best = passing.length ? Math.max(...passing.map((s) => s.deliveredPerSec)) : 0;
            if (best > 0) lastPass[kind] = best;
            result.saturation[kind].push({ repetition: rep, steps, saturatedPerSec: best });
            this.ctx.say(`${this.def.name} rep ${rep} ${kind}: saturation ${Math.round(best)} deliveries/s`);
          }
        } finally {
          await this.closePair(sides);
        }
      }
      const referenceSaturation = median(result.saturation.reference.map((r) => r.saturatedPerSec).filter((v) => v > 0));
      const fixed = Number.isFinite(referenceSaturation) ? referenceSaturation / 2 : this.def.startRate / 2;
      result.fixedLoad.deliveriesPerSec = Math.round(fixed);
      this.ctx.say(`${this.def.name}: fixed load = half the reference's saturation = ${Math.round(fixed)} deliveries/s`);
      for (let rep = 1; rep <= o.repetitions; rep += 1) {
        const sides = await this.openPair(`fixed load ${rep}/${o.repetitions}`);
        try {
          for (const kind of this.ctx.order(rep)) {
            const side = sides.find((s) => s.kind === kind)!;
            const twin = sides.find((s) => s.kind !== kind)!;
            await this.window(side, twin, fixed, o.warmupMs);
            const run = { repetition: rep, ...this.judge(await this.window(side, twin, fixed, o.fixedMs)) };
            result.fixedLoad.runs[kind].push(run);
            this.ctx.say(`${this.def.name} fixed rep ${rep} ${kind}: ${describe(run)}`);
          }
          if (rep === 1 && o.profile) {
            for (const kind of this.ctx.order(rep)) {
              const side = sides.find((s) => s.kind === kind)!;
              result.profiles.push(await this.profile(side, sides.find((s) => s.kind !== kind)!, fixed));
            }
          }
        } finally {
          await this.closePair(sides);
        }
      }
    } catch (error) {
      result.error = errorMessage(error);
      this.ctx.say(`${this.def.name} FAILED: ${result.error}`);
    } finally {
      await this.pool.stop();
    }
    return result;
  }
}

export function runMessaging(ctx: RunContext, def: MessagingDefinition): Promise<MessagingResult> {
  return new MessagingRun(ctx, def).run();
}
