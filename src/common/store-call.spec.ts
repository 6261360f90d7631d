import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { AppError } from './app-error.js';
import { ErrorCode } from './error-code.js';
import { storeCall } from './store-call.js';

describe('storeCall', () => {
  const logger = new Logger('StoreCallSpec');

  it('returns what the operation returns', async () => {
    await expect(storeCall(logger, 'message store', async () => 42)).resolves.toBe(42);
  });

  it('turns any failure into UNAVAILABLE naming the store, logging the cause once', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const cause = new Error('ECONNREFUSED 127.0.0.1:5432 password=hunter2');
    const failure = storeCall(logger, 'message store', () => Promise.reject(cause));
    await expect(failure).rejects.toBeInstanceOf(AppError);
    await failure.catch((error: AppError) => {
      expect(error.toBody()).toEqual({ code: ErrorCode.UNAVAILABLE, message: 'message store is unavailable, try again' });
    });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toEqual({ err: cause });
  });
});
