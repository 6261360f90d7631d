import { describe, expect, it } from '@jest/globals';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import type { RoomRestriction } from '../contract.js';
import { RoomRestrictions } from './room-restrictions.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');

function restriction(overrides: Partial<RoomRestriction> = {}): RoomRestriction {
  return { room: 'lobby', userId: 'ada', reason: null, createdAt: '2029-12-31T00:00:00.000Z', until: null, by: 'root', ...overrides };
}

function refusalOf(action: () => void): [ErrorCode, string] | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return [(error as AppError).code, (error as AppError).message];
  }
}

describe('RoomRestrictions', () => {
  it('refuses a banned user everything, a muted one posting only, each per room and user', () => {
    const held = new RoomRestrictions();
    held.put('ban', restriction({ reason: 'spam' }));
    held.put('mute', restriction({ userId: 'bob', until: '2099-01-01T00:00:00.000Z' }));
    expect(refusalOf(() => held.assertNotBanned('ada', 'lobby'))).toEqual([
      ErrorCode.FORBIDDEN,
      'you are banned from room lobby until an admin lifts it (reason: spam)',
    ]);
    expect(refusalOf(() => held.assertMayPost('ada', 'lobby'))).toEqual([
      ErrorCode.FORBIDDEN,
      'you are banned from room lobby until an admin lifts it (reason: spam)',
    ]);
    expect(refusalOf(() => held.assertNotBanned('bob', 'lobby'))).toBeUndefined();
    expect(refusalOf(() => held.assertMayPost('bob', 'lobby'))).toEqual([
      ErrorCode.FORBIDDEN,
      'you are muted in room lobby until 2099-01-01T00:00:00.000Z',
    ]);
    expect(refusalOf(() => held.assertMayPost('ada', 'other'))).toBeUndefined();
    expect(refusalOf(() => held.assertMayPost('cy', 'lobby'))).toBeUndefined();
  });

  it('says banned rather than muted for a user who is both', () => {
    const held = new RoomRestrictions();
    held.put('mute', restriction());
    held.put('ban', restriction());
    expect(refusalOf(() => held.assertMayPost('ada', 'lobby'))?.[1]).toMatch(/^you are banned from/);
  });

  it('ignores a restriction from its end on, before any sweep', () => {
    const held = new RoomRestrictions();
    held.put('ban', restriction({ until: new Date(NOW).toISOString() }));
    expect(held.active('ban', 'lobby', 'ada', NOW - 1)).toBeDefined();
    expect(held.active('ban', 'lobby', 'ada', NOW)).toBeUndefined();
    expect(held.size).toBe(1);
  });

  it('replaces on put and returns what remove took, ended or not', () => {
    const held = new RoomRestrictions();
    held.put('ban', restriction({ reason: 'one' }));
    held.put('ban', restriction({ reason: 'two' }));
    expect(held.size).toBe(1);
    expect(held.active('ban', 'lobby', 'ada')?.reason).toBe('two');
    expect(held.remove('mute', 'lobby', 'ada')).toBeUndefined();
    expect(held.remove('ban', 'lobby', 'ada')?.reason).toBe('two');
    expect(held.remove('ban', 'lobby', 'ada')).toBeUndefined();
    expect(held.size).toBe(0);
    held.put('mute', restriction({ until: '2000-01-01T00:00:00.000Z' }));
    expect(held.remove('mute', 'lobby', 'ada')?.until).toBe('2000-01-01T00:00:00.000Z');
  });

  it('replaceAll drops everything held before', () => {
    const held = new RoomRestrictions();
    held.put('ban', restriction({ room: 'old' }));
    held.replaceAll([{ kind: 'mute', ...restriction() }]);
    expect(held.list()).toEqual([{ kind: 'mute', ...restriction() }]);
    expect(held.active('ban', 'old', 'ada')).toBeUndefined();
  });

  it('sweep drops the ended ones, returns them, and tells when the next one ends', () => {
    const held = new RoomRestrictions();
    const at = (offsetMs: number): string => new Date(NOW + offsetMs).toISOString();
    held.put('ban', restriction({ userId: 'a', until: at(-1) }));
    held.put('mute', restriction({ userId: 'b', until: at(0) }));
    held.put('mute', restriction({ userId: 'c', until: at(5_000) }));
    held.put('ban', restriction({ userId: 'd', until: at(2_000) }));
    held.put('ban', restriction({ userId: 'e' }));
    const { ended, nextEndMs } = held.sweep(NOW);
    expect(ended.map((r) => `${r.kind}:${r.userId}`).sort()).toEqual(['ban:a', 'mute:b']);
    expect(nextEndMs).toBe(NOW + 2_000);
    expect(
      held
        .list()
        .map((r) => r.userId)
        .sort(),
    ).toEqual(['c', 'd', 'e']);
    expect(held.sweep(NOW + 10_000).nextEndMs).toBe(Infinity);
    expect(held.list().map((r) => r.userId)).toEqual(['e']);
  });
});
