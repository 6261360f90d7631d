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
  ReaderSpec,
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
const SEQ_KEY = Buffer.from('"seq":');
const TILDE = 0x7e;
const CHAR_0 = 0x30;
/** A load process stalled longer than this (descheduled on a busy machine) skips the backlog instead of bursting it. */
const MAX_LAG_MS = 250;

const clients = new Map<number, SioClient>();
const groupOf = new Map<number, string>();
const drops = new Map<string, number>();
const dropReasons = new Map<string, number>();
/** Latest `message:new` seq per reading connection (each reader is in one room). */
const latestSeq = new Map<number, number>();
/** The seq each reader last sent in `room:read`: a read that repeats it moves no marker. */
const lastReadSeq = new Map<number, number>();
/** `room:read` requests awaiting their ack, per connection: ack id -> send time (µs) and phase. */
const pendingReads = new Map<number, Map<number, { sentAt: number; phase: number }>>();
/**
 * Round-robin position over each server's readers, kept across windows (which alternate between
 * the servers) so every reader gets its turn once per cycle, however short the windows.
 */
const readTurns = new Map<string, number>();

let phase = 0;
let stats = freshStats(0);

type LiveStats = PhaseStats & { latencyHistogram: Histogram; ackHistogram: Histogram; readAckHistogram: Histogram };

function freshStats(forPhase: number): LiveStats {
  const latencyHistogram = new Histogram();
  const ackHistogram = new Histogram();
  const readAckHistogram = new Histogram();
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
    readAcksOk: 0,
    readAcksFailed: 0,
    readAckErrors: [],
    readAckLatency: readAckHistogram.data(),
    latencyHistogram,
    ackHistogram,
    readAckHistogram,
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

/** Reads the digits after `"seq":` (the first one: a message's own seq); undefined when absent. */
function seqOf(body: Buffer): number | undefined {
  const at = body.indexOf(SEQ_KEY);
  if (at < 0) return undefined;
  let index = at + SEQ_KEY.length;
  let seq = 0;
  while (index < body.length && body[index]! >= CHAR_0 && body[index]! <= CHAR_0 + 9) seq = seq * 10 + (body[index++]! - CHAR_0);
  return seq;
}

function trackSeq(clientId: number, body: Buffer): void {
  const seq = seqOf(body);
  if (seq !== undefined && seq > (latestSeq.get(clientId) ?? 0)) latestSeq.set(clientId, seq);
}

/** Counts a `room:read` ack in the phase its request was sent in; later ones are left unanswered there. */
function countReadAck(read: { sentAt: number; phase: number }, body: Buffer): void {
  if (read.phase !== phase) return;
  if (startsWith(body, ACK_OK)) {
    stats.readAcksOk += 1;
    stats.readAckHistogram.record(epochMicros() - read.sentAt);
  } else {
    stats.readAcksFailed += 1;
    if (stats.readAckErrors.length < 5) stats.readAckErrors.push(body.toString('utf8', 0, Math.min(body.length, 300)));
  }
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
  onEvent(client, packet) {
    if (startsWith(packet, MESSAGE_NEW)) {
      if (latestSeq.has(client.id)) trackSeq(client.id, packet);
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
  onAck(client, id, body) {
    const reads = pendingReads.get(client.id);
    const read = reads?.get(id);
    if (read) {
      reads!.delete(id);
      return countReadAck(read, body);
    }
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

/** `room:read { room, seq }` with the latest seq the connection received. */
function readOne(reader: ReaderSpec, forPhase: number): 'closed' | 'advanced' | 'repeated' {
  const client = clients.get(reader.id);
  if (!client?.connected) return 'closed';
  const seq = latestSeq.get(reader.id) ?? 0;
  const advanced = seq > (lastReadSeq.get(reader.id) ?? 0);
  lastReadSeq.set(reader.id, seq);
  const id = client.emit('room:read', `{"room":${JSON.stringify(reader.room)},"seq":${seq}}`, true);
  let reads = pendingReads.get(reader.id);
  if (!reads) pendingReads.set(reader.id, (reads = new Map()));
  reads.set(id, { sentAt: epochMicros(), phase: forPhase });
  return advanced ? 'advanced' : 'repeated';
}

/** How many of a schedule of `ratePerSec` are due after `elapsedMs`, capped at what a stall of MAX_LAG_MS would owe. */
class Schedule {
  done = 0;
  skipped = 0;
  private readonly maxBurst: number;

  constructor(private readonly ratePerSec: number) {
    this.maxBurst = Math.max(1, Math.ceil((ratePerSec * MAX_LAG_MS) / 1000));
  }

  due(elapsedMs: number): number {
    const due = Math.floor((this.ratePerSec * elapsedMs) / 1000) - this.done - this.skipped;
    if (due <= this.maxBurst) return due;
    this.skipped += due - this.maxBurst;
    return this.maxBurst;
  }
}

function runSends(request: Extract<WorkerRequest, { kind: 'send' }>): Promise<SendResult> {
  const { senders, ratePerSec, durationMs, textBytes, readers, readsPerSec } = request;
  const started = performance.now();
  const endAt = started + durationMs;
  const sends = new Schedule(ratePerSec);
  const reads = new Schedule(readers.length > 0 ? readsPerSec : 0);
  for (const reader of readers) if (!latestSeq.has(reader.id)) latestSeq.set(reader.id, 0);
  let expected = 0;
  let turn = 0;
  const group = readers.length > 0 ? (groupOf.get(readers[0]!.id) ?? 'unknown') : 'none';
  let readTurn = readTurns.get(group) ?? 0;
  let readsSent = 0;
  let readsAdvancing = 0;
  return new Promise<SendResult>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      const elapsed = Math.min(now, endAt) - started;
      const due = sends.due(elapsed);
      for (let k = 0; k < due && senders.length > 0; k += 1) {
        const sender = senders[turn % senders.length]!;
        const text = messageText(epochMicros(), request.phase, textBytes);
        expected += sendOne(sender, Math.floor(turn / senders.length), text);
        turn += 1;
        sends.done += 1;
      }
      const readsDue = reads.due(elapsed);
      for (let k = 0; k < readsDue; k += 1) {
        const read = readOne(readers[readTurn++ % readers.length]!, request.phase);
        if (read !== 'closed') readsSent += 1;
        if (read === 'advanced') readsAdvancing += 1;
        reads.done += 1;
      }
      if (now >= endAt) {
        readTurns.set(group, readTurn);
        resolve({
          sent: sends.done,
          expected,
          skipped: sends.skipped,
          readsSent,
          readsAdvancing,
          readsSkipped: reads.skipped,
          elapsedMs: now - started,
        });
      } else setTimeout(tick, 1);
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
    latestSeq.delete(id);
    lastReadSeq.delete(id);
    pendingReads.delete(id);
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
        readAcks: stats.readAcksOk + stats.readAcksFailed,
      };
      return counters;
    }
    case 'collect': {
      const { latencyHistogram, ackHistogram, readAckHistogram, ...rest } = stats;
      const collected: PhaseStats = {
        ...rest,
        latency: latencyHistogram.data(),
        ackLatency: ackHistogram.data(),
        readAckLatency: readAckHistogram.data(),
      };
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
