import { describe, expect, it, jest } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import { AppError } from './app-error.js';
import { AppExceptionFilter } from './app-exception.filter.js';
import { ErrorCode } from './error-code.js';

function wsHost(args: unknown[], pattern = 'room:join'): ArgumentsHost {
  return {
    getType: () => 'ws',
    getArgByIndex: (index: number) => args[index],
    switchToWs: () => ({ getPattern: () => pattern, getClient: () => args[0], getData: () => args[1] }),
  } as unknown as ArgumentsHost;
}

function httpHost(): { host: ArgumentsHost; response: { status: jest.Mock; json: jest.Mock; setHeader: jest.Mock } } {
  const response = { status: jest.fn(), json: jest.fn(), setHeader: jest.fn() };
  response.status.mockReturnValue(response);
  const host = {
    getType: () => 'http',
    switchToHttp: () => ({ getResponse: () => response }),
  } as unknown as ArgumentsHost;
  return { host, response };
}

describe('AppExceptionFilter', () => {
  const filter = new AppExceptionFilter();

  it('answers a socket event through the reply function with the ack envelope', () => {
    const reply = jest.fn();
    const socket = { emit: jest.fn() };
    filter.catch(AppError.forbidden('join first'), wsHost([socket, {}, reply]));
    expect(reply).toHaveBeenCalledWith({ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'join first' } });
    expect(socket.emit).not.toHaveBeenCalled();
  });

  it('emits `exception` when there is no reply function', () => {
    const socket = { emit: jest.fn() };
    filter.catch(AppError.notFound('gone'), wsHost([socket, {}], 'direct:history'));
    expect(socket.emit).toHaveBeenCalledWith('exception', {
      event: 'direct:history',
      code: ErrorCode.NOT_FOUND,
      message: 'gone',
    });
  });

  it('answers an unexpected socket failure with INTERNAL only', () => {
    const reply = jest.fn();
    filter.catch(new Error('secret stack'), wsHost([{ emit: jest.fn() }, { text: 'private' }, reply]));
    expect(reply).toHaveBeenCalledWith({ ok: false, error: { code: ErrorCode.INTERNAL, message: 'Internal server error' } });
  });

  it('writes the REST error body with the status', () => {
    const { host, response } = httpHost();
    filter.catch(AppError.validation('bad', [{ field: 'limit', messages: ['too big'] }]), host);
    expect(response.status).toHaveBeenCalledWith(400);
    expect(response.json).toHaveBeenCalledWith({
      statusCode: 400,
      code: ErrorCode.VALIDATION_FAILED,
      message: 'bad',
      details: [{ field: 'limit', messages: ['too big'] }],
    });
    expect(response.setHeader).not.toHaveBeenCalled();
  });

  it('sets Retry-After in whole seconds for RATE_LIMITED', () => {
    const { host, response } = httpHost();
    filter.catch(new AppError(ErrorCode.RATE_LIMITED, 'slow down', undefined, 1200), host);
    expect(response.setHeader).toHaveBeenCalledWith('Retry-After', 2);
    expect(response.status).toHaveBeenCalledWith(429);
  });

  it('answers an unexpected REST failure with a bare 500 INTERNAL', () => {
    const { host, response } = httpHost();
    filter.catch(new RangeError('stack here'), host);
    expect(response.status).toHaveBeenCalledWith(500);
    expect(response.json).toHaveBeenCalledWith({ statusCode: 500, code: ErrorCode.INTERNAL, message: 'Internal server error' });
  });
});
