import { describe, expect, it } from '@jest/globals';
import type { Type } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { ErrorBody } from '../../contract.js';
import { ErrorCode } from '../../common/error-code.js';
import { WsValidationPipe } from '../../common/ws-validation.pipe.js';
import { loadConfig } from '../../config/app-config.js';
import {
  AnnounceDto,
  AuthRefreshDto,
  DirectHistoryDto,
  DirectSendDto,
  MessageDeleteDto,
  MessageEditDto,
  MessageSendDto,
  TypingDto,
} from './message.dto.js';
import { RoomForgetDto, RoomHistoryDto, RoomJoinDto, RoomLeaveDto, RoomReadDto, RoomsListDto } from './room.dto.js';

const MAX_MESSAGE_LENGTH = 20;
const pipe = new WsValidationPipe(loadConfig({ MAX_MESSAGE_LENGTH: String(MAX_MESSAGE_LENGTH) }));
const LONGEST_TEXT = ` ${'x'.repeat(MAX_MESSAGE_LENGTH - 2)} `;
const TOO_LONG_TEXT = `${LONGEST_TEXT}x`;

/** The fields a payload is rejected for; [] when it is accepted. */
function rejectedFields(dto: Type, payload: unknown): string[] {
  try {
    pipe.transform(payload, { type: 'body', metatype: dto });
    return [];
  } catch (error) {
    if (!(error instanceof WsException)) throw error;
    const body = error.getError() as ErrorBody;
    expect(body.code).toBe(ErrorCode.VALIDATION_FAILED);
    for (const detail of body.details ?? []) expect(detail.messages.length).toBeGreaterThan(0);
    return [...new Set((body.details ?? []).map((d) => d.field))].sort();
  }
}

const LONGEST_ROOM = `r${'x'.repeat(63)}`;
const LONGEST_USER_ID = 'u'.repeat(64);

interface Rules {
  dto: Type;
  accepted: unknown[];
  /** [payload, fields that must be named] */
  rejected: Array<[unknown, string[]]>;
}

const ROOM_NAME_CASES = (base: Record<string, unknown>, field = 'room'): Array<[unknown, string[]]> => [
  [{ ...base, [field]: undefined }, [field]],
  [{ ...base, [field]: '' }, [field]],
  [{ ...base, [field]: 5 }, [field]],
  [{ ...base, [field]: ['lobby'] }, [field]],
  [{ ...base, [field]: '_lobby' }, [field]],
  [{ ...base, [field]: '-lobby' }, [field]],
  [{ ...base, [field]: '.lobby' }, [field]],
  [{ ...base, [field]: ':lobby' }, [field]],
  [{ ...base, [field]: 'lob by' }, [field]],
  [{ ...base, [field]: 'lobby/1' }, [field]],
  [{ ...base, [field]: 'lobbé' }, [field]],
  [{ ...base, [field]: `${LONGEST_ROOM}x` }, [field]],
  [{ ...base, [field]: 'lobby\n' }, [field]],
];

const CLIENT_MSG_ID_CASES = (base: Record<string, unknown>): Array<[unknown, string[]]> => [
  [{ ...base, clientMsgId: '' }, ['clientMsgId']],
  [{ ...base, clientMsgId: 'c'.repeat(65) }, ['clientMsgId']],
  [{ ...base, clientMsgId: 12 }, ['clientMsgId']],
  [{ ...base, clientMsgId: null }, ['clientMsgId']],
];

/** The text rule, config-driven (MAX_MESSAGE_LENGTH as sent, not blank), is a DTO rule too. */
const TEXT_CASES = (base: Record<string, unknown>): Array<[unknown, string[]]> => [
  [{ ...base, text: '' }, ['text']],
  [{ ...base, text: ' \n\t ' }, ['text']],
  [{ ...base, text: TOO_LONG_TEXT }, ['text']],
];

const RULES: Record<string, Rules> = {
  'room:join': {
    dto: RoomJoinDto,
    accepted: [
      { room: 'a' },
      { room: '0' },
      { room: LONGEST_ROOM },
      { room: 'A1_b.c:d-e' },
      { room: 'user:ada' }, // shape is fine; the service refuses reserved names with FORBIDDEN
      { room: 'lobby', historyLimit: 0 },
      { room: 'lobby', historyLimit: 100 },
      { room: 'lobby', sinceSeq: 0 },
      { room: 'lobby', sinceSeq: 123456 },
      { room: 'lobby', historyLimit: 10, sinceSeq: 3 },
      { room: 'lobby', sinceRev: 0 },
      { room: 'lobby', sinceRev: Number.MAX_SAFE_INTEGER },
      { room: 'lobby', historyLimit: 10, sinceRev: 7 },
    ],
    rejected: [
      ...ROOM_NAME_CASES({}),
      [{ room: 'lobby', historyLimit: -1 }, ['historyLimit']],
      [{ room: 'lobby', historyLimit: 101 }, ['historyLimit']],
      [{ room: 'lobby', historyLimit: 1.5 }, ['historyLimit']],
      [{ room: 'lobby', historyLimit: '5' }, ['historyLimit']],
      [{ room: 'lobby', historyLimit: null }, ['historyLimit']],
      [{ room: 'lobby', sinceSeq: -1 }, ['sinceSeq']],
      [{ room: 'lobby', sinceSeq: 0.5 }, ['sinceSeq']],
      [{ room: 'lobby', sinceSeq: '3' }, ['sinceSeq']],
      [{ room: 'lobby', sinceSeq: 2 ** 60 }, ['sinceSeq']],
      [{ room: 'lobby', sinceRev: -1 }, ['sinceRev']],
      [{ room: 'lobby', sinceRev: 1.5 }, ['sinceRev']],
      [{ room: 'lobby', sinceRev: '3' }, ['sinceRev']],
      [{ room: 'lobby', sinceRev: null }, ['sinceRev']],
      [{ room: 'lobby', sinceRev: 2 ** 60 }, ['sinceRev']],
      [{ room: 'lobby', sinceRev: 3, sinceSeq: 3 }, ['sinceRev']],
      [{ room: 'lobby', sinceRev: 0, sinceSeq: 0 }, ['sinceRev']],
      [{ room: 'lobby', extra: 1 }, ['extra']],
    ],
  },
  'room:leave': {
    dto: RoomLeaveDto,
    accepted: [{ room: 'lobby' }, { room: LONGEST_ROOM }],
    rejected: [...ROOM_NAME_CASES({}), [{ room: 'lobby', historyLimit: 1 }, ['historyLimit']]],
  },
  'room:history': {
    dto: RoomHistoryDto,
    accepted: [
      { room: 'lobby' },
      { room: 'lobby', beforeSeq: 1 },
      { room: 'lobby', limit: 1 },
      { room: 'lobby', limit: 100, beforeSeq: 99 },
    ],
    rejected: [
      ...ROOM_NAME_CASES({}),
      [{ room: 'lobby', beforeSeq: 0 }, ['beforeSeq']],
      [{ room: 'lobby', beforeSeq: 2.5 }, ['beforeSeq']],
      [{ room: 'lobby', beforeSeq: '2' }, ['beforeSeq']],
      [{ room: 'lobby', beforeSeq: 2 ** 60 }, ['beforeSeq']],
      [{ room: 'lobby', limit: 0 }, ['limit']],
      [{ room: 'lobby', limit: 101 }, ['limit']],
      [{ room: 'lobby', limit: 'ten' }, ['limit']],
      [{ room: 'lobby', limit: null }, ['limit']],
    ],
  },
  'message:send': {
    dto: MessageSendDto,
    accepted: [
      { room: 'lobby', text: 'hi' },
      { room: 'lobby', text: LONGEST_TEXT },
      { room: 'lobby', text: 'hi', clientMsgId: 'c' },
      { room: 'lobby', text: 'hi', clientMsgId: 'c'.repeat(64) },
    ],
    rejected: [
      ...ROOM_NAME_CASES({ text: 'hi' }),
      [{ room: 'lobby' }, ['text']],
      [{ room: 'lobby', text: 5 }, ['text']],
      [{ room: 'lobby', text: null }, ['text']],
      [{ room: 'lobby', text: { toString: 'x' } }, ['text']],
      ...TEXT_CASES({ room: 'lobby' }),
      ...CLIENT_MSG_ID_CASES({ room: 'lobby', text: 'hi' }),
      [{ room: 'lobby', text: 'hi', from: { id: 'admin', name: 'admin' } }, ['from']],
      [{}, ['room', 'text']],
    ],
  },
  'message:direct': {
    dto: DirectSendDto,
    accepted: [
      { to: 'bob', text: 'hi' },
      { to: LONGEST_USER_ID, text: 'hi' },
      { to: 'a.b-c_d', text: 'hi', clientMsgId: 'x' },
      { to: 'auth0|123', text: 'hi' },
      { to: 'bob', text: LONGEST_TEXT },
    ],
    rejected: [
      [{ text: 'hi' }, ['to']],
      [{ to: '', text: 'hi' }, ['to']],
      [{ to: 'bob smith', text: 'hi' }, ['to']],
      [{ to: `${LONGEST_USER_ID}u`, text: 'hi' }, ['to']],
      [{ to: 42, text: 'hi' }, ['to']],
      [{ to: 'bob' }, ['text']],
      [{ to: 'bob', text: false }, ['text']],
      ...TEXT_CASES({ to: 'bob' }),
      ...CLIENT_MSG_ID_CASES({ to: 'bob', text: 'hi' }),
      [{ to: 'bob', text: 'hi', from: 'carol' }, ['from']],
    ],
  },
  'direct:history': {
    dto: DirectHistoryDto,
    accepted: [{ with: 'bob' }, { with: 'bob', beforeId: 'm1', limit: 1 }, { with: 'bob', limit: 100 }],
    rejected: [
      [{}, ['with']],
      [{ with: 'bob smith' }, ['with']],
      [{ with: 'bob', beforeId: '' }, ['beforeId']],
      [{ with: 'bob', beforeId: 'i'.repeat(65) }, ['beforeId']],
      [{ with: 'bob', beforeId: 3 }, ['beforeId']],
      [{ with: 'bob', limit: 0 }, ['limit']],
      [{ with: 'bob', limit: 101 }, ['limit']],
      [{ with: 'bob', limit: 2.5 }, ['limit']],
      [{ with: 'bob', user: 'carol' }, ['user']],
    ],
  },
  typing: {
    dto: TypingDto,
    accepted: [
      { room: 'lobby', typing: true },
      { room: 'lobby', typing: false },
    ],
    rejected: [
      ...ROOM_NAME_CASES({ typing: true }),
      [{ room: 'lobby' }, ['typing']],
      [{ room: 'lobby', typing: 'true' }, ['typing']],
      [{ room: 'lobby', typing: 1 }, ['typing']],
      [{ room: 'lobby', typing: null }, ['typing']],
      [{ room: 'lobby', typing: true, user: { id: 'x', name: 'x' } }, ['user']],
    ],
  },
  announce: {
    dto: AnnounceDto,
    accepted: [{ text: 'hello all' }, { text: LONGEST_TEXT }],
    rejected: [[{}, ['text']], [{ text: 1 }, ['text']], ...TEXT_CASES({}), [{ text: 'x', from: 'system' }, ['from']]],
  },
  'room:forget': {
    dto: RoomForgetDto,
    accepted: [{ room: 'lobby' }, { room: LONGEST_ROOM }, { room: 'user:ada' }],
    rejected: [...ROOM_NAME_CASES({}), [{ room: 'lobby', user: 'bob' }, ['user']]],
  },
  'rooms:list': {
    dto: RoomsListDto,
    accepted: [{}],
    rejected: [
      [{ room: 'lobby' }, ['room']],
      [{ limit: 10 }, ['limit']],
      [{ user: 'bob', after: null }, ['after', 'user']],
    ],
  },
  'room:read': {
    dto: RoomReadDto,
    accepted: [
      { room: 'lobby', seq: 0 },
      { room: 'lobby', seq: 1 },
      { room: 'lobby', seq: Number.MAX_SAFE_INTEGER },
    ],
    rejected: [
      ...ROOM_NAME_CASES({ seq: 1 }),
      [{ room: 'lobby' }, ['seq']],
      [{ room: 'lobby', seq: -1 }, ['seq']],
      [{ room: 'lobby', seq: 1.5 }, ['seq']],
      [{ room: 'lobby', seq: '1' }, ['seq']],
      [{ room: 'lobby', seq: null }, ['seq']],
      [{ room: 'lobby', seq: 2 ** 60 }, ['seq']],
      [{ room: 'lobby', seq: 1, user: 'bob' }, ['user']],
      [{}, ['room', 'seq']],
    ],
  },
  'message:edit': {
    dto: MessageEditDto,
    accepted: [
      { room: 'lobby', seq: 1, text: 'fixed' },
      { room: 'lobby', seq: Number.MAX_SAFE_INTEGER, text: LONGEST_TEXT },
    ],
    rejected: [
      ...ROOM_NAME_CASES({ seq: 1, text: 'hi' }),
      [{ room: 'lobby', text: 'hi' }, ['seq']],
      [{ room: 'lobby', seq: 0, text: 'hi' }, ['seq']],
      [{ room: 'lobby', seq: 2.5, text: 'hi' }, ['seq']],
      [{ room: 'lobby', seq: '2', text: 'hi' }, ['seq']],
      [{ room: 'lobby', seq: null, text: 'hi' }, ['seq']],
      [{ room: 'lobby', seq: 2 ** 60, text: 'hi' }, ['seq']],
      [{ room: 'lobby', seq: 1 }, ['text']],
      [{ room: 'lobby', seq: 1, text: null }, ['text']],
      [{ room: 'lobby', seq: 1, text: 7 }, ['text']],
      ...TEXT_CASES({ room: 'lobby', seq: 1 }),
      [{ room: 'lobby', seq: 1, text: 'hi', clientMsgId: 'c' }, ['clientMsgId']],
      [{ room: 'lobby', seq: 1, text: 'hi', from: { id: 'bob', name: 'bob' } }, ['from']],
    ],
  },
  'message:delete': {
    dto: MessageDeleteDto,
    accepted: [
      { room: 'lobby', seq: 1 },
      { room: 'lobby', seq: Number.MAX_SAFE_INTEGER },
    ],
    rejected: [
      ...ROOM_NAME_CASES({ seq: 1 }),
      [{ room: 'lobby' }, ['seq']],
      [{ room: 'lobby', seq: 0 }, ['seq']],
      [{ room: 'lobby', seq: -3 }, ['seq']],
      [{ room: 'lobby', seq: 1.25 }, ['seq']],
      [{ room: 'lobby', seq: true }, ['seq']],
      [{ room: 'lobby', seq: null }, ['seq']],
      [{ room: 'lobby', seq: 1, text: '' }, ['text']],
    ],
  },
  'auth:refresh': {
    dto: AuthRefreshDto,
    accepted: [{ token: 't' }, { token: 't'.repeat(8192) }],
    rejected: [
      [{}, ['token']],
      [{ token: '' }, ['token']],
      [{ token: 't'.repeat(8193) }, ['token']],
      [{ token: 5 }, ['token']],
    ],
  },
};

describe.each(Object.entries(RULES))('%s payload rules', (_event, rules) => {
  it.each(rules.accepted.map((payload) => [JSON.stringify(payload), payload]))('accepts %s', (_label, payload) => {
    expect(rejectedFields(rules.dto, payload)).toEqual([]);
  });

  it.each(rules.rejected.map(([payload, fields]) => [JSON.stringify(payload) ?? String(payload), payload, fields]))(
    'rejects %s',
    (_label, payload, fields) => {
      expect(rejectedFields(rules.dto, payload)).toEqual([...(fields as string[])].sort());
    },
  );

  it.each([
    ['a string', 'x'],
    ['an array', []],
    ['null', null],
    ['nothing', undefined],
  ])('rejects %s as payload', (_l, payload) => {
    expect(rejectedFields(rules.dto, payload)).toEqual(['(payload)']);
  });
});
