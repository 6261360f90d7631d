import { describe, expect, it } from '@jest/globals';
import { newMessageId, newMessageStamp } from './message-id.js';

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

  it('differs between messages of the same millisecond, and keeps each time when times alternate', () => {
    const at = Date.parse('2031-01-02T03:04:05.006Z');
    const sameMs = Array.from({ length: 100 }, () => newMessageId(at));
    expect(new Set(sameMs).size).toBe(100);
    const later = newMessageId(at + 1);
    expect(parseInt(newMessageId(at).replace(/-/g, '').slice(0, 12), 16)).toBe(at);
    expect(parseInt(later.replace(/-/g, '').slice(0, 12), 16)).toBe(at + 1);
  });
});

describe('newMessageStamp', () => {
  const isoTime = (now: number): string => newMessageStamp(now).sentAt;

  it('is the ISO 8601 form of the time, also when times alternate', () => {
    const at = Date.parse('2031-01-02T03:04:05.006Z');
    expect(isoTime(at)).toBe('2031-01-02T03:04:05.006Z');
    expect(isoTime(at + 1)).toBe('2031-01-02T03:04:05.007Z');
    expect(isoTime(at)).toBe('2031-01-02T03:04:05.006Z');
  });
});
