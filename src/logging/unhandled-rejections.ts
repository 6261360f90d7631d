import { Logger } from '@nestjs/common';

/**
 * The process's policy for a promise rejected with nobody to handle it: log it, with its stack,
 * as an error through the app logger, and keep serving. Node's default is to exit, which turns
 * any such bug into an outage of every connection on the node (and, if a client can trigger it,
 * into a way to take nodes down); the rejection means one operation lost its error handling,
 * not that the process state is broken. Client input must never cause one: every socket.io
 * middleware and handler path catches its own errors, and the tests check the logs stay free of
 * this message. Synchronous uncaught exceptions keep Node's default (exit, and the orchestrator
 * restarts the node).
 */
export function keepServingOnUnhandledRejections(target: NodeJS.EventEmitter = process): void {
  const logger = new Logger('Process');
  target.on('unhandledRejection', (reason: unknown) => {
    logger.error({ err: reason }, 'unhandled promise rejection; the process keeps serving');
  });
}
