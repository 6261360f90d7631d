import type { HistogramData } from './histogram.js';

/** Messages between the runner and its load processes (IPC, advanced serialization). */

export interface ConnectSpec {
  /** Global connection id, unique across load processes. */
  id: number;
  /** Which server the connection belongs to (e.g. `gateway`, `reference`, `node3`). */
  group: string;
  host: string;
  port: number;
  auth: Record<string, unknown>;
}

export type SenderSpec =
  | { id: number; kind: 'room'; room: string; fanout: number }
  | {
      id: number;
      kind: 'direct';
      /** Recipients are `${userPrefix}${n}` for n in [0, userCount), never the sender itself. */
      userPrefix: string;
      userIndex: number;
      userCount: number;
    };

/** A connection that moves its read marker with `room:read { room, seq }` (seq: the latest it received). */
export interface ReaderSpec {
  id: number;
  /** The connection's only room: the latest seq it tracks is that of every `message:new` it gets. */
  room: string;
}

export type WorkerRequest =
  | { kind: 'connect'; specs: ConnectSpec[]; concurrency: number; timeoutMs: number }
  | { kind: 'join'; joins: Array<{ id: number; room: string }>; concurrency: number; timeoutMs: number }
  | { kind: 'phase'; phase: number }
  | {
      kind: 'send';
      phase: number;
      senders: SenderSpec[];
      ratePerSec: number;
      durationMs: number;
      textBytes: number;
      /** `room:read` requests spread over `readers` at `readsPerSec` in all, beside the sends. */
      readers: ReaderSpec[];
      readsPerSec: number;
    }
  | { kind: 'counters' }
  | { kind: 'collect' }
  | { kind: 'status' }
  | { kind: 'close'; group?: string };

export interface ConnectResult {
  opened: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
  connectLatency: HistogramData;
}

export interface JoinResult {
  joined: number;
  failed: number;
  errors: string[];
  elapsedMs: number;
}

export interface SendResult {
  sent: number;
  /** Deliveries the sends should cause (sum of fanouts). */
  expected: number;
  /** Sends skipped because this process fell behind its schedule by more than 250 ms. */
  skipped: number;
  readsSent: number;
  /** Reads whose seq was above the reader's previous one: the others move no marker. */
  readsAdvancing: number;
  /** Reads skipped for the same reason as sends. */
  readsSkipped: number;
  elapsedMs: number;
}

export interface Counters {
  delivered: number;
  acks: number;
  readAcks: number;
}

export interface PhaseStats {
  phase: number;
  messageNew: number;
  messageDirect: number;
  announcement: number;
  /** Deliveries carrying an earlier phase: backlog from an overloaded step. */
  stale: number;
  otherEvents: Record<string, number>;
  latency: HistogramData;
  ackLatency: HistogramData;
  acksOk: number;
  acksFailed: number;
  ackErrors: string[];
  /** Acks of `room:read` requests sent in this phase, kept apart from the sends' acks. */
  readAcksOk: number;
  readAcksFailed: number;
  readAckErrors: string[];
  readAckLatency: HistogramData;
}

export interface WorkerStatus {
  open: Record<string, number>;
  drops: Record<string, number>;
  dropReasons: Record<string, number>;
  /** Fewest engine.io pings any open connection has answered. */
  minPings: number;
}

export interface WorkerResults {
  connect: ConnectResult;
  join: JoinResult;
  phase: { phase: number };
  send: SendResult;
  counters: Counters;
  collect: PhaseStats;
  status: WorkerStatus;
  close: { closed: number };
}

export interface WorkerEnvelope {
  seq: number;
  request: WorkerRequest;
}

export type WorkerReply = { seq: number; ok: true; result: unknown } | { seq: number; ok: false; error: string };

/**
 * Text of every measured message: `<send time µs>~<phase>~<padding>`. Receivers read the send
 * time to get the delivery latency and the phase to ignore backlog from an earlier step.
 */
export function messageText(sentAtMicros: number, phase: number, totalBytes: number): string {
  const head = `${sentAtMicros}~${phase}~`;
  return totalBytes > head.length ? head + 'x'.repeat(totalBytes - head.length) : head;
}
