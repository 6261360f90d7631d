import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's own connection copies the WAL into the database file. Checkpoints copy pages and
 * fsync, which takes milliseconds: done here they never hold the main event loop, and a PASSIVE
 * checkpoint runs alongside the writer. But the WAL only starts over from its beginning when a
 * checkpoint has caught up completely before a write begins, which never happens while writes
 * keep coming. So once the WAL is long, the worker asks the writer to pause (the writer just
 * queues sends for a moment; its event loop stays free), finishes with a RESTART checkpoint
 * and lets it resume. Plain CommonJS so it runs as given, with no build step.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: workerData.busyTimeoutMs });
let timer;
let stopped = false;
const report = (error) => parentPort.postMessage({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
const checkpoint = (mode) => {
  try {
    return db.pragma('wal_checkpoint(' + mode + ')')[0];
  } catch (error) {
    report(error);
    return undefined;
  }
};
// Once the WAL is long, PASSIVE runs back to back until one finds little new to copy, so the
// RESTART that needs the writer paused has little left to do and the pause stays short.
let previousLog = 0;
let catchUpRounds = 0;
// A restarted WAL keeps its length until the next write begins it anew: while nothing is written
// there is nothing to restart, and pausing the writer again every interval would only cost it.
let logAtRestart = -1;
// A checkpoint that catches up with the whole WAL makes the writer's next commit start the WAL
// anew, and that commit syncs the new WAL header to disk on the writer's thread. With little
// traffic every checkpoint catches up, so checkpoints of a short WAL come less and less often
// (up to idleIntervalMs apart) instead of costing the writer a sync every interval.
let delay = workerData.intervalMs;
const tick = () => {
  const result = checkpoint('PASSIVE');
  if (!result || result.log < workerData.restartPages || result.log === logAtRestart) {
    previousLog = result ? result.log : previousLog;
    const short = !result || result.log < workerData.shortWalPages;
    delay = short ? Math.min(delay * 2, workerData.idleIntervalMs) : workerData.intervalMs;
    timer = setTimeout(tick, delay);
    return;
  }
  delay = workerData.intervalMs;
  const added = result.log - previousLog;
  previousLog = result.log;
  if (added > workerData.catchUpFrames && catchUpRounds < workerData.maxCatchUpRounds) {
    catchUpRounds += 1;
    timer = setTimeout(tick, 0);
    return;
  }
  catchUpRounds = 0;
  previousLog = 0;
  parentPort.postMessage({ type: 'pause' });
};
parentPort.on('message', (message) => {
  // Messages already queued when 'stop' arrived find the connection closed: ignore them.
  if (stopped) return;
  if (message === 'paused') {
    const restarted = checkpoint('RESTART');
    logAtRestart = restarted ? restarted.log : -1;
    parentPort.postMessage({ type: 'resume' });
    timer = setTimeout(tick, workerData.intervalMs);
  } else if (message === 'stop') {
    stopped = true;
    clearTimeout(timer);
    checkpoint('PASSIVE');
    db.close();
    parentPort.close();
  }
});
timer = setTimeout(tick, workerData.intervalMs);
`;

/** The writer is paused once a PASSIVE checkpoint found at most this many new frames to copy... */
const CATCH_UP_FRAMES = 512;
/** ...or after this many back-to-back attempts to get there. */
const MAX_CATCH_UP_ROUNDS = 20;
/** A WAL shorter than this (4 MB of pages) counts as short: its checkpoints back off... */
const SHORT_WAL_PAGES = 1000;
/**
 * ...up to this far apart. It bounds what a power loss can take with a quiet server (commits
 * reach the database file with the next checkpoint; a killed process loses nothing either way).
 */
const IDLE_INTERVAL_MS = 5_000;
/** A worker that has not exited this long after 'stop' is terminated. */
const STOP_TIMEOUT_MS = 5_000;

type WorkerMessage = { type: 'pause' } | { type: 'resume' } | { type: 'failed'; reason: string };

export interface CheckpointerOptions {
  file: string;
  /** How often a PASSIVE checkpoint runs. */
  intervalMs: number;
  /** WAL length (pages) at which the writer is paused for a RESTART checkpoint. */
  restartPages: number;
  /** The writer resumes after this even if the worker never answers. */
  maxPauseMs: number;
  /** Below this WAL length (pages) checkpoints back off (default 1000)... */
  shortWalPages?: number;
  /** ...to at most this far apart (default 5 s). */
  idleIntervalMs?: number;
}

/** What the checkpointer needs from the writer: stop committing for a moment, then go on. */
export interface PausableWriter {
  pause(): void;
  resume(): void;
}

export type CheckpointFailureListener = (reason: string) => void;

/** Runs WAL checkpoints for one SQLite file on a worker thread until stopped. */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;
  private pauseTimer?: NodeJS.Timeout;
  private stopping = false;

  constructor(
    private readonly options: CheckpointerOptions,
    private readonly writer: PausableWriter,
    onFailure: CheckpointFailureListener,
  ) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver,
        ...options,
        shortWalPages: options.shortWalPages ?? SHORT_WAL_PAGES,
        idleIntervalMs: Math.max(options.intervalMs, options.idleIntervalMs ?? IDLE_INTERVAL_MS),
        busyTimeoutMs: options.maxPauseMs,
        catchUpFrames: CATCH_UP_FRAMES,
        maxCatchUpRounds: MAX_CATCH_UP_ROUNDS,
      },
    });
    // Settles on exit; a worker that failed has reported through 'error' already.
    this.exited = once(this.worker, 'exit').catch((error: unknown) => error);
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'pause') this.pauseWriter();
      else if (message.type === 'resume') this.resumeWriter();
      else onFailure(message.reason);
    });
    this.worker.on('error', (error) => onFailure(error.message));
    // Checkpoints are housekeeping: they must never keep the process alive.
    this.worker.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.resumeWriter();
    // Referenced again, so the process waits for the final checkpoint instead of exiting under it.
    this.worker.ref();
    this.worker.postMessage('stop');
    const stuck = setTimeout(() => void this.worker.terminate(), STOP_TIMEOUT_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(stuck);
    }
  }

  private pauseWriter(): void {
    if (this.stopping) return;
    this.writer.pause();
    this.pauseTimer = setTimeout(() => this.resumeWriter(), this.options.maxPauseMs);
    this.worker.postMessage('paused');
  }

  private resumeWriter(): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.writer.resume();
  }
}
