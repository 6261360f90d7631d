import type { Logger } from '@nestjs/common';
import { AppError } from './app-error.js';

/**
 * Runs one store operation and turns any failure into UNAVAILABLE for the client: a database or
 * Redis outage is answered, logged once, and never crashes the process.
 */
export async function storeCall<T>(logger: Logger, store: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    logger.warn({ err: error }, `${store} operation failed`);
    throw AppError.unavailable(`${store} is unavailable, try again`);
  }
}
