/**
 * Erasure benchmark: how long DELETE /users/:id/messages takes on a large history, and how long
 * it holds the event loop meanwhile. Run with `npm run bench:erasure` (SQLite file, WAL);
 * `-- --postgres` for PostgreSQL (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test,
 * in a schema of its own dropped afterwards); `-- --quick` for a tenth of the volume.
 *
 * The database is filled directly with SQL: the user's room messages spread over ROOMS rooms and
 * interleaved with as many of other users, and the user's direct messages interleaved with as
 * many of others. Then ErasureService runs as the REST route runs it (its steps, a yield between
 * steps, one message:updated per room tombstone to a counting emitter, one audit entry), while:
 * - perf_hooks monitorEventLoopDelay samples the event loop (1 ms resolution);
 * - each step is timed (call to result);
 * - another user sends into another room every SEND_EVERY_MS and each send's latency is kept.
 * A second erasure then shows the cost of finding nothing left.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import type { ChatEmitter } from '../src/chat/chat-emitter.js';
import type { ErasureResult, User } from '../src/contract.js';
import type { ChatStoreEngine } from '../src/messages/message-store.factory.js';
import { conversationKey } from '../src/messages/message-store.js';
import { newMessageId } from '../src/messages/message-id.js';
import { PostgresMessageStore } from '../src/messages/postgres-message.store.js';
import { SqliteMessageStore } from '../src/messages/sqlite-message.store.js';
import { AuditService } from '../src/moderation/audit.service.js';
import { ErasureService } from '../src/moderation/erasure.service.js';
import type { ErasureStep, ErasureStepInput, ModerationStore } from '../src/moderation/moderation-store.js';

const QUICK = process.argv.includes('--quick');
const POSTGRES = process.argv.includes('--postgres');
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCALE = QUICK ? 10 : 1;
const ROOMS = 20;
/** The user's room messages (others wrote as many, interleaved). */
const USER_ROOM_MESSAGES = 200_000 / SCALE;
/** The user's direct messages (others wrote as many, interleaved). */
const USER_DIRECT_MESSAGES = 20_000 / SCALE;
const SEND_EVERY_MS = 5;
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(3);
const TARGET: User = { id: 'erased-user', name: 'Erased User' };
const OTHER: User = { id: 'other-user', name: 'Other User' };
const SENDER: User = { id: 'live-sender', name: 'Live Sender' };

interface RoomRow {
  room: string;
  seq: number;
  sender: User;
}

interface DirectRow {
  sender: User;
  recipient: User;
}

/** In insertion order: per room, the user's and another's messages alternate. */
function roomRows(): RoomRow[] {
  const rows: RoomRow[] = [];
  const perRoom = USER_ROOM_MESSAGES / ROOMS;
  for (let i = 0; i < perRoom; i += 1) {
    for (let r = 0; r < ROOMS; r += 1) {
      rows.push({ room: `room-${r}`, seq: 2 * i + 1, sender: TARGET }, { room: `room-${r}`, seq: 2 * i + 2, sender: OTHER });
    }
  }
  return rows;
}

function directRows(): DirectRow[] {
  const rows: DirectRow[] = [];
  for (let i = 0; i < USER_DIRECT_MESSAGES; i += 1) rows.push({ sender: TARGET, recipient: OTHER }, { sender: OTHER, recipient: TARGET });
  return rows;
}

const SENT_AT = new Date('2030-01-01T00:00:00.000Z').toISOString();

interface Subject {
  name: string;
  store: ChatStoreEngine;
  close(): Promise<void>;
}

async function sqliteSubject(dir: string): Promise<Subject> {
  const location = join(dir, 'erasure.db');
  // Opened once to create the schema, filled through a connection of its own, then opened for the run.
  const creating = new SqliteMessageStore({ location });
  creating.open();
  await creating.close();
  const db = new BetterSqlite3(location);
  const insertRoom = db.prepare(
    'INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, rev) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertDirect = db.prepare(
    `INSERT INTO direct_messages (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertSeq = db.prepare('INSERT INTO room_seqs (room, last_seq, last_rev) VALUES (?, ?, ?)');
  db.transaction(() => {
    const last = new Map<string, number>();
    for (const { room, seq, sender } of roomRows()) {
      insertRoom.run(room, seq, newMessageId(), sender.id, sender.name, TEXT, SENT_AT, seq);
      last.set(room, seq);
    }
    for (const [room, seq] of last) insertSeq.run(room, seq, seq);
    for (const { sender, recipient } of directRows()) {
      const conversation = conversationKey(sender.id, recipient.id);
      insertDirect.run(newMessageId(), conversation, sender.id, sender.name, recipient.id, recipient.name, TEXT, SENT_AT);
    }
  })();
  db.close();
  const store = new SqliteMessageStore({ location });
  store.open();
  return { name: 'sqlite file (WAL)', store, close: () => store.close() };
}

async function postgresSubject(): Promise<Subject> {
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const store = new PostgresMessageStore({ connectionString: url.toString() });
  await store.open();
  await admin.query(`SET search_path TO ${schema}`);
  const perRoom = USER_ROOM_MESSAGES / ROOMS;
  // seq odd: the user's, even: another's; rooms interleaved in insertion order as in SQLite.
  await admin.query(
    `INSERT INTO room_messages (room, seq, id, sender_id, sender_name, text, sent_at, rev)
     SELECT 'room-' || r, s, gen_random_uuid()::text,
            CASE WHEN s % 2 = 1 THEN $1 ELSE $2 END, CASE WHEN s % 2 = 1 THEN $3 ELSE $4 END, $5, $6, s
     FROM generate_series(1, $7::int) AS s, generate_series(0, $8::int - 1) AS r ORDER BY s, r`,
    [TARGET.id, OTHER.id, TARGET.name, OTHER.name, TEXT, SENT_AT, perRoom * 2, ROOMS],
  );
  await admin.query(
    `INSERT INTO room_seqs (room, last_seq, last_rev) SELECT 'room-' || r, $1::int, $1::int FROM generate_series(0, $2::int - 1) AS r`,
    [perRoom * 2, ROOMS],
  );
  await admin.query(
    `INSERT INTO direct_messages (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at)
     SELECT gen_random_uuid()::text, $1,
            CASE WHEN n % 2 = 1 THEN $2 ELSE $3 END, CASE WHEN n % 2 = 1 THEN $4 ELSE $5 END,
            CASE WHEN n % 2 = 1 THEN $3 ELSE $2 END, CASE WHEN n % 2 = 1 THEN $5 ELSE $4 END, $6, $7
     FROM generate_series(1, $8::int) AS n ORDER BY n`,
    [conversationKey(TARGET.id, OTHER.id), TARGET.id, OTHER.id, TARGET.name, OTHER.name, TEXT, SENT_AT, USER_DIRECT_MESSAGES * 2],
  );
  await admin.query('ANALYZE');
  return {
    name: 'postgres',
    store,
    close: async () => {
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Figures {
  result: ErasureResult;
  totalMs: number;
  steps: number[];
  emitted: number;
  loop: { p50: number; p99: number; max: number };
  sends: number[];
}

/** Another user's sends into a room the erasure does not touch, until stopped. */
function liveSender(store: ChatStoreEngine): { stop(): Promise<number[]> } {
  const latencies: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      await store.appendRoomMessage({
        id: newMessageId(),
        room: 'live-room',
        from: SENDER,
        text: 'still here',
        sentAt: new Date().toISOString(),
      });
      latencies.push(performance.now() - started);
      await sleep(SEND_EVERY_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return latencies.sort((a, b) => a - b);
    },
  };
}

async function erase(store: ChatStoreEngine): Promise<Figures> {
  const steps: number[] = [];
  // Times each step as the service awaits it (the service calls nothing else on its store).
  const timed = {
    async eraseStep(input: ErasureStepInput): Promise<ErasureStep> {
      const started = performance.now();
      const step = await store.eraseStep(input);
      steps.push(performance.now() - started);
      return step;
    },
  } as unknown as ModerationStore;
  let emitted = 0;
  const emitter = { messageUpdated: () => (emitted += 1) } as unknown as ChatEmitter;
  const service = new ErasureService(timed, emitter, new AuditService(store));
  const sender = liveSender(store);
  await sleep(50);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const started = performance.now();
  const result = await service.erase(TARGET.id, 'bench');
  const totalMs = performance.now() - started;
  histogram.disable();
  const sends = await sender.stop();
  const ms = (ns: number): number => ns / 1e6;
  return {
    result,
    totalMs,
    steps: steps.sort((a, b) => a - b),
    emitted,
    loop: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
    sends,
  };
}

function report(name: string, fillMs: number, first: Figures, again: Figures): string {
  const f = (value: number): string => value.toFixed(1);
  const perSecond = Math.round(((first.result.roomMessages + first.result.directMessages) / first.totalMs) * 1000);
  return [
    `engine: ${name}`,
    `history: ${USER_ROOM_MESSAGES} room messages of the user over ${ROOMS} rooms + ${USER_ROOM_MESSAGES} of another user; ` +
      `${USER_DIRECT_MESSAGES} direct messages of the user + ${USER_DIRECT_MESSAGES} of another (filled in ${f(fillMs)} ms)`,
    `erased: ${first.result.roomMessages} room messages, ${first.result.directMessages} direct messages, ` +
      `${first.emitted} message:updated emitted, in ${f(first.totalMs)} ms (${perSecond} messages/s)`,
    `steps: ${first.steps.length}, p50 ${f(percentile(first.steps, 50))} ms, p99 ${f(percentile(first.steps, 99))} ms, ` +
      `longest ${f(first.steps.at(-1) ?? 0)} ms`,
    `event-loop delay during the erasure: p50 ${f(first.loop.p50)} ms, p99 ${f(first.loop.p99)} ms, max ${f(first.loop.max)} ms`,
    `sends into another room meanwhile (one every ${SEND_EVERY_MS} ms): ${first.sends.length}, ` +
      `p50 ${f(percentile(first.sends, 50))} ms, p99 ${f(percentile(first.sends, 99))} ms, max ${f(first.sends.at(-1) ?? 0)} ms`,
    `second erasure (nothing left): ${again.result.roomMessages}/${again.result.directMessages} in ${f(again.totalMs)} ms, ` +
      `${again.steps.length} steps, longest ${f(again.steps.at(-1) ?? 0)} ms, event-loop delay max ${f(again.loop.max)} ms`,
    `1-minute load average at the end: ${loadavg()[0]!.toFixed(1)} (2 cores: above 2 means other processes preempted this one).`,
    'message:updated goes to a counting stub here: socket.io serialisation and the Redis adapter are not part of these figures.',
  ].join('\n');
}

async function main(): Promise<void> {
  Logger.overrideLogger(['warn', 'error']);
  const dir = mkdtempSync(join(tmpdir(), 'erasure-bench-'));
  try {
    const fillStarted = performance.now();
    const subject = POSTGRES ? await postgresSubject() : await sqliteSubject(dir);
    const fillMs = performance.now() - fillStarted;
    try {
      process.stdout.write(`erasing on ${subject.name}...\n`);
      const first = await erase(subject.store);
      const again = await erase(subject.store);
      process.stdout.write(`\n${report(subject.name, fillMs, first, again)}\n`);
    } finally {
      await subject.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
