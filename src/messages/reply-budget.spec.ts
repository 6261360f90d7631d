import { describe, expect, it } from '@jest/globals';
import type { DirectMessage, Message } from '../contract.js';
import { countedBytes, directMessageBytes, MESSAGE_OVERHEAD_BYTES, roomMessageBytes, takePage } from './reply-budget.js';

/** Rows 1..count, counting how many were read. */
function rowsOf(count: number): { rows: Iterable<number>; read: () => number } {
  let read = 0;
  return {
    rows: {
      *[Symbol.iterator]() {
        for (let row = 1; row <= count; row += 1) {
          read += 1;
          yield row;
        }
      },
    },
    read: () => read,
  };
}

const tenBytes = (): number => 10;

describe('takePage', () => {
  it('stops at the count, reading one row past it as the hasMore probe', () => {
    const source = rowsOf(100);
    expect(takePage(source.rows, { limit: 3 }, tenBytes)).toEqual({ rows: [1, 2, 3], hasMore: true });
    expect(source.read()).toBe(4);
    expect(takePage(rowsOf(3).rows, { limit: 3 }, tenBytes)).toEqual({ rows: [1, 2, 3], hasMore: false });
  });

  it('stops before the row that would pass maxBytes, having read only that one row too many', () => {
    const source = rowsOf(1000);
    expect(takePage(source.rows, { limit: 500, maxBytes: 35 }, tenBytes)).toEqual({ rows: [1, 2, 3], hasMore: true });
    expect(source.read()).toBe(4);
    expect(takePage(rowsOf(1000).rows, { limit: 500, maxBytes: 40 }, tenBytes)).toEqual({ rows: [1, 2, 3, 4], hasMore: true });
    expect(takePage(rowsOf(4).rows, { limit: 500, maxBytes: 40 }, tenBytes)).toEqual({ rows: [1, 2, 3, 4], hasMore: false });
  });

  it('always takes the first row, however large', () => {
    expect(takePage(rowsOf(5).rows, { limit: 500, maxBytes: 1 }, tenBytes)).toEqual({ rows: [1], hasMore: true });
    expect(takePage(rowsOf(1).rows, { limit: 500, maxBytes: 1 }, tenBytes)).toEqual({ rows: [1], hasMore: false });
    expect(takePage(rowsOf(0).rows, { limit: 500, maxBytes: 1 }, tenBytes)).toEqual({ rows: [], hasMore: false });
  });

  it('goes on past a large row only while the running size fits', () => {
    const sizes = [5, 50, 5];
    const sizeOf = (row: number): number => sizes[row - 1]!;
    expect(takePage(rowsOf(3).rows, { limit: 10, maxBytes: 54 }, sizeOf)).toEqual({ rows: [1], hasMore: true });
    expect(takePage(rowsOf(3).rows, { limit: 10, maxBytes: 55 }, sizeOf)).toEqual({ rows: [1, 2], hasMore: true });
    expect(takePage(rowsOf(3).rows, { limit: 10, maxBytes: 60 }, sizeOf)).toEqual({ rows: [1, 2, 3], hasMore: false });
  });
});

describe('countedBytes', () => {
  it('counts UTF-8 bytes of the fields given, skipping absent ones, plus the overhead', () => {
    expect(countedBytes()).toBe(MESSAGE_OVERHEAD_BYTES);
    expect(countedBytes('abc', null, undefined, 'é🎉')).toBe(MESSAGE_OVERHEAD_BYTES + 3 + 2 + 4);
  });
});

describe('the counted size of a message', () => {
  const longest = (length: number): string => 'a'.repeat(length);
  const free = { text: 'héllo wörld', name: 'Zoë', clientMsgId: longest(64) };

  it('is at least its JSON in an array, for ids, room, seq and rev at their longest, edited and deleted, and text without escapes', () => {
    const message: Message = {
      id: '0190a6c2-7b1e-7c3d-8e4f-123456789abc',
      room: longest(64),
      seq: Number.MAX_SAFE_INTEGER,
      from: { id: longest(64), name: free.name },
      text: free.text,
      sentAt: '2030-01-01T00:00:00.000Z',
      clientMsgId: free.clientMsgId,
      rev: Number.MAX_SAFE_INTEGER,
      editedAt: '2030-01-01T00:00:00.000Z',
      deletedAt: '2030-01-01T00:00:00.000Z',
    };
    const direct: DirectMessage = {
      id: message.id,
      from: { id: longest(64), name: free.name },
      to: { id: longest(64), name: free.name },
      text: free.text,
      sentAt: message.sentAt,
      clientMsgId: free.clientMsgId,
    };
    expect(Buffer.byteLength(`${JSON.stringify(message)},`)).toBeLessThanOrEqual(roomMessageBytes(message));
    expect(Buffer.byteLength(`${JSON.stringify(direct)},`)).toBeLessThanOrEqual(directMessageBytes(direct));
  });
});
