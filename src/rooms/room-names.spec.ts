import { describe, expect, it } from '@jest/globals';
import { isReservedRoom, isRoomAllowed, ROOM_NAME_PATTERN, userRoom } from './room-names.js';

describe('room names', () => {
  it.each(['a', 'Z', '9', 'lobby', 'a_b.c:d-e', `r${'x'.repeat(63)}`])('%s is a valid name', (name) => {
    expect(ROOM_NAME_PATTERN.test(name)).toBe(true);
  });

  it.each(['', '_a', '.a', ':a', '-a', 'a b', 'a/b', 'a#b', 'ä', `r${'x'.repeat(64)}`, 'a\n'])('%j is not', (name) => {
    expect(ROOM_NAME_PATTERN.test(name)).toBe(false);
  });

  it.each([
    ['user:ada', true],
    ['system:alerts', true],
    ['user:', true],
    ['users', false],
    ['User:ada', false],
    ['lobby:user:ada', false],
    ['systems', false],
  ])('%s reserved: %p', (room, reserved) => {
    expect(isReservedRoom(room)).toBe(reserved);
  });

  it('puts every user in a reserved user room', () => {
    expect(userRoom('ada')).toBe('user:ada');
    expect(isReservedRoom(userRoom('ada'))).toBe(true);
  });

  it('allows any non-reserved room without an allow-list, and only listed ones with one', () => {
    expect(isRoomAllowed({}, 'lobby')).toBe(true);
    expect(isRoomAllowed({}, 'user:bob')).toBe(false);
    const identity = { allowedRooms: ['lobby', 'team-*'] };
    expect(isRoomAllowed(identity, 'lobby')).toBe(true);
    expect(isRoomAllowed(identity, 'team-red')).toBe(true);
    expect(isRoomAllowed(identity, 'lobby2')).toBe(false);
    expect(isRoomAllowed({ allowedRooms: ['*'] }, 'system:x')).toBe(false);
  });
});
