/**
 * Message store benchmark: inserts/s, insert latency and how long writes hold the event loop,
 * for every store implementation. Run with `npm run bench:store` (`-- --quick` for a short run,
 * `-- --only sqlite` for the stores whose name contains "sqlite").
 *
 * Scenarios, per store:
 * - room, closed loop: 100 senders each await their ack and send again, into 10 rooms.
 * - direct, closed loop: the same with direct messages (one insert per delivery).
 * - room / direct, paced: an open-loop stream at a fixed rate, as a busy gateway would see it;
 *   this is where the event-loop hold of a send is judged (SQLite: flush time, per send).
 * - prune: deleting everything in batches of 200, timing each batch.
 */
import { randomBytes } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { User } from '../src/contract.js';
import { type FlushReport, SQLITE_FLUSH_CHANNEL } from '../src/database/sqlite-write-batcher.js';
import { MemoryMessageStore } from '../src/messages/memory-message.store.js';
import { newMessageId } from '../src/messages/message-id.js';
import type { MessageStore } from '../src/messages/message-store.js';
import { PostgresMessageStore } from '../src/messages/postgres-message.store.js';
import { SqliteMessageStore } from '../src/messages/sqlite-message.store.js';
import { PRUNE_BATCH_SIZE } from '../src/messages/retention.service.js';

const QUICK = process.argv.includes('--quick');
/** `--only sqlite` runs just the stores whose name contains "sqlite". */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SENDERS = 100;
const ROOMS = 10;
const CLOSED_LOOP_INSERTS = QUICK ? 4_000 : 20_000;
const PACED_SECONDS = QUICK ? 2 : 5;
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(3);

interface Flush {
  writes: number;
  ms: number;
}

interface Subject {
  name: string;
  store: MessageStore;
  /** Every SQLite flush: how many writes it carried and its wall time. */
  flushes: Flush[];
  pacedRate: number;
  close(): Promise<void>;
}

interface Row {
  store: string;
  scenario: string;
  inserts: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** Event-loop hold per send (SQLite: wall time of the flush that committed it). */
  hold?: { p50: number; p99: number; max: number };
  /** 1-minute load average of the machine when the scenario ended. */
  load: number;
  loopDelayP99: number;
}

const users: User[] = Array.from({ length: SENDERS }, (_, i) => ({ id: `user-${i}`, name: `User ${i}` }));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Per-send hold: every send in a flush waited for (and shared) that whole flush. */
function holdPercentiles(flushes: Flush[]): Row['hold'] {
  if (flushes.length === 0) return undefined;
  const wall = flushes.flatMap((flush) => Array<number>(flush.writes).fill(flush.ms)).sort((a, b) => a - b);
  return { p50: percentile(wall, 50), p99: percentile(wall, 99), max: wall[wall.length - 1]! };
}

/**
 * Runs one scenario. `run` records a latency per operation and may return how many messages it
 * handled (prune: messages deleted); otherwise each recorded latency counts as one.
 */
async function measure(
  subject: Subject,
  scenario: string,
  run: (record: (latencyMs: number) => void) => Promise<number | void>,
): Promise<Row> {
  const latencies: number[] = [];
  subject.flushes.length = 0;
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const startedAt = performance.now();
  const handled = (await run((ms) => latencies.push(ms))) ?? latencies.length;
  const elapsed = (performance.now() - startedAt) / 1000;
  delay.disable();
  latencies.sort((a, b) => a - b);
  return {
    store: subject.name,
    scenario,
    inserts: handled,
    perSecond: Math.round(handled / elapsed),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    hold: holdPercentiles(subject.flushes),
    load: loadavg()[0]!,
    loopDelayP99: delay.percentile(99) / 1e6,
  };
}

function roomSend(store: MessageStore, n: number): Promise<unknown> {
  const from = users[n % SENDERS]!;
  return store.appendRoomMessage({
    id: newMessageId(),
    room: `bench-${n % ROOMS}`,
    from,
    text: TEXT,
    sentAt: new Date().toISOString(),
    clientMsgId: `c-${n}-${randomBytes(4).toString('hex')}`,
  });
}

function directSend(store: MessageStore, n: number): Promise<unknown> {
  const from = users[n % SENDERS]!;
  const to = users[(n + 1) % SENDERS]!;
  return store.appendDirectMessage({
    id: newMessageId(),
    from,
    to,
    text: TEXT,
    sentAt: new Date().toISOString(),
    clientMsgId: `d-${n}-${randomBytes(4).toString('hex')}`,
  });
}

async function closedLoop(store: MessageStore, total: number, send: typeof roomSend, record: (ms: number) => void): Promise<void> {
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < total) {
      const n = next++;
      const startedAt = performance.now();
      await send(store, n);
      record(performance.now() - startedAt);
    }
  };
  await Promise.all(Array.from({ length: SENDERS }, sender));
}

/** Sends at a fixed rate regardless of acks, in 1 ms ticks, like independent clients would. */
async function pacedLoop(
  store: MessageStore,
  send: typeof roomSend,
  rate: number,
  seconds: number,
  record: (ms: number) => void,
): Promise<void> {
  const pending: Array<Promise<unknown>> = [];
  const startedAt = performance.now();
  let sent = 0;
  while (performance.now() - startedAt < seconds * 1000) {
    const due = Math.floor(((performance.now() - startedAt) / 1000) * rate);
    for (; sent < due; sent += 1) {
      const sendStartedAt = performance.now();
      pending.push(send(store, sent).then(() => record(performance.now() - sendStartedAt)));
    }
    await sleep(1);
  }
  await Promise.all(pending);
}

/** Deletes everything in batches; latency is per batch, the count is messages deleted. */
function prune(subject: Subject): Promise<Row> {
  return measure(subject, `prune (batches of ${PRUNE_BATCH_SIZE})`, async (record) => {
    let removed = 0;
    for (;;) {
      const batchStartedAt = performance.now();
      const count = await subject.store.pruneOlderThan(new Date(Date.now() + 60_000), PRUNE_BATCH_SIZE);
      record(performance.now() - batchStartedAt);
      removed += count;
      if (count < PRUNE_BATCH_SIZE) return removed;
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
}

async function benchmark(subject: Subject): Promise<Row[]> {
  const rows: Row[] = [];
  // Warm-up: prepared statements, page cache, JIT.
  await closedLoop(subject.store, 1_000, roomSend, () => undefined);
  rows.push(await measure(subject, 'room, closed loop x100', (record) => closedLoop(subject.store, CLOSED_LOOP_INSERTS, roomSend, record)));
  rows.push(
    await measure(subject, 'direct, closed loop x100', (record) => closedLoop(subject.store, CLOSED_LOOP_INSERTS, directSend, record)),
  );
  rows.push(
    await measure(subject, `room, paced ${subject.pacedRate}/s`, (record) =>
      pacedLoop(subject.store, roomSend, subject.pacedRate, PACED_SECONDS, record),
    ),
  );
  rows.push(
    await measure(subject, `direct, paced ${subject.pacedRate}/s`, (record) =>
      pacedLoop(subject.store, directSend, subject.pacedRate, PACED_SECONDS, record),
    ),
  );
  rows.push(await prune(subject));
  return rows;
}

/** The flushes of the SQLite store under test (one at a time), as the batcher publishes them. */
let sqliteFlushes: Flush[] = [];
subscribe(SQLITE_FLUSH_CHANNEL, (message) => {
  const { writes, durationMs } = message as FlushReport;
  sqliteFlushes.push({ writes, ms: durationMs });
});

function sqliteSubject(name: string, location: string): Subject {
  const flushes: Subject['flushes'] = [];
  sqliteFlushes = flushes;
  const store = new SqliteMessageStore({ location });
  store.open();
  return {
    name,
    store,
    flushes,
    pacedRate: 5_000,
    close: () => store.close(),
  };
}

async function postgresSubject(): Promise<Subject | string> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (error) {
    return `skipped PostgreSQL (${POSTGRES_URL}): ${error instanceof Error ? error.message : String(error)}`;
  }
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const store = new PostgresMessageStore({ connectionString: url.toString() });
  await store.open();
  return {
    name: 'postgres',
    store,
    flushes: [],
    pacedRate: 2_000,
    close: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

function format(rows: Row[]): string {
  const ms = (value: number | undefined): string => (value === undefined ? '-' : value.toFixed(3));
  const header = [
    'store',
    'scenario',
    'count',
    'per s',
    'lat p50 ms',
    'lat p99 ms',
    'hold p50 ms',
    'hold p99 ms',
    'hold max ms',
    'loop delay p99 ms',
    'load',
  ];
  const lines = rows.map((r) => [
    r.store,
    r.scenario,
    String(r.inserts),
    String(r.perSecond),
    ms(r.p50),
    ms(r.p99),
    ms(r.hold?.p50),
    ms(r.hold?.p99),
    ms(r.hold?.max),
    ms(r.loopDelayP99),
    r.load.toFixed(1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [render(header), render(widths.map((w) => '-'.repeat(w))), ...lines.map(render)].join('\n');
}

async function main(): Promise<void> {
  Logger.overrideLogger(['warn', 'error']);
  const dir = mkdtempSync(join(tmpdir(), 'store-bench-'));
  const subjects: Array<[string, () => Promise<Subject | string>]> = [
    [
      'memory',
      async () => ({ name: 'memory', store: new MemoryMessageStore(), flushes: [], pacedRate: 5_000, close: async () => undefined }),
    ],
    ['sqlite file (WAL)', async () => sqliteSubject('sqlite file (WAL)', join(dir, 'bench.db'))],
    ['sqlite :memory:', async () => sqliteSubject('sqlite :memory:', ':memory:')],
    ['postgres', postgresSubject],
  ];
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const [name, make] of subjects) {
    if (ONLY !== undefined && !name.includes(ONLY)) continue;
    const subject = await make();
    if (typeof subject === 'string') {
      notes.push(subject);
      continue;
    }
    process.stdout.write(`benchmarking ${subject.name}...\n`);
    try {
      rows.push(...(await benchmark(subject)));
    } finally {
      await subject.close();
    }
  }
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`\n${format(rows)}\n`);
  process.stdout.write(
    '\nlat: submit to durable ack. hold: event-loop time (wall) of the SQLite flush that committed a send, per send;\n' +
      'loop delay: perf_hooks monitorEventLoopDelay during the scenario (1 ms resolution). load: 1-minute load average\n' +
      `at the end (2 cores: above 2 means other processes preempted this one). prune rows: count = messages deleted,\n` +
      `lat = time per batch of ${PRUNE_BATCH_SIZE}.\n`,
  );
  for (const note of notes) process.stdout.write(`${note}\n`);
}

await main();
