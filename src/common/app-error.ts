import type { ErrorBody, FieldError } from '../contract.js';
import { ErrorCode } from './error-code.js';

/**
 * A failure the client is meant to see: services throw it, the exception filters turn it into
 * the ack envelope or the HTTP error body. Anything else thrown becomes INTERNAL.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldError[],
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.details) body.details = this.details;
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    return body;
  }

  static forbidden(message: string): AppError {
    return new AppError(ErrorCode.FORBIDDEN, message);
  }

  static notFound(message: string): AppError {
    return new AppError(ErrorCode.NOT_FOUND, message);
  }

  static validation(message: string, details?: FieldError[]): AppError {
    return new AppError(ErrorCode.VALIDATION_FAILED, message, details);
  }

  static unauthorized(message: string): AppError {
    return new AppError(ErrorCode.UNAUTHORIZED, message);
  }

  static unavailable(message: string): AppError {
    return new AppError(ErrorCode.UNAVAILABLE, message);
  }
}
