import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { getMetadataStorage, validateSync } from 'class-validator';
import type { Type } from '@nestjs/common';
import { AnnouncementBody, SystemMessageBody } from '../chat/dto/admin.dto.js';
import { AnnounceDto, AuthRefreshDto, DirectHistoryDto, DirectSendDto, MessageSendDto, TypingDto } from '../chat/dto/message.dto.js';
import { RoomHistoryDto, RoomJoinDto, RoomLeaveDto } from '../chat/dto/room.dto.js';
import { compileValidityCheck } from './compiled-validator.js';
import { withPayloadLimits } from './payload-limits.js';

/** Texts of 64 characters pass, 65 do not (VALUES sits on that edge). */
const LIMITS = { maxMessageLength: 64 };

const DTOS: Type[] = [
  RoomJoinDto,
  RoomLeaveDto,
  RoomHistoryDto,
  MessageSendDto,
  DirectSendDto,
  DirectHistoryDto,
  TypingDto,
  AnnounceDto,
  AuthRefreshDto,
  SystemMessageBody,
  AnnouncementBody,
];

/** Values chosen to sit on every rule's edges: types, lengths, patterns, ranges, integers. */
const VALUES: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  1,
  -1,
  1.5,
  50,
  99,
  100,
  101,
  500,
  NaN,
  Infinity,
  -Infinity,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  '',
  ' ',
  'a',
  'lobby',
  'user:ada',
  'has space',
  '-x',
  'x'.repeat(64),
  'x'.repeat(65),
  'ada@example.com',
  '\u00fc',
  [],
  ['a'],
  {},
  { a: 1 },
  '10',
];

function* payloads(keys: string[]): Generator<Record<string, unknown>> {
  // Every value in each single field (the others valid-looking), then random combinations.
  const base = Object.fromEntries(keys.map((key) => [key, 'lobby']));
  for (const key of keys) for (const value of VALUES) yield { ...base, [key]: value };
  let seed = 7;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 3000; i += 1) {
    const payload: Record<string, unknown> = {};
    for (const key of keys) if (random(4) > 0) payload[key] = VALUES[random(VALUES.length)];
    yield payload;
  }
}

describe('compiled validity check', () => {
  it.each(DTOS.map((dto) => [dto.name, dto] as const))('agrees with class-validator on %s', (_name, dto) => {
    const isValid = compileValidityCheck(dto);
    expect(isValid).toBeDefined();
    const fields = [
      ...new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(dto, '', true, false)
          .map((m) => m.propertyName),
      ),
    ];
    const prototype = withPayloadLimits(dto, LIMITS).prototype as object;
    let compared = 0;
    for (const payload of payloads(fields)) {
      const instance = Object.assign(Object.create(prototype) as object, payload) as Record<string, unknown>;
      const expected = validateSync(instance).length === 0;
      expect([payload, isValid!(instance)]).toEqual([payload, expected]);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(3000);
  });
});
