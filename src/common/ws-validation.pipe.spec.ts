import { describe, expect, it } from '@jest/globals';
import type { Type } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { ErrorBody } from '../contract.js';
import { RoomJoinDto } from '../chat/dto/room.dto.js';
import { MessageSendDto } from '../chat/dto/message.dto.js';
import { loadConfig } from '../config/app-config.js';
import { ErrorCode } from './error-code.js';
import { isPlainObject, WsValidationPipe } from './ws-validation.pipe.js';

const pipe = new WsValidationPipe(loadConfig({}));

function run(dto: Type | undefined, value: unknown): unknown {
  return pipe.transform(value, { type: 'body', metatype: dto });
}

function rejection(dto: Type, value: unknown): ErrorBody {
  try {
    run(dto, value);
  } catch (error) {
    expect(error).toBeInstanceOf(WsException);
    return (error as WsException).getError() as ErrorBody;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be rejected`);
}

describe('WsValidationPipe', () => {
  it('returns an instance of the DTO carrying exactly the payload values', () => {
    const result = run(RoomJoinDto, { room: 'lobby', historyLimit: 5 });
    expect(result).toBeInstanceOf(RoomJoinDto);
    expect({ ...(result as object) }).toEqual({ room: 'lobby', historyLimit: 5 });
  });

  it('passes values through untouched when the parameter has no DTO class', () => {
    const value = { anything: 1 };
    expect(run(undefined, value)).toBe(value);
    expect(run(Object as Type, 'text')).toBe('text');
    expect(run(String as Type, 'text')).toBe('text');
  });

  it.each([
    ['a string', 'lobby'],
    ['a number', 42],
    ['a boolean', true],
    ['null', null],
    ['undefined (no payload)', undefined],
    ['an array', [{ room: 'lobby' }]],
    ['a Buffer', Buffer.from('{"room":"lobby"}')],
    ['a Date', new Date()],
  ])('rejects %s as payload with a (payload) detail', (_label, value) => {
    const error = rejection(RoomJoinDto, value);
    expect(error).toEqual({
      code: ErrorCode.VALIDATION_FAILED,
      message: 'payload must be a JSON object',
      details: [{ field: '(payload)', messages: ['payload must be a JSON object'] }],
    });
  });

  it('accepts an object without prototype', () => {
    const value = Object.assign(Object.create(null) as object, { room: 'lobby' });
    expect(run(RoomJoinDto, value)).toBeInstanceOf(RoomJoinDto);
  });

  it('names every unknown property, including a spoofed from or user', () => {
    const error = rejection(MessageSendDto, { room: 'a', text: 'hi', from: { id: 'admin' }, user: 'x' });
    expect(error.code).toBe(ErrorCode.VALIDATION_FAILED);
    expect(error.details).toEqual([
      { field: 'from', messages: ['property from should not exist'] },
      { field: 'user', messages: ['property user should not exist'] },
    ]);
  });

  it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])(
    'rejects an own %s key without touching any prototype',
    (key) => {
      const value = JSON.parse(`{"room":"lobby","${key}":{"polluted":true}}`) as unknown;
      const error = rejection(RoomJoinDto, value);
      expect(error.details).toEqual([{ field: key, messages: [`property ${key} should not exist`] }]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((RoomJoinDto.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('reports a wrong type and a missing field per field', () => {
    const error = rejection(MessageSendDto, { room: 7 });
    expect(error.message).toBe('payload is invalid');
    const fields = Object.fromEntries((error.details ?? []).map((d) => [d.field, d.messages]));
    expect(Object.keys(fields).sort()).toEqual(['room', 'text']);
    expect(fields.room).toContain('room must be a string');
    expect(fields.text).toEqual(['text must be a string']);
  });

  it('gives the same answer for the same DTO twice (cached key set)', () => {
    expect(rejection(RoomJoinDto, { x: 1 })).toEqual(rejection(RoomJoinDto, { x: 1 }));
  });
});

describe('isPlainObject', () => {
  it.each([
    [{}, true],
    [Object.create(null), true],
    [[], false],
    [null, false],
    [new Map(), false],
    [Object.create({ inherited: 1 }), false],
    ['x', false],
  ])('%p -> %p', (value, expected) => {
    expect(isPlainObject(value)).toBe(expected);
  });
});
