import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import type { Type } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { IsString, validateSync } from 'class-validator';
import { AppError } from '../common/app-error.js';
import { compileValidityCheck } from '../common/compiled-validator.js';
import { ErrorCode } from '../common/error-code.js';
import { HttpValidationPipe } from '../common/http-validation.pipe.js';
import { withPayloadLimits } from '../common/payload-limits.js';
import { WsValidationPipe } from '../common/ws-validation.pipe.js';
import { loadConfig } from '../config/app-config.js';
import type { ErrorBody, FieldError } from '../contract.js';
import { IsMessageText } from './message-text.js';

class NoteDto {
  @IsString()
  @IsMessageText()
  text!: string;
}

const limit = (maxMessageLength: number): ReturnType<typeof loadConfig> => loadConfig({ MAX_MESSAGE_LENGTH: String(maxMessageLength) });

/** The details of a refusal, from the socket pipe and the REST pipe alike; undefined when accepted. */
function refusal(text: unknown, maxLength: number): FieldError[] | undefined {
  const config = limit(maxLength);
  let socketDetails: FieldError[] | undefined;
  try {
    new WsValidationPipe(config).transform({ text }, { type: 'body', metatype: NoteDto });
  } catch (error) {
    expect(error).toBeInstanceOf(WsException);
    const body = (error as WsException).getError() as ErrorBody;
    expect(body.code).toBe(ErrorCode.VALIDATION_FAILED);
    socketDetails = body.details;
  }
  return socketDetails;
}

async function restRefusal(text: unknown, maxLength: number): Promise<FieldError[] | undefined> {
  try {
    await new HttpValidationPipe(limit(maxLength)).transform({ text }, { type: 'body', metatype: NoteDto });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe(ErrorCode.VALIDATION_FAILED);
    return (error as AppError).details;
  }
}

/** The compiled validity check alone (the hot path for valid payloads), with these limits. */
function compiledAccepts(dto: Type, text: string, maxMessageLength: number): boolean {
  const instance = Object.assign(Object.create(withPayloadLimits(dto, { maxMessageLength }).prototype as object) as object, { text });
  return compileValidityCheck(dto)!(instance as Record<string, unknown>);
}

const tooLong = (max: number): FieldError[] => [{ field: 'text', messages: [`text must be at most ${max} characters`] }];
const BLANK: FieldError[] = [{ field: 'text', messages: ['text must not be blank'] }];

describe('IsMessageText', () => {
  it('accepts 1..MAX_MESSAGE_LENGTH characters as sent, padding included, on the compiled path and both pipes', async () => {
    for (const text of ['x', 'xxxxx', '  x  ']) {
      expect(compiledAccepts(NoteDto, text, 5)).toBe(true);
      expect(refusal(text, 5)).toBeUndefined();
      await expect(restRefusal(text, 5)).resolves.toBeUndefined();
    }
  });

  it('counts the length as sent, so padding cannot carry a text past the limit', async () => {
    for (const text of ['xxxxxx', 'x     ', '     x', `x${' '.repeat(65_000)}`]) {
      expect(compiledAccepts(NoteDto, text, 5)).toBe(false);
      expect(refusal(text, 5)).toEqual(tooLong(5));
      await expect(restRefusal(text, 5)).resolves.toEqual(tooLong(5));
    }
  });

  it('refuses empty and whitespace-only text, whatever the whitespace', async () => {
    for (const text of ['', ' ', '\n\t\r', '\u00a0\u2028\u2029\u3000\ufeff\u200a']) {
      expect(text.trim()).toBe('');
      expect(compiledAccepts(NoteDto, text, 50)).toBe(false);
      expect(refusal(text, 50)).toEqual(BLANK);
      await expect(restRefusal(text, 50)).resolves.toEqual(BLANK);
    }
  });

  it('names the length when a text is both too long and blank', () => {
    expect(refusal(' '.repeat(6), 5)).toEqual(tooLong(5));
  });

  it('takes characters trim() keeps as content', () => {
    for (const text of ['\u200b', '\u00ad', '.']) {
      expect(text.trim()).toBe(text);
      expect(refusal(text, 5)).toBeUndefined();
    }
  });

  it('leaves a value that is not a string to IsString: one message, as before', () => {
    for (const text of [5, null, ['x'], { length: 1 }]) {
      expect(refusal(text, 5)).toEqual([{ field: 'text', messages: ['text must be a string'] }]);
    }
  });

  it("holds each pipe to its own app's limit, with pipes of two limits used in turn", async () => {
    const small = new WsValidationPipe(limit(3));
    const large = new WsValidationPipe(limit(6));
    const smallRest = new HttpValidationPipe(limit(3));
    const largeRest = new HttpValidationPipe(limit(6));
    const metadata = { type: 'body', metatype: NoteDto } as const;
    for (let round = 0; round < 2; round += 1) {
      expect(() => small.transform({ text: 'abcd' }, metadata)).toThrow(WsException);
      expect(large.transform({ text: 'abcd' }, metadata)).toBeInstanceOf(NoteDto);
      await expect(smallRest.transform({ text: 'abcd' }, metadata)).rejects.toBeInstanceOf(AppError);
      await expect(largeRest.transform({ text: 'abcd' }, metadata)).resolves.toBeInstanceOf(NoteDto);
    }
  });

  it('refuses to run without limits instead of guessing one', () => {
    const unbound = Object.assign(new NoteDto(), { text: 'hi' });
    expect(() => validateSync(unbound)).toThrow('NoteDto was validated without payload limits (use the validation pipes)');
  });
});
