import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CheckpointerCommand, CheckpointWorkerData, CheckpointWorkerMessage } from './sqlite-checkpoint.worker.js';

/**
 * The worker's compiled module. Compiled, this file sits beside it (dist/, or any other outDir:
 * the type import above puts the worker in every program that compiles this file). Run from its
 * TypeScript source, as ts-jest does, this file has no compiled sibling and a worker thread
 * cannot load TypeScript, so the worker compiled into dist/ runs; the test run builds dist/
 * before any test (test/support/global-setup.js).
 */
export function checkpointWorkerUrl(moduleUrl: string = import.meta.url): URL {
  const fromSource = moduleUrl.endsWith('.ts');
  const url = new URL(fromSource ? '../../dist/database/sqlite-checkpoint.worker.js' : './sqlite-checkpoint.worker.js', moduleUrl);
  if (fromSource && !existsSync(fileURLToPath(url))) {
    throw new Error(`the WAL checkpoint worker is not built (${fileURLToPath(url)}): run \`npm run build\` first`);
  }
  return url;
}

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

/**
 * Runs WAL checkpoints for one SQLite file on a worker thread (sqlite-checkpoint.worker.ts) with
 * its own connection, until stopped. Checkpoints copy pages and fsync, which takes milliseconds:
 * done there they never hold the main event loop, and a PASSIVE checkpoint runs alongside the
 * writer. But the WAL only starts over from its beginning when a checkpoint has caught up
 * completely before a write begins, which never happens while writes keep coming. So once the WAL
 * is long, the worker asks the writer to pause (the writer just queues sends for a moment; its
 * event loop stays free), finishes with a RESTART checkpoint and lets it resume.
 */
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
    const workerData: CheckpointWorkerData = {
      file: options.file,
      intervalMs: options.intervalMs,
      restartPages: options.restartPages,
      shortWalPages: options.shortWalPages ?? SHORT_WAL_PAGES,
      idleIntervalMs: Math.max(options.intervalMs, options.idleIntervalMs ?? IDLE_INTERVAL_MS),
      busyTimeoutMs: options.maxPauseMs,
      catchUpFrames: CATCH_UP_FRAMES,
      maxCatchUpRounds: MAX_CATCH_UP_ROUNDS,
    };
    this.worker = new Worker(checkpointWorkerUrl(), { workerData });
    // Settles on exit; a worker that failed has reported through 'error' already.
    this.exited = once(this.worker, 'exit').catch((error: unknown) => error);
    this.worker.on('message', (message: CheckpointWorkerMessage) => {
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
    this.command('stop');
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
    this.command('paused');
  }

  private command(command: CheckpointerCommand): void {
    this.worker.postMessage(command);
  }

  private resumeWriter(): void {
    clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    this.writer.resume();
  }
}
