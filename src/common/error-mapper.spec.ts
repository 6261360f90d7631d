import { describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { AppError } from './app-error.js';
import { ErrorCode, HTTP_STATUS_BY_CODE } from './error-code.js';
import { mapError } from './error-mapper.js';

const INTERNAL = { code: ErrorCode.INTERNAL, message: 'Internal server error' };

describe('mapError', () => {
  it.each([
    [ErrorCode.VALIDATION_FAILED, 400],
    [ErrorCode.UNAUTHORIZED, 401],
    [ErrorCode.FORBIDDEN, 403],
    [ErrorCode.NOT_FOUND, 404],
    [ErrorCode.RATE_LIMITED, 429],
    [ErrorCode.UNKNOWN_EVENT, 404],
    [ErrorCode.UNAVAILABLE, 503],
  ])('keeps an AppError %s as is, with HTTP status %d', (code, status) => {
    const mapped = mapError(new AppError(code, 'why'));
    expect(mapped).toEqual({ body: { code, message: 'why' }, status, unexpected: false });
  });

  it('every code has an HTTP status', () => {
    for (const code of Object.values(ErrorCode)) expect(HTTP_STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
  });

  it('keeps details and retryAfterMs', () => {
    const details = [{ field: 'room', messages: ['room must be a string'] }];
    expect(mapError(AppError.validation('bad', details)).body).toEqual({
      code: ErrorCode.VALIDATION_FAILED,
      message: 'bad',
      details,
    });
    expect(mapError(new AppError(ErrorCode.RATE_LIMITED, 'slow down', undefined, 1500)).body).toEqual({
      code: ErrorCode.RATE_LIMITED,
      message: 'slow down',
      retryAfterMs: 1500,
    });
  });

  it('treats an AppError INTERNAL as unexpected', () => {
    expect(mapError(new AppError(ErrorCode.INTERNAL, 'boom'))).toMatchObject({ status: 500, unexpected: true });
  });

  it('reads a WsException that carries an error body', () => {
    const body = { code: ErrorCode.VALIDATION_FAILED, message: 'payload is invalid', details: [] };
    expect(mapError(new WsException(body))).toEqual({ body, status: 400, unexpected: false });
  });

  it.each([
    ['a string', 'something broke'],
    ['an unknown code', { code: 'NOPE', message: 'x' }],
  ])('turns a WsException with %s into INTERNAL', (_label, error) => {
    expect(mapError(new WsException(error))).toEqual({ body: INTERNAL, status: 500, unexpected: true });
  });

  it.each([
    [new BadRequestException('bad'), 400, ErrorCode.VALIDATION_FAILED],
    [new UnauthorizedException('who'), 401, ErrorCode.UNAUTHORIZED],
    [new ForbiddenException('no'), 403, ErrorCode.FORBIDDEN],
    [new NotFoundException('Cannot GET /nope'), 404, ErrorCode.NOT_FOUND],
    [new PayloadTooLargeException('too big'), 413, ErrorCode.VALIDATION_FAILED],
    [new HttpException('slow', HttpStatus.TOO_MANY_REQUESTS), 429, ErrorCode.RATE_LIMITED],
    [new ServiceUnavailableException('down'), 503, ErrorCode.UNAVAILABLE],
    [new HttpException('teapot', 418), 418, ErrorCode.VALIDATION_FAILED],
  ])('maps %s to %d %s', (exception, status, code) => {
    const mapped = mapError(exception);
    expect(mapped.status).toBe(status);
    expect(mapped.body.code).toBe(code);
    expect(mapped.body.message).toBe(exception.message);
    expect(mapped.unexpected).toBe(false);
  });

  it('passes an HttpException whose response already is an error body', () => {
    const body = { code: ErrorCode.FORBIDDEN, message: 'nope' };
    expect(mapError(new HttpException(body, 403))).toEqual({ body, status: 403, unexpected: false });
  });

  it('hides the message of a 5xx HttpException', () => {
    expect(mapError(new InternalServerErrorException('db password is hunter2'))).toEqual({
      body: INTERNAL,
      status: 500,
      unexpected: true,
    });
    expect(mapError(new HttpException('gateway', 502)).body).toEqual(INTERNAL);
  });

  it.each([
    ['an Error with a stack', new TypeError("Cannot read properties of undefined (reading 'secret')")],
    ['a string', 'payload {"text":"private"}'],
    ['undefined', undefined],
    ['null', null],
    ['an object that looks like a body but is not an AppError', { code: 'INTERNAL_DB', message: 'select * from users' }],
  ])('turns %s into the constant INTERNAL body without a stack or the payload', (_label, thrown) => {
    const mapped = mapError(thrown);
    expect(mapped).toEqual({ body: INTERNAL, status: 500, unexpected: true });
    expect(JSON.stringify(mapped.body)).not.toMatch(/stack|secret|private|select/);
  });

  it('returns a fresh-looking constant: the INTERNAL body carries no details', () => {
    expect(Object.keys(mapError(new Error('x')).body).sort()).toEqual(['code', 'message']);
  });
});
