import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The worker's own connection checkpoints the WAL into the database file. Checkpoints copy pages
 * and fsync, which can take milliseconds: done here they never hold the main event loop, and a
 * PASSIVE checkpoint never blocks the writer. Plain CommonJS so it runs as given, with no build.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage(error instanceof Error ? error.message : String(error));
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

export type CheckpointFailureListener = (reason: string) => void;

/** Runs WAL checkpoints for one SQLite file on a worker thread until stopped. */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;

  constructor(file: string, intervalMs: number, onFailure: CheckpointFailureListener) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, intervalMs } });
    this.exited = once(this.worker, 'exit');
    this.worker.on('message', (reason: string) => onFailure(reason));
    this.worker.on('error', (error) => onFailure(error.message));
    // Checkpoints are housekeeping: they must never keep the process alive.
    this.worker.unref();
  }

  async stop(): Promise<void> {
    // Referenced again, so the process waits for the final checkpoint instead of exiting under it.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
