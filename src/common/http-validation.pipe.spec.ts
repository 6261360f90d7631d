import { describe, expect, it } from '@jest/globals';
import type { ArgumentMetadata, Type } from '@nestjs/common';
import { AnnouncementBody, SystemMessageBody } from '../chat/dto/admin.dto.js';
import { RoomMessagesQuery } from '../rooms/dto/room-messages.query.js';
import { RoomNameParam } from '../rooms/dto/room-name.param.js';
import { UserIdParam } from '../presence/dto/user-id.param.js';
import { loadConfig } from '../config/app-config.js';
import { AppError } from './app-error.js';
import { ErrorCode } from './error-code.js';
import { HttpValidationPipe } from './http-validation.pipe.js';

const pipe = new HttpValidationPipe(loadConfig({ MAX_MESSAGE_LENGTH: '20' }));

async function transform(dto: Type, value: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<unknown> {
  return pipe.transform(value, { type, metatype: dto });
}

async function rejectedFields(dto: Type, value: unknown, type: ArgumentMetadata['type'] = 'body'): Promise<string[]> {
  try {
    await transform(dto, value, type);
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    const appError = error as AppError;
    expect(appError.code).toBe(ErrorCode.VALIDATION_FAILED);
    return (appError.details ?? []).map((d) => d.field).sort();
  }
}

describe('HttpValidationPipe', () => {
  describe('query strings (GET /rooms/:name/messages)', () => {
    it('turns numeric strings into numbers', async () => {
      await expect(transform(RoomMessagesQuery, { beforeSeq: '7', limit: '20' }, 'query')).resolves.toEqual({
        beforeSeq: 7,
        limit: 20,
      });
      await expect(transform(RoomMessagesQuery, {}, 'query')).resolves.toEqual({});
    });

    it.each([
      [{ limit: 'abc' }, ['limit']],
      [{ limit: '0' }, ['limit']],
      [{ limit: '101' }, ['limit']],
      [{ limit: '2.5' }, ['limit']],
      [{ limit: '' }, ['limit']],
      [{ beforeSeq: '0' }, ['beforeSeq']],
      [{ beforeSeq: '-3' }, ['beforeSeq']],
      [{ beforeSeq: 'x' }, ['beforeSeq']],
      [{ beforeSeq: '99999999999999999999' }, ['beforeSeq']],
      [{ limit: ['1', '2'] }, ['limit']],
      [{ page: '2' }, ['page']],
    ])('rejects %j', async (query, fields) => {
      await expect(rejectedFields(RoomMessagesQuery, query, 'query')).resolves.toEqual(fields);
    });
  });

  describe('path parameters', () => {
    it.each(['lobby', 'a', 'A1_b.c:d-e', `r${'x'.repeat(63)}`])('accepts room name %s', async (name) => {
      await expect(rejectedFields(RoomNameParam, { name }, 'param')).resolves.toEqual([]);
    });

    it.each(['_x', 'a b', `r${'x'.repeat(64)}`, 'é'])('rejects room name %s', async (name) => {
      await expect(rejectedFields(RoomNameParam, { name }, 'param')).resolves.toEqual(['name']);
    });

    it.each(['ada', 'a.b-c_d', 'x@y.z', 'auth0|42', 'u'.repeat(64)])('accepts user id %s', async (id) => {
      await expect(rejectedFields(UserIdParam, { id }, 'param')).resolves.toEqual([]);
    });

    it.each(['a b', 'u'.repeat(65), 'ada!', 'é'])('rejects user id %s', async (id) => {
      await expect(rejectedFields(UserIdParam, { id }, 'param')).resolves.toEqual(['id']);
    });
  });

  describe('admin bodies', () => {
    it('accepts a system message with and without clientMsgId', async () => {
      await expect(rejectedFields(SystemMessageBody, { text: 'hi' })).resolves.toEqual([]);
      await expect(rejectedFields(SystemMessageBody, { text: 'hi', clientMsgId: 'c1' })).resolves.toEqual([]);
    });

    it.each([
      [{}, ['text']],
      [{ text: 3 }, ['text']],
      [{ text: 'hi', clientMsgId: '' }, ['clientMsgId']],
      [{ text: 'hi', clientMsgId: 'c'.repeat(65) }, ['clientMsgId']],
      [{ text: 'hi', clientMsgId: null }, ['clientMsgId']],
      [{ text: 'hi', from: { id: 'x' } }, ['from']],
    ])('rejects system message %j', async (body, fields) => {
      await expect(rejectedFields(SystemMessageBody, body)).resolves.toEqual(fields);
    });

    it.each([
      [{}, ['text']],
      [{ text: null }, ['text']],
      [{ text: 'hi', id: 'forged' }, ['id']],
    ])('rejects announcement %j', async (body, fields) => {
      await expect(rejectedFields(AnnouncementBody, body)).resolves.toEqual(fields);
    });

    it.each(['__proto__', 'constructor'])('drops a %s key (class-transformer skips it) without polluting any prototype', async (key) => {
      const body = JSON.parse(`{"text":"hi","${key}":{"polluted":true,"prototype":{"polluted":true}}}`) as unknown;
      const result = await transform(AnnouncementBody, body);
      expect(result).toBeInstanceOf(AnnouncementBody);
      expect(Object.getOwnPropertyNames(result)).toEqual(['text']);
      // An instance of the pipe's subclass of the DTO (the one carrying the app's payload limits).
      expect(Object.getPrototypeOf(Object.getPrototypeOf(result))).toBe(AnnouncementBody.prototype);
      expect((result as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((AnnouncementBody.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
});
