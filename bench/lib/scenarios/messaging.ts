import { join } from 'node:path';
import { type RunContext, errorMessage, workersFor } from '../context.js';
import { type CpuUsage, cpuMark, cpuSince } from '../cpu-window.js';
import { Histogram, type LatencySummary } from '../histogram.js';
import { interleave } from '../interleave.js';
import { LoadPool, type PhaseSummary, type ReadLoad } from '../load-pool.js';
import type { ReaderSpec, SenderSpec } from '../load-protocol.js';
import { type ProfileSummary, summarizeProfile } from '../profile.js';
import { ADMIN_API_KEY, gatewayRootOf, type ServerKind, type ServerProcess } from '../servers.js';
import { median, round } from '../stats.js';

export type MessagingName = 'fanout' | 'rooms' | 'reads' | 'direct';

export interface MessagingDefinition {
  name: MessagingName;
  title: string;
  connections: number;
  /** Deliveries one send causes. */
  fanout: number;
  /** Deliveries per second the saturation search starts at. */
  startRate: number;
  /** `room:read` requests per second from each reader the plan names (scenarios with readers). */
  readsPerReaderPerSec?: number;
  plan(ids: number[]): { joins: Array<{ id: number; room: string }>; senders: SenderSpec[]; readers?: ReaderSpec[] };
}

/** The `room:read` requests of a window: how many went out and how they were answered. */
export interface ReadWindow {
  sent: number;
  sentPerSec: number;
  /** Reads with a seq above the reader's previous read; a repeated seq moves no marker and costs the server less. */
  advancing: number;
  /** Not sent because the load process fell behind its schedule (like skipped sends). */
  skipped: number;
  acksOk: number;
  /** Error acks (e.g. a server without the event answers with one): reported, never hidden. */
  acksFailed: number;
  /** Sent in the window, no ack by the end of its drain. */
  unanswered: number;
  ackErrors: string[];
  ackLatency: LatencySummary;
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
  /** Present in windows that offered `room:read` requests beside the sends. */
  reads?: ReadWindow;
  cpuMicrosPerDelivery: number;
  serverCores: number;
  /** Share of the server's CPU time spent in the kernel. */
  serverSystemShare: number;
  /** Share of the server's CPU time on its main thread (absent in results from before it was recorded). */
  serverMainThreadShare?: number;
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
  fixedLoad: {
    deliveriesPerSec: number;
    runs: Record<ServerKind, FixedRun[]>;
    /**
     * Scenarios with readers: the same load without `room:read`, measured in slices alternating
     * with the `runs` ones on the same server processes, so the reads' cost is the difference.
     */
    withoutReads?: Record<ServerKind, FixedRun[]>;
  };
  profiles: ProfileSummary[];
  error?: string;
}

interface Side {
  kind: ServerKind;
  server: ServerProcess;
  senders: SenderSpec[];
  readers: ReaderSpec[];
}

/**
 * Server CPU per `room:read`: what the window with reads cost beyond its deliveries at the
 * no-reads window's CPU per delivery, divided by the reads sent. NaN without reads.
 */
export function cpuMicrosPerRead(withReads: WindowResult, withoutReads: WindowResult): number {
  const reads = withReads.reads?.sent ?? 0;
  if (reads === 0) return Number.NaN;
  return ((withReads.cpuMicrosPerDelivery - withoutReads.cpuMicrosPerDelivery) * withReads.delivered) / reads;
}

export function messagingDefinitions(ctx: RunContext): Record<MessagingName, MessagingDefinition> {
  const o = ctx.options;
  /** Consecutive connections share a room; every member sends, and reads (when the scenario reads) in its room. */
  const roomPlan = (ids: number[]): ReturnType<MessagingDefinition['plan']> => {
    const room = (i: number): string => `room-${Math.floor(i / o.roomSize)}`;
    return {
      joins: ids.map((id, i) => ({ id, room: room(i) })),
      senders: ids.map((id, i) => ({ id, kind: 'room', room: room(i), fanout: o.roomSize - 1 })),
      readers: ids.map((id, i) => ({ id, room: room(i) })),
    };
  };
  return {
    fanout: {
      name: 'fanout',
      title: `one room of ${o.fanoutMembers} members`,
      connections: o.fanoutMembers,
      fanout: o.fanoutMembers - 1,
      startRate: o.mode === 'quick' ? 200 : 10_000,
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
      startRate: o.mode === 'quick' ? 100 : 8000,
      plan: (ids) => {
        const { joins, senders } = roomPlan(ids);
        return { joins, senders };
      },
    },
    reads: {
      name: 'reads',
      title: `${o.roomCount} rooms of ${o.roomSize}, room:read ${o.readsPerUserPerSec}/s per member`,
      connections: o.roomCount * o.roomSize,
      fanout: o.roomSize - 1,
      startRate: o.mode === 'quick' ? 100 : 8000,
      readsPerReaderPerSec: o.readsPerUserPerSec,
      plan: roomPlan,
    },
    direct: {
      name: 'direct',
      title: `direct messages between ${o.directUsers} users`,
      connections: o.directUsers,
      fanout: 1,
      startRate: o.mode === 'quick' ? 50 : 1000,
      plan: (ids) => ({
        joins: [],
        senders: ids.map((id, i) => ({ id, kind: 'direct', userPrefix: 'u', userIndex: i, userCount: ids.length })),
      }),
    },
  };
}

/** One admin POST; a 429 (the admin REST rate limit) is waited out as its Retry-After says. */
async function postRestriction(url: string, userId: string): Promise<void> {
  for (;;) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_API_KEY },
      body: JSON.stringify({ userId, reason: 'bench' }),
    });
    if (response.status !== 429) {
      if (!response.ok) throw new Error(`POST ${url} answered ${response.status}`);
      return;
    }
    const retryAfterSeconds = Number(response.headers.get('retry-after') ?? '1');
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, retryAfterSeconds) * 1000));
  }
}

interface RawWindow {
  offeredPerSec: number;
  durationMs: number;
  withReads: boolean;
  phase: PhaseSummary;
  cpu: CpuUsage;
  rssBytes: number;
}

/** Merges windows measured at the same offered load (slices of one fixed-load window). */
function combine(raws: RawWindow[]): WindowResult {
  const sum = (pick: (r: RawWindow) => number): number => raws.reduce((s, r) => s + pick(r), 0);
  const durationMs = sum((r) => r.durationMs);
  const wall = sum((r) => r.cpu.wallSeconds);
  const serverSeconds = sum((r) => r.cpu.serverSeconds);
  const expected = sum((r) => r.phase.expected);
  const delivered = sum((r) => r.phase.delivered);
  const latency = Histogram.from(raws.map((r) => r.phase.latency.data()));
  const ackLatency = Histogram.from(raws.map((r) => r.phase.ackLatency.data()));
  return {
    offeredPerSec: raws[0]!.offeredPerSec,
    durationMs,
    sent: sum((r) => r.phase.sent),
    expected,
    skipped: sum((r) => r.phase.skipped),
    delivered,
    deliveredRatio: expected === 0 ? 0 : delivered / expected,
    deliveredPerSec: delivered / (durationMs / 1000),
    stale: sum((r) => r.phase.stale),
    latency: latency.summary(),
    ackLatency: ackLatency.summary(),
    acksFailed: sum((r) => r.phase.acksFailed),
    ackErrors: raws.flatMap((r) => r.phase.ackErrors).slice(0, 5),
    ...(raws.some((r) => r.withReads) ? { reads: combineReads(raws, durationMs) } : {}),
    cpuMicrosPerDelivery: delivered === 0 ? Number.NaN : (serverSeconds * 1e6) / delivered,
    serverCores: round(serverSeconds / wall),
    serverSystemShare: round(serverSeconds === 0 ? 0 : sum((r) => r.cpu.serverSystemShare * r.cpu.serverSeconds) / serverSeconds),
    serverMainThreadShare: round(serverSeconds === 0 ? 0 : sum((r) => r.cpu.serverMainThreadShare * r.cpu.serverSeconds) / serverSeconds),
    clientCores: round(sum((r) => r.cpu.clientCores * r.cpu.wallSeconds) / wall),
    otherCores: round(sum((r) => r.cpu.otherCores * r.cpu.wallSeconds) / wall),
    rssBytes: Math.max(...raws.map((r) => r.rssBytes)),
  };
}

function combineReads(raws: RawWindow[], durationMs: number): ReadWindow {
  const sum = (pick: (r: PhaseSummary['reads']) => number): number => raws.reduce((s, r) => s + pick(r.phase.reads), 0);
  const sent = sum((r) => r.sent);
  const acksOk = sum((r) => r.acksOk);
  const acksFailed = sum((r) => r.acksFailed);
  return {
    sent,
    sentPerSec: round(sent / (durationMs / 1000), 1),
    advancing: sum((r) => r.advancing),
    skipped: sum((r) => r.skipped),
    acksOk,
    acksFailed,
    unanswered: sent - acksOk - acksFailed,
    ackErrors: raws.flatMap((r) => r.phase.reads.ackErrors).slice(0, 5),
    ackLatency: Histogram.from(raws.map((r) => r.phase.reads.ackLatency.data())).summary(),
  };
}

/**
 * Steps the offered load up by 1.5x while it passes, halves it while the first steps fail,
 * then bisects (geometric mean) between the last pass and the first failure down to 12%.
 * A failed step is tried once more before it counts: on a shared machine one burst of
 * background load must not end the search.
 */
class SaturationSearch {
  readonly steps: WindowResult[] = [];
  done = false;
  private lo?: number;
  private hi?: number;
  private retriedAt?: number;

  constructor(
    readonly kind: ServerKind,
    public rate: number,
    private readonly maxSteps: number,
  ) {}

  record(step: WindowResult): void {
    this.steps.push(step);
    if (this.steps.length >= this.maxSteps) this.done = true;
    if (!step.pass && this.retriedAt !== this.rate) {
      this.retriedAt = this.rate;
      return;
    }
    this.retriedAt = undefined;
    if (step.pass) this.lo = this.rate;
    else this.hi = this.rate;
    if (this.lo === undefined) this.rate /= 2;
    else if (this.hi === undefined) this.rate *= 1.5;
    else if (this.hi / this.lo > 1.12) this.rate = Math.sqrt(this.lo * this.hi);
    else this.done = true;
    if (this.lo === undefined && this.steps.length >= 8) this.done = true;
  }
}

function describeReads(r: ReadWindow | undefined): string {
  if (!r) return '';
  const refused = r.acksFailed > 0 ? ` REFUSED ${r.acksFailed} (${r.ackErrors[0] ?? ''})` : '';
  const unanswered = r.unanswered > 0 ? ` unanswered ${r.unanswered}` : '';
  return `, room:read ${r.sentPerSec}/s ack p99 ${r.ackLatency.p99Ms}ms ok ${r.acksOk}${refused}${unanswered}`;
}

function describe(w: WindowResult): string {
  const verdict = w.pass === undefined ? '' : w.pass ? ' -> pass' : ` -> FAIL (${w.failReason})`;
  return (
    `offered ${Math.round(w.offeredPerSec)}/s delivered ${Math.round(w.deliveredPerSec)}/s (${(w.deliveredRatio * 100).toFixed(1)}%) ` +
    `p50 ${w.latency.p50Ms}ms p99 ${w.latency.p99Ms}ms cpu ${w.cpuMicrosPerDelivery.toFixed(2)}us/delivery ` +
    `server ${w.serverCores.toFixed(2)} cores (${Math.round(w.serverSystemShare * 100)}% kernel, ${Math.round((w.serverMainThreadShare ?? 0) * 100)}% main thread), clients ${w.clientCores.toFixed(2)}, others ${w.otherCores.toFixed(2)}${describeReads(w.reads)}${verdict}`
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

  /**
   * Fresh gateway and reference, each with its own connections, joined as the scenario says;
   * which server starts first alternates with the repetition, like the windows.
   */
  async openPair(label: string, rep: number): Promise<Side[]> {
    const sides: Side[] = [];
    try {
      await this.connectPair(sides, label, this.ctx.order(rep));
      return sides;
    } catch (error) {
      await this.closePair(sides);
      throw error;
    }
  }

  /**
   * Both servers start, then their clients connect interleaved, one of each in turn: when one
   * server's clients all connected first, that server measured 4-7% dearer per delivery even
   * when both were the same program (docs/benchmarks.md), so neither may go first as a whole.
   */
  private async connectPair(sides: Side[], label: string, order: ServerKind[]): Promise<void> {
    for (const kind of order) {
      sides.push({ kind, server: await this.ctx.startServer(kind, `${kind}-${this.def.name}-${label}`), senders: [], readers: [] });
    }
    const ids = sides.map(() => this.pool.allocate(this.def.connections));
    const specs = interleave(
      sides.map((side, s) =>
        ids[s]!.map((id, i) => ({
          id,
          group: side.kind,
          host: this.ctx.destination(i),
          port: side.server.port,
          auth: { username: `u${i}` },
        })),
      ),
    );
    const connected = await this.pool.connect(specs, 200);
    if (connected.failed > 0) throw new Error(`${connected.failed} connections failed: ${connected.errors.join('; ')}`);
    const plans = ids.map((connections) => this.def.plan(connections));
    sides.forEach((side, s) => {
      side.senders = plans[s]!.senders;
      side.readers = plans[s]!.readers ?? [];
    });
    const joins = interleave(plans.map((plan) => plan.joins));
    if (joins.length > 0) {
      const joined = await this.pool.join(joins, 50, 60_000);
      if (joined.failed > 0) throw new Error(`${joined.failed} joins failed: ${joined.errors.join('; ')}`);
    }
    await this.restrictRooms(sides, new Set(joins.map((join) => join.room)));
    const pids = sides.map((side) => `${side.kind} pid ${side.server.pid}`).join(', ');
    this.ctx.say(`${this.def.name} ${label}: up (${pids}), ${connected.opened} connections interleaved at ${Math.round(connected.rate)}/s`);
  }

  /**
   * `--restrictions`: bans and mutes of users who never connect, in every joined room of the
   * gateway (the reference has no such routes), so the checks on the measured events find entries.
   */
  private async restrictRooms(sides: Side[], rooms: ReadonlySet<string>): Promise<void> {
    const perRoom = this.ctx.options.restrictionsPerRoom;
    const gateway = sides.find((side) => side.kind === 'gateway');
    if (perRoom === 0 || !gateway) return;
    const base = `http://${this.ctx.options.listenHost}:${gateway.server.port}`;
    for (const room of rooms) {
      for (let i = 0; i < perRoom; i++) {
        for (const kind of ['bans', 'mutes']) await postRestriction(`${base}/rooms/${room}/${kind}`, `absent-${kind}-${i}`);
      }
    }
    this.ctx.note(`gateway rooms held ${perRoom} bans and ${perRoom} mutes each (--restrictions)`);
  }

  async closePair(sides: Side[]): Promise<void> {
    await this.pool.closeGroup();
    await Promise.all(sides.map((s) => s.server.stop()));
  }

  /**
   * One measured window: offered load for `durationMs`, then the drain. The scenario's readers
   * send `room:read` beside the sends unless `reads` is false (the no-reads half of a pair).
   */
  async measure(side: Side, twin: Side, deliveriesPerSec: number, durationMs: number, reads = true): Promise<RawWindow> {
    const o = this.ctx.options;
    const readLoad: ReadLoad | undefined =
      reads && side.readers.length > 0 ? { readers: side.readers, perReaderPerSec: this.def.readsPerReaderPerSec ?? 0 } : undefined;
    const mark = cpuMark(side.server, [twin.server], this.pool);
    const phase = await this.pool.measure(side.senders, deliveriesPerSec / this.def.fanout, durationMs, o.drainMs, o.textBytes, readLoad);
    const cpu = cpuSince(mark, side.server, [twin.server], this.pool);
    if (!side.server.alive) throw new Error(`${side.kind} died: ${side.server.stderr}`);
    return { offeredPerSec: deliveriesPerSec, durationMs, withReads: readLoad !== undefined, phase, cpu, rssBytes: side.server.rssBytes() };
  }

  async window(side: Side, twin: Side, deliveriesPerSec: number, durationMs: number): Promise<WindowResult> {
    return combine([await this.measure(side, twin, deliveriesPerSec, durationMs)]);
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
   * Both servers' searches advance in lockstep, one step each in turn, so a change in the
   * machine's background load hits both alike.
   */
  async saturate(
    sides: Side[],
    order: ServerKind[],
    start: Partial<Record<ServerKind, number>>,
    label: string,
  ): Promise<Record<ServerKind, WindowResult[]>> {
    const o = this.ctx.options;
    const searches = order.map((kind) => new SaturationSearch(kind, start[kind] ?? this.def.startRate, o.maxSteps));
    for (const search of searches) {
      const side = sides.find((s) => s.kind === search.kind)!;
      await this.window(
        side,
        sides.find((s) => s !== side)!,
        search.rate / 2,
        o.warmupMs,
      );
    }
    while (searches.some((s) => !s.done)) {
      for (const search of searches.filter((s) => !s.done)) {
        const side = sides.find((s) => s.kind === search.kind)!;
        const step = this.judge(
          await this.window(
            side,
            sides.find((s) => s !== side)!,
            search.rate,
            o.stepMs,
          ),
        );
        this.ctx.say(`${this.def.name} ${label} ${side.kind} step ${search.steps.length + 1}: ${describe(step)}`);
        search.record(step);
        if (!step.pass) await this.pool.quiesce(10_000);
      }
    }
    return { gateway: searches.find((s) => s.kind === 'gateway')!.steps, reference: searches.find((s) => s.kind === 'reference')!.steps };
  }

  /**
   * The fixed-load window is cut into slices that alternate between the servers, so both see
   * the same background load; the slices are merged per server. A scenario with readers
   * measures each slice twice, with and without `room:read` (which goes first alternates too),
   * so the reads' cost comes from the same processes at the same moment.
   */
  async fixedLoad(
    sides: Side[],
    rep: number,
    deliveriesPerSec: number,
  ): Promise<{ runs: Record<ServerKind, WindowResult>; withoutReads?: Record<ServerKind, WindowResult> }> {
    const o = this.ctx.options;
    const slices = o.mode === 'quick' ? 1 : 4;
    const paired = sides.some((side) => side.readers.length > 0);
    const raws: Record<ServerKind, RawWindow[]> = { gateway: [], reference: [] };
    const rawsWithoutReads: Record<ServerKind, RawWindow[]> = { gateway: [], reference: [] };
    for (const kind of this.ctx.order(rep)) {
      const side = sides.find((s) => s.kind === kind)!;
      await this.window(
        side,
        sides.find((s) => s !== side)!,
        deliveriesPerSec,
        o.warmupMs,
      );
    }
    for (let slice = 0; slice < slices; slice += 1) {
      for (const kind of this.ctx.order(rep + slice)) {
        const side = sides.find((s) => s.kind === kind)!;
        const twin = sides.find((s) => s !== side)!;
        const readsFirst = (rep + slice) % 2 === 1;
        for (const reads of paired ? [readsFirst, !readsFirst] : [true]) {
          const raw = await this.measure(side, twin, deliveriesPerSec, o.fixedMs / slices, reads);
          (reads ? raws : rawsWithoutReads)[kind].push(raw);
        }
      }
    }
    const judged = (r: Record<ServerKind, RawWindow[]>): Record<ServerKind, WindowResult> => ({
      gateway: this.judge(combine(r.gateway)),
      reference: this.judge(combine(r.reference)),
    });
    return paired ? { runs: judged(raws), withoutReads: judged(rawsWithoutReads) } : { runs: judged(raws) };
  }

  async profile(side: Side, twin: Side, deliveriesPerSec: number): Promise<ProfileSummary> {
    const path = join(this.ctx.tmpDir, `${side.kind}-${this.def.name}.cpuprofile`);
    await side.server.startProfile();
    const window = await this.window(side, twin, deliveriesPerSec, this.ctx.options.profileMs);
    await side.server.stopProfile(path);
    this.ctx.say(`${this.def.name} profile ${side.kind}: ${describe(window)} -> ${path}`);
    const meta = { server: side.kind, scenario: this.def.name, deliveries: window.delivered, offeredPerSec: Math.round(deliveriesPerSec) };
    return summarizeProfile(path, meta, gatewayRootOf(this.ctx.options.gatewayEntry));
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
      for (let rep = 1; o.fixedRate === undefined && rep <= o.repetitions; rep += 1) {
        const sides = await this.openPair(`saturation ${rep}/${o.repetitions}`, rep);
        try {
          const start: Partial<Record<ServerKind, number>> = {};
          for (const kind of ['gateway', 'reference'] as const) if (lastPass[kind]) start[kind] = lastPass[kind]! * 0.6;
          const steps = await this.saturate(sides, this.ctx.order(rep), start, `rep ${rep}`);
          for (const kind of this.ctx.order(rep)) {
            const passing = steps[kind].filter((s) => s.pass);
            const best = passing.length ? Math.max(...passing.map((s) => s.deliveredPerSec)) : 0;
            if (best > 0) lastPass[kind] = best;
            result.saturation[kind].push({ repetition: rep, steps: steps[kind], saturatedPerSec: best });
            this.ctx.say(`${this.def.name} rep ${rep} ${kind}: saturation ${Math.round(best)} deliveries/s`);
          }
        } finally {
          await this.closePair(sides);
        }
      }
      const referenceSaturation = median(result.saturation.reference.map((r) => r.saturatedPerSec).filter((v) => v > 0));
      const fixed = o.fixedRate ?? (Number.isFinite(referenceSaturation) ? referenceSaturation / 2 : this.def.startRate / 2);
      result.fixedLoad.deliveriesPerSec = Math.round(fixed);
      const basis = o.fixedRate === undefined ? "half the reference's saturation" : 'set by --fixed-rate';
      this.ctx.say(`${this.def.name}: fixed load = ${basis} = ${Math.round(fixed)} deliveries/s`);
      for (let rep = 1; rep <= o.repetitions; rep += 1) {
        const sides = await this.openPair(`fixed load ${rep}/${o.repetitions}`, rep);
        try {
          const { runs, withoutReads } = await this.fixedLoad(sides, rep, fixed);
          for (const kind of this.ctx.order(rep)) {
            const run = { repetition: rep, ...runs[kind] };
            result.fixedLoad.runs[kind].push(run);
            this.ctx.say(`${this.def.name} fixed rep ${rep} ${kind}: ${describe(run)}`);
            if (!withoutReads) continue;
            const without = { repetition: rep, ...withoutReads[kind] };
            (result.fixedLoad.withoutReads ??= { gateway: [], reference: [] })[kind].push(without);
            const perRead = cpuMicrosPerRead(run, without);
            this.ctx.say(
              `${this.def.name} fixed rep ${rep} ${kind} without room:read: ${describe(without)}; ` +
                `CPU per room:read ${Number.isFinite(perRead) ? perRead.toFixed(1) : 'n/a'}us`,
            );
          }
          if (rep === 1 && o.profile) {
            for (const kind of this.ctx.order(rep)) {
              const side = sides.find((s) => s.kind === kind)!;
              result.profiles.push(
                await this.profile(
                  side,
                  sides.find((s) => s.kind !== kind)!,
                  o.profileRate ?? fixed,
                ),
              );
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
