import { describe, expect, it } from '@jest/globals';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { assertMessageText } from './message-text.js';

function refusal(text: string, maxLength: number): AppError | undefined {
  try {
    assertMessageText(text, maxLength);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
}

describe('assertMessageText', () => {
  it('accepts 1..maxLength characters as sent, padding included', () => {
    expect(refusal('x', 5)).toBeUndefined();
    expect(refusal('xxxxx', 5)).toBeUndefined();
    expect(refusal('  x  ', 5)).toBeUndefined();
  });

  it('counts the length as sent, so padding cannot carry a text past the limit', () => {
    for (const text of ['xxxxxx', 'x     ', '     x', `x${' '.repeat(65_000)}`]) {
      const error = refusal(text, 5);
      expect(error?.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(error?.details).toEqual([{ field: 'text', messages: ['text must be at most 5 characters'] }]);
    }
  });

  it('refuses empty and whitespace-only text, whatever the whitespace', () => {
    for (const text of ['', ' ', '\n\t\r', '\u00a0\u2028\u2029\u3000\ufeff\u200a']) {
      expect(text.trim()).toBe('');
      const error = refusal(text, 50);
      expect(error?.code).toBe(ErrorCode.VALIDATION_FAILED);
      expect(error?.details).toEqual([{ field: 'text', messages: ['text must not be blank'] }]);
    }
  });

  it('takes characters trim() keeps as content', () => {
    for (const text of ['\u200b', '\u00ad', '.']) {
      expect(text.trim()).toBe(text);
      expect(refusal(text, 5)).toBeUndefined();
    }
  });
});
