/**
 * The WAL checkpoint worker: a worker thread with its own connection to one SQLite file, started
 * and stopped by SqliteCheckpointer (which explains why it exists). Never imported: the
 * checkpointer loads the compiled module with `new Worker(...)` and imports only its types.
 */
import { parentPort, type MessagePort, workerData } from 'node:worker_threads';
import BetterSqlite3, { type Database } from 'better-sqlite3';

/** What the checkpointer starts the worker with. */
export interface CheckpointWorkerData {
  file: string;
  intervalMs: number;
  restartPages: number;
  shortWalPages: number;
  idleIntervalMs: number;
  /** How long the worker's statements wait for the writer's lock. */
  busyTimeoutMs: number;
  catchUpFrames: number;
  maxCatchUpRounds: number;
}

/** From the checkpointer: the writer is paused now; or: checkpoint once more, close and exit. */
export type CheckpointerCommand = 'paused' | 'stop';

/** From the worker: pause the writer; the writer may resume; a checkpoint failed. */
export type CheckpointWorkerMessage = { type: 'pause' } | { type: 'resume' } | { type: 'failed'; reason: string };

/** One row of `PRAGMA wal_checkpoint`: `log` is the WAL's length in frames. */
interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

type CheckpointMode = 'PASSIVE' | 'RESTART';

class CheckpointLoop {
  private readonly db: Database;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  // Once the WAL is long, PASSIVE runs back to back until one finds little new to copy, so the
  // RESTART that needs the writer paused has little left to do and the pause stays short.
  private previousLog = 0;
  private catchUpRounds = 0;
  // A restarted WAL keeps its length until the next write begins it anew: while nothing is written
  // there is nothing to restart, and pausing the writer again every interval would only cost it.
  private logAtRestart = -1;
  // A checkpoint that catches up with the whole WAL makes the writer's next commit start the WAL
  // anew, and that commit syncs the new WAL header to disk on the writer's thread. With little
  // traffic every checkpoint catches up, so checkpoints of a short WAL come less and less often
  // (up to idleIntervalMs apart) instead of costing the writer a sync every interval.
  private delay: number;

  constructor(
    private readonly port: MessagePort,
    private readonly data: CheckpointWorkerData,
  ) {
    this.db = new BetterSqlite3(data.file, { fileMustExist: true, timeout: data.busyTimeoutMs });
    this.delay = data.intervalMs;
    port.on('message', (command: CheckpointerCommand) => this.onCommand(command));
    this.timer = setTimeout(this.tick, data.intervalMs);
  }

  private send(message: CheckpointWorkerMessage): void {
    this.port.postMessage(message);
  }

  private checkpoint(mode: CheckpointMode): CheckpointResult | undefined {
    try {
      return (this.db.pragma(`wal_checkpoint(${mode})`) as CheckpointResult[])[0];
    } catch (error) {
      this.send({ type: 'failed', reason: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private readonly tick = (): void => {
    const { intervalMs, restartPages, shortWalPages, idleIntervalMs, catchUpFrames, maxCatchUpRounds } = this.data;
    const result = this.checkpoint('PASSIVE');
    if (!result || result.log < restartPages || result.log === this.logAtRestart) {
      this.previousLog = result ? result.log : this.previousLog;
      const short = !result || result.log < shortWalPages;
      this.delay = short ? Math.min(this.delay * 2, idleIntervalMs) : intervalMs;
      this.timer = setTimeout(this.tick, this.delay);
      return;
    }
    this.delay = intervalMs;
    const added = result.log - this.previousLog;
    this.previousLog = result.log;
    if (added > catchUpFrames && this.catchUpRounds < maxCatchUpRounds) {
      this.catchUpRounds += 1;
      this.timer = setTimeout(this.tick, 0);
      return;
    }
    this.catchUpRounds = 0;
    this.previousLog = 0;
    this.send({ type: 'pause' });
  };

  private onCommand(command: CheckpointerCommand): void {
    // Commands already queued when 'stop' arrived find the connection closed: ignore them.
    if (this.stopped) return;
    if (command === 'paused') {
      const restarted = this.checkpoint('RESTART');
      this.logAtRestart = restarted ? restarted.log : -1;
      this.send({ type: 'resume' });
      this.timer = setTimeout(this.tick, this.data.intervalMs);
    } else if (command === 'stop') {
      this.stopped = true;
      clearTimeout(this.timer);
      this.checkpoint('PASSIVE');
      this.db.close();
      this.port.close();
    }
  }
}

if (!parentPort) throw new Error('sqlite-checkpoint.worker runs as a worker thread, started by SqliteCheckpointer');
new CheckpointLoop(parentPort, workerData as CheckpointWorkerData);
