import { describe, expect, it } from '@jest/globals';
import { newMessageId } from './message-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newMessageId', () => {
  it('is a UUIDv7 carrying the time in its first 48 bits', () => {
    const at = Date.parse('2030-05-06T07:08:09.010Z');
    const id = newMessageId(at);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('sorts by time and never repeats', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => newMessageId(1_900_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
