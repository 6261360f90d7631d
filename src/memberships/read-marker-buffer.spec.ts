import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { MemoryMessageStore } from '../messages/memory-message.store.js';
import type { MarkerMove } from './membership-store.js';
import { MARKER_WRITE_WINDOW_MS, ReadMarkerBuffer } from './read-marker-buffer.js';

const ada = { id: 'ada', name: 'ada' };
const bob = { id: 'bob', name: 'bob' };

describe('ReadMarkerBuffer (memory store)', () => {
  let store: MemoryMessageStore;
  let buffer: ReadMarkerBuffer;
  let writes: MarkerMove[][];
  let realMoveMarkers: (moves: readonly MarkerMove[]) => Promise<void>;

  async function storedReadSeq(room: string, userId: string): Promise<number | undefined> {
    return (await store.membershipState(room, userId))?.membership.readSeq;
  }

  beforeEach(async () => {
    jest.useFakeTimers();
    store = new MemoryMessageStore();
    for (const user of [ada, bob]) {
      for (const room of ['lobby', 'other']) {
        await store.join({ room, user, joinedAt: '2026-01-01T00:00:00.000Z', maxMemberships: 10 });
      }
    }
    for (let i = 0; i < 50; i += 1) {
      await store.appendRoomMessage({ id: `m${i}`, room: 'lobby', from: { id: 'carol', name: 'carol' }, text: 'x', sentAt: 'now' });
    }
    writes = [];
    realMoveMarkers = store.moveMarkers.bind(store);
    jest.spyOn(store, 'moveMarkers').mockImplementation((moves) => {
      writes.push(moves.map((move) => ({ ...move })));
      return realMoveMarkers(moves);
    });
    buffer = new ReadMarkerBuffer(store);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('coalesces a stream of moves of one marker into one write per window, of the furthest value', async () => {
    for (let seq = 1; seq <= 20; seq += 1) {
      buffer.move({ room: 'lobby', userId: 'ada', readSeq: seq });
      await jest.advanceTimersByTimeAsync(MARKER_WRITE_WINDOW_MS / 10);
    }
    // Twenty moves over two windows: two writes, each of the furthest value of its window.
    expect(writes).toEqual([[{ room: 'lobby', userId: 'ada', readSeq: 10 }], [{ room: 'lobby', userId: 'ada', readSeq: 20 }]]);
    expect(await storedReadSeq('lobby', 'ada')).toBe(20);
    await jest.advanceTimersByTimeAsync(10 * MARKER_WRITE_WINDOW_MS);
    expect(writes).toHaveLength(2);
  });

  it('writes the markers of several users and rooms together, and ignores a move behind a pending one', async () => {
    buffer.move({ room: 'lobby', userId: 'ada', readSeq: 5 });
    buffer.move({ room: 'lobby', userId: 'ada', readSeq: 3 });
    buffer.move({ room: 'lobby', userId: 'bob', readSeq: 7 });
    buffer.move({ room: 'other', userId: 'ada', readSeq: 0 });
    expect(buffer.pendingSeq('lobby', 'ada')).toBe(5);
    expect(buffer.pendingSeq('other', 'bob')).toBeUndefined();
    await jest.advanceTimersByTimeAsync(MARKER_WRITE_WINDOW_MS - 1);
    expect(writes).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual(
      expect.arrayContaining([
        { room: 'lobby', userId: 'ada', readSeq: 5 },
        { room: 'lobby', userId: 'bob', readSeq: 7 },
        { room: 'other', userId: 'ada', readSeq: 0 },
      ]),
    );
    expect(writes[0]).toHaveLength(3);
    expect(buffer.pendingCount).toBe(0);
    expect(buffer.pendingSeq('lobby', 'ada')).toBeUndefined();
  });

  it('flushes at once on demand and at shutdown, and schedules nothing after shutdown', async () => {
    buffer.move({ room: 'lobby', userId: 'ada', readSeq: 4 });
    await buffer.flush();
    expect(writes).toEqual([[{ room: 'lobby', userId: 'ada', readSeq: 4 }]]);
    buffer.move({ room: 'lobby', userId: 'bob', readSeq: 6 });
    await buffer.beforeApplicationShutdown();
    expect(writes).toHaveLength(2);
    expect(await storedReadSeq('lobby', 'bob')).toBe(6);
    buffer.move({ room: 'lobby', userId: 'bob', readSeq: 8 });
    await jest.advanceTimersByTimeAsync(10 * MARKER_WRITE_WINDOW_MS);
    expect(writes).toHaveLength(2);
    await buffer.flush();
    expect(writes).toHaveLength(3);
  });

  it('keeps reporting a value while its write is in flight, and drops a discarded one', async () => {
    let release!: () => void;
    jest.spyOn(store, 'moveMarkers').mockImplementationOnce(async (moves) => {
      writes.push([...moves]);
      await new Promise<void>((resolve) => (release = resolve));
      return realMoveMarkers(moves);
    });
    buffer.move({ room: 'lobby', userId: 'ada', readSeq: 9 });
    buffer.move({ room: 'lobby', userId: 'bob', readSeq: 9 });
    await jest.advanceTimersByTimeAsync(MARKER_WRITE_WINDOW_MS);
    expect(writes).toHaveLength(1);
    expect(buffer.pendingSeq('lobby', 'ada')).toBe(9);
    buffer.discard('other', 'bob');
    buffer.discard('lobby', 'bob');
    expect(buffer.pendingSeq('lobby', 'bob')).toBeUndefined();
    release();
    await jest.advanceTimersByTimeAsync(0);
    expect(buffer.pendingSeq('lobby', 'ada')).toBeUndefined();
    expect(await storedReadSeq('lobby', 'ada')).toBe(9);
  });

  it('keeps the moves of a failed write for the next window, unless newer ones or a discard came meanwhile', async () => {
    jest.spyOn(store, 'moveMarkers').mockRejectedValueOnce(new Error('database unreachable'));
    buffer.move({ room: 'lobby', userId: 'ada', readSeq: 5 });
    buffer.move({ room: 'lobby', userId: 'bob', readSeq: 5 });
    await jest.advanceTimersByTimeAsync(MARKER_WRITE_WINDOW_MS);
    expect(await storedReadSeq('lobby', 'ada')).toBe(0);
    expect(buffer.pendingSeq('lobby', 'ada')).toBe(5);
    expect(buffer.pendingSeq('lobby', 'bob')).toBe(5);
    buffer.discard('lobby', 'bob');
    buffer.move({ room: 'lobby', userId: 'ada', readSeq: 6 });
    await jest.advanceTimersByTimeAsync(MARKER_WRITE_WINDOW_MS);
    expect(await storedReadSeq('lobby', 'ada')).toBe(6);
    expect(await storedReadSeq('lobby', 'bob')).toBe(0);
    expect(buffer.pendingCount).toBe(0);
  });
});
