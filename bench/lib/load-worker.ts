/**
 * A load process: holds thousands of raw socket.io connections, sends at the rate the runner
 * asks for, and counts deliveries and their latency. Started by LoadPool over IPC.
 */
import { Histogram } from './histogram.js';
import type {
  ConnectResult,
  ConnectSpec,
  Counters,
  JoinResult,
  PhaseStats,
  SendResult,
  SenderSpec,
  WorkerEnvelope,
  WorkerReply,
  WorkerRequest,
  WorkerStatus,
} from './load-protocol.js';
import { messageText } from './load-protocol.js';
import { SioClient, type SioHandlers, startsWith } from './raw-client.js';
import { epochMicros, sleep } from './stats.js';

const MESSAGE_NEW = Buffer.from('["message:new",');
const MESSAGE_DIRECT = Buffer.from('["message:direct",');
const ANNOUNCEMENT = Buffer.from('["announcement",');
const TEXT_KEY = Buffer.from('"text":"');
const ACK_OK = Buffer.from('[{"ok":true');
const TILDE = 0x7e;
const CHAR_0 = 0x30;
/** A load process stalled longer than this (descheduled on a busy machine) skips the backlog instead of bursting it. */
const MAX_LAG_MS = 250;

const clients = new Map<number, SioClient>();
const groupOf = new Map<number, string>();
const drops = new Map<string, number>();
const dropReasons = new Map<string, number>();

let phase = 0;
let stats = freshStats(0);

function freshStats(forPhase: number): PhaseStats & { latencyHistogram: Histogram; ackHistogram: Histogram } {
  const latencyHistogram = new Histogram();
  const ackHistogram = new Histogram();
  return {
    phase: forPhase,
    messageNew: 0,
    messageDirect: 0,
    announcement: 0,
    stale: 0,
    otherEvents: {},
    latency: latencyHistogram.data(),
    ackLatency: ackHistogram.data(),
    acksOk: 0,
    acksFailed: 0,
    ackErrors: [],
    latencyHistogram,
    ackHistogram,
  };
}

/** Reads `<micros>~<phase>~` at the start of the first `"text":"` value; undefined when absent. */
function stamp(body: Buffer): { sentAt: number; phase: number } | undefined {
  const at = body.indexOf(TEXT_KEY);
  if (at < 0) return undefined;
  let index = at + TEXT_KEY.length;
  let sentAt = 0;
  while (index < body.length && body[index] !== TILDE) sentAt = sentAt * 10 + (body[index++]! - CHAR_0);
  index += 1;
  let messagePhase = 0;
  while (index < body.length && body[index] !== TILDE) messagePhase = messagePhase * 10 + (body[index++]! - CHAR_0);
  if (index >= body.length) return undefined;
  return { sentAt, phase: messagePhase };
}

function countDelivery(body: Buffer): boolean {
  const tag = stamp(body);
  if (!tag) return false;
  if (tag.phase !== phase) {
    stats.stale += 1;
    return false;
  }
  stats.latencyHistogram.record(epochMicros() - tag.sentAt);
  return true;
}

const handlers: SioHandlers = {
  onEvent(_client, packet) {
    if (startsWith(packet, MESSAGE_NEW)) {
      if (countDelivery(packet)) stats.messageNew += 1;
    } else if (startsWith(packet, MESSAGE_DIRECT)) {
      if (countDelivery(packet)) stats.messageDirect += 1;
    } else if (startsWith(packet, ANNOUNCEMENT)) {
      if (countDelivery(packet)) stats.announcement += 1;
    } else {
      const end = packet.indexOf(0x22, 2);
      const name = end > 2 ? packet.toString('utf8', 2, end) : 'unknown';
      stats.otherEvents[name] = (stats.otherEvents[name] ?? 0) + 1;
    }
  },
  onAck(_client, _id, body) {
    if (startsWith(body, ACK_OK)) {
      stats.acksOk += 1;
      const tag = stamp(body);
      if (tag && tag.phase === phase) stats.ackHistogram.record(epochMicros() - tag.sentAt);
    } else {
      stats.acksFailed += 1;
      if (stats.ackErrors.length < 5) stats.ackErrors.push(body.toString('utf8', 0, Math.min(body.length, 300)));
    }
  },
  onDrop(client, reason) {
    const group = groupOf.get(client.id) ?? 'unknown';
    drops.set(group, (drops.get(group) ?? 0) + 1);
    dropReasons.set(reason, (dropReasons.get(reason) ?? 0) + 1);
  },
};

/** Runs `task` over `items` with at most `concurrency` in flight. */
async function pooled<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await task(items[next++]!);
  });
  await Promise.all(lanes);
}

async function connectAll(specs: ConnectSpec[], concurrency: number, timeoutMs: number): Promise<ConnectResult> {
  const started = performance.now();
  const latency = new Histogram();
  const errors: string[] = [];
  let opened = 0;
  await pooled(specs, concurrency, async (spec) => {
    const client = new SioClient(spec.id, handlers);
    const begun = performance.now();
    try {
      await client.open({ host: spec.host, port: spec.port, auth: spec.auth, timeoutMs });
      latency.record((performance.now() - begun) * 1000);
      clients.set(spec.id, client);
      groupOf.set(spec.id, spec.group);
      opened += 1;
    } catch (error) {
      if (errors.length < 5) errors.push(`${spec.group} ${spec.host}:${spec.port}: ${(error as Error).message}`);
    }
  });
  return { opened, failed: specs.length - opened, errors, elapsedMs: performance.now() - started, connectLatency: latency.data() };
}

async function joinAll(joins: Array<{ id: number; room: string }>, concurrency: number, timeoutMs: number): Promise<JoinResult> {
  const started = performance.now();
  const errors: string[] = [];
  let joined = 0;
  await pooled(joins, concurrency, async ({ id, room }) => {
    const client = clients.get(id);
    try {
      if (!client) throw new Error(`connection ${id} is not open`);
      const body = await client.request('room:join', JSON.stringify({ room }), timeoutMs);
      if (!startsWith(body, ACK_OK)) throw new Error(`room:join refused: ${body.toString('utf8', 0, 300)}`);
      joined += 1;
    } catch (error) {
      if (errors.length < 5) errors.push((error as Error).message);
    }
  });
  return { joined, failed: joins.length - joined, errors, elapsedMs: performance.now() - started };
}

function sendOne(sender: SenderSpec, sequence: number, text: string): number {
  const client = clients.get(sender.id);
  if (!client?.connected) return 0;
  if (sender.kind === 'room') {
    client.emit('message:send', `{"room":${JSON.stringify(sender.room)},"text":"${text}"}`, true);
    return sender.fanout;
  }
  // Walks every other user in a scrambled order so each pair of users gets traffic.
  const offset = 1 + ((sequence * 7919) % (sender.userCount - 1));
  const to = `${sender.userPrefix}${(sender.userIndex + offset) % sender.userCount}`;
  client.emit('message:direct', `{"to":"${to}","text":"${text}"}`, true);
  return 1;
}

function runSends(request: Extract<WorkerRequest, { kind: 'send' }>): Promise<SendResult> {
  const { senders, ratePerSec, durationMs, textBytes } = request;
  const started = performance.now();
  const endAt = started + durationMs;
  const maxBurst = Math.max(1, Math.ceil((ratePerSec * MAX_LAG_MS) / 1000));
  let sent = 0;
  let skipped = 0;
  let expected = 0;
  let turn = 0;
  return new Promise<SendResult>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const elapsed = Math.min(now, endAt) - started;
      let due = Math.floor((ratePerSec * elapsed) / 1000) - sent - skipped;
      if (due > maxBurst) {
        skipped += due - maxBurst;
        due = maxBurst;
      }
      for (let k = 0; k < due && senders.length > 0; k += 1) {
        const sender = senders[turn % senders.length]!;
        const text = messageText(epochMicros(), request.phase, textBytes);
        expected += sendOne(sender, Math.floor(turn / senders.length), text);
        turn += 1;
        sent += 1;
      }
      if (now >= endAt) resolve({ sent, expected, skipped, elapsedMs: now - started });
      else setTimeout(tick, 1);
    };
    tick();
  });
}

function status(): WorkerStatus {
  const open: Record<string, number> = {};
  let minPings = Number.POSITIVE_INFINITY;
  for (const [id, client] of clients) {
    if (!client.connected) continue;
    const group = groupOf.get(id) ?? 'unknown';
    open[group] = (open[group] ?? 0) + 1;
    minPings = Math.min(minPings, client.pingsReceived);
  }
  return {
    open,
    drops: Object.fromEntries(drops),
    dropReasons: Object.fromEntries(dropReasons),
    minPings: Number.isFinite(minPings) ? minPings : 0,
  };
}

async function closeGroup(group: string | undefined): Promise<{ closed: number }> {
  let closed = 0;
  for (const [id, client] of clients) {
    if (group !== undefined && groupOf.get(id) !== group) continue;
    client.close();
    clients.delete(id);
    groupOf.delete(id);
    closed += 1;
    // Yield now and then so a mass close does not starve the IPC channel.
    if (closed % 2000 === 0) await sleep(0);
  }
  return { closed };
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.kind) {
    case 'connect':
      return connectAll(request.specs, request.concurrency, request.timeoutMs);
    case 'join':
      return joinAll(request.joins, request.concurrency, request.timeoutMs);
    case 'phase':
      phase = request.phase;
      stats = freshStats(phase);
      return { phase };
    case 'send':
      return runSends(request);
    case 'counters': {
      const counters: Counters = {
        delivered: stats.messageNew + stats.messageDirect + stats.announcement,
        acks: stats.acksOk + stats.acksFailed,
      };
      return counters;
    }
    case 'collect': {
      const { latencyHistogram, ackHistogram, ...rest } = stats;
      const collected: PhaseStats = { ...rest, latency: latencyHistogram.data(), ackLatency: ackHistogram.data() };
      return collected;
    }
    case 'status':
      return status();
    case 'close':
      return closeGroup(request.group);
  }
}

process.on('message', (envelope: WorkerEnvelope) => {
  handle(envelope.request).then(
    (result) => process.send?.({ seq: envelope.seq, ok: true, result } satisfies WorkerReply),
    (error: unknown) => process.send?.({ seq: envelope.seq, ok: false, error: String(error) } satisfies WorkerReply),
  );
});
process.on('disconnect', () => process.exit(0));
