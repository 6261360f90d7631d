import type { Ack, ErrorBody } from '../../src/contract.js';
import { ErrorCode } from '../../src/common/error-code.js';

/** Asserts a failed ack with that code and returns its error body (throws with the ack otherwise). */
export function failure(ack: Ack<unknown>, code: ErrorCode): ErrorBody {
  if (ack.ok) throw new Error(`expected ${code} but the ack was ok: ${JSON.stringify(ack.data)}`);
  if (ack.error.code !== code) throw new Error(`expected ${code} but got ${JSON.stringify(ack.error)}`);
  return ack.error;
}

/** The fields named in a VALIDATION_FAILED body's details. */
export function detailFields(error: ErrorBody): string[] {
  return (error.details ?? []).map((detail) => detail.field);
}

export { ErrorCode };
