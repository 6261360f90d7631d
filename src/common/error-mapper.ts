import { HttpException, HttpStatus } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { ErrorBody } from '../contract.js';
import { AppError } from './app-error.js';
import { ErrorCode, HTTP_STATUS_BY_CODE } from './error-code.js';

const CODE_BY_HTTP_STATUS: Readonly<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: ErrorCode.VALIDATION_FAILED,
  [HttpStatus.UNAUTHORIZED]: ErrorCode.UNAUTHORIZED,
  [HttpStatus.FORBIDDEN]: ErrorCode.FORBIDDEN,
  [HttpStatus.NOT_FOUND]: ErrorCode.NOT_FOUND,
  [HttpStatus.PAYLOAD_TOO_LARGE]: ErrorCode.VALIDATION_FAILED,
  [HttpStatus.TOO_MANY_REQUESTS]: ErrorCode.RATE_LIMITED,
  [HttpStatus.SERVICE_UNAVAILABLE]: ErrorCode.UNAVAILABLE,
};

const INTERNAL_BODY: ErrorBody = { code: ErrorCode.INTERNAL, message: 'Internal server error' };

export interface MappedError {
  body: ErrorBody;
  status: number;
  /** True when the error is a bug or an outage worth logging with its stack. */
  unexpected: boolean;
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof message === 'string' && Object.values(ErrorCode).includes(code as ErrorCode);
}

function fromHttpException(exception: HttpException): MappedError {
  const status = exception.getStatus();
  const response = exception.getResponse();
  if (isErrorBody(response)) return { body: response, status, unexpected: false };
  const code = CODE_BY_HTTP_STATUS[status] ?? (status >= 500 ? ErrorCode.INTERNAL : ErrorCode.VALIDATION_FAILED);
  if (code === ErrorCode.INTERNAL) return { body: INTERNAL_BODY, status: 500, unexpected: true };
  return { body: { code, message: exception.message }, status, unexpected: false };
}

/**
 * The one place that turns anything thrown into the public error shape. The INTERNAL body is a
 * constant on purpose: a stack trace or the offending payload must never reach a client.
 */
export function mapError(exception: unknown): MappedError {
  if (exception instanceof AppError) {
    const body = exception.toBody();
    return { body, status: HTTP_STATUS_BY_CODE[body.code], unexpected: body.code === ErrorCode.INTERNAL };
  }
  if (exception instanceof WsException) {
    const error = exception.getError();
    if (isErrorBody(error)) return { body: error, status: HTTP_STATUS_BY_CODE[error.code], unexpected: false };
    return { body: INTERNAL_BODY, status: 500, unexpected: true };
  }
  if (exception instanceof HttpException) return fromHttpException(exception);
  return { body: INTERNAL_BODY, status: 500, unexpected: true };
}
