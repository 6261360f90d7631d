import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { FakeChatEmitter } from '../../test/support/fake-chat-emitter.js';
import { SessionRevocations } from '../auth/session-revocations.js';
import type { RoomRestriction } from '../contract.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import type { ModerationNotice } from './moderation-notice.js';
import type { ModerationStore, SessionRevocation, StoredRestriction } from './moderation-store.js';
import { ModerationSync } from './moderation-sync.js';
import { RoomRestrictions } from './room-restrictions.js';

Logger.overrideLogger(false);

function restriction(overrides: Partial<RoomRestriction> = {}): RoomRestriction {
  return { room: 'lobby', userId: 'ada', reason: null, createdAt: '2030-01-01T00:00:00.000Z', until: null, by: 'root', ...overrides };
}

/** The rows activeRestrictions answers; a test may hold the answer back to act during a load. */
class FakeStore {
  rows: StoredRestriction[] = [];
  revocationRows: SessionRevocation[] = [];
  gate?: Promise<void>;

  async activeRestrictions(): Promise<StoredRestriction[]> {
    const rows = [...this.rows];
    await this.gate;
    return rows;
  }

  async revocations(): Promise<SessionRevocation[]> {
    return [...this.revocationRows];
  }
}

describe('ModerationSync', () => {
  let store: FakeStore;
  let restrictions: RoomRestrictions;
  let revocations: SessionRevocations;
  let emitter: FakeChatEmitter;
  let subscriber: EventEmitter;
  let sync: ModerationSync;

  beforeEach(() => {
    store = new FakeStore();
    restrictions = new RoomRestrictions();
    revocations = new SessionRevocations();
    emitter = new FakeChatEmitter();
    subscriber = new EventEmitter();
    const redis = { subscriber } as unknown as RedisConnections;
    sync = new ModerationSync(store as unknown as ModerationStore, restrictions, revocations, emitter.asEmitter(), redis);
  });

  afterEach(() => {
    sync.onApplicationShutdown();
    jest.useRealTimers();
  });

  describe('publish', () => {
    it('applies a ban here (memory, then sockets), then waits for every other node', async () => {
      await sync.onApplicationBootstrap();
      let answer!: (count: number) => void;
      emitter.answerNodes = () => new Promise((resolve) => (answer = resolve));
      const notice: ModerationNotice = { type: 'restrict', kind: 'ban', restriction: restriction({ reason: 'spam' }) };
      let published = false;
      const publishing = sync.publish(notice).then(() => (published = true));
      expect(restrictions.active('ban', 'lobby', 'ada')).toEqual(restriction({ reason: 'spam' }));
      expect(emitter.emits).toEqual([{ method: 'bannedHere', userId: 'ada', event: { room: 'lobby', reason: 'spam', until: null } }]);
      expect(emitter.notified).toEqual([notice]);
      await Promise.resolve();
      expect(published).toBe(false);
      answer(2);
      await publishing;
      expect(published).toBe(true);
    });

    it('tells a mute and its lift to the sockets here; a lifted ban is told nothing', async () => {
      await sync.onApplicationBootstrap();
      await sync.publish({ type: 'restrict', kind: 'mute', restriction: restriction() });
      await sync.publish({ type: 'lift', kind: 'mute', room: 'lobby', userId: 'ada' });
      await sync.publish({ type: 'restrict', kind: 'ban', restriction: restriction({ userId: 'bob' }) });
      await sync.publish({ type: 'lift', kind: 'ban', room: 'lobby', userId: 'bob' });
      expect(emitter.take()).toEqual(['mutedHere:ada:lobby', 'unmutedHere:ada:lobby', 'bannedHere:bob:lobby']);
      expect(restrictions.size).toBe(0);
    });

    it('resolves when another node did not confirm (it catches up when it reconnects)', async () => {
      await sync.onApplicationBootstrap();
      emitter.answerNodes = () => Promise.reject(new Error('operation has timed out'));
      const warn = jest.spyOn(Logger.prototype, 'warn');
      await sync.publish({ type: 'restrict', kind: 'ban', restriction: restriction() });
      expect(restrictions.active('ban', 'lobby', 'ada')).toBeDefined();
      expect(warn).toHaveBeenCalledWith(
        expect.objectContaining({ notice: 'restrict' }),
        expect.stringContaining('not every node confirmed'),
      );
      warn.mockRestore();
    });

    it('applies a revocation to memory', async () => {
      await sync.onApplicationBootstrap();
      const revocation = { userId: 'ada', revokedAt: '2030-01-01T00:00:00.000Z', blockedUntil: null };
      await sync.publish({ type: 'revoke', revocation });
      expect(revocations.get('ada')).toEqual(revocation);
      expect(emitter.emits).toEqual([]);
    });
  });

  it("applies another node's notice through the emitter's handler", async () => {
    await sync.onApplicationBootstrap();
    await emitter.noticeHandler!({ type: 'restrict', kind: 'mute', restriction: restriction({ userId: 'bob' }) });
    expect(restrictions.active('mute', 'lobby', 'bob')).toBeDefined();
    expect(emitter.take()).toEqual(['mutedHere:bob:lobby']);
    expect(emitter.notified).toEqual([]);
  });

  describe('reload', () => {
    it('loads everything at start without telling sockets what they were told before', async () => {
      store.rows = [{ kind: 'ban', ...restriction() }];
      store.revocationRows = [{ userId: 'bob', revokedAt: '2030-01-01T00:00:00.000Z', blockedUntil: null }];
      await sync.onApplicationBootstrap();
      expect(restrictions.active('ban', 'lobby', 'ada')).toBeDefined();
      expect(revocations.get('bob')).toBeDefined();
      expect(emitter.emits).toEqual([]);
    });

    it('after a reconnect, tells new and replaced restrictions, unmutes vanished mutes, leaves the rest alone', async () => {
      const kept = { kind: 'ban' as const, ...restriction({ userId: 'kept' }) };
      const replaced = { kind: 'mute' as const, ...restriction({ userId: 'again' }) };
      store.rows = [
        kept,
        replaced,
        { kind: 'mute', ...restriction({ userId: 'lifted' }) },
        { kind: 'ban', ...restriction({ userId: 'unbanned' }) },
      ];
      await sync.onApplicationBootstrap();
      store.rows = [
        kept,
        { ...replaced, createdAt: '2030-01-02T00:00:00.000Z', reason: 'again' },
        { kind: 'ban', ...restriction({ userId: 'new', room: 'other' }) },
      ];
      await sync.reload();
      expect(emitter.take().sort()).toEqual(['bannedHere:new:other', 'mutedHere:again:lobby', 'unmutedHere:lifted:lobby']);
      expect(restrictions.active('ban', 'lobby', 'unbanned')).toBeUndefined();
      expect(restrictions.active('mute', 'lobby', 'again')?.reason).toBe('again');
    });

    it('reloads when the Redis subscriber is ready again', async () => {
      await sync.onApplicationBootstrap();
      store.rows = [{ kind: 'ban', ...restriction() }];
      subscriber.emit('ready');
      await new Promise((resolve) => setImmediate(resolve));
      expect(restrictions.active('ban', 'lobby', 'ada')).toBeDefined();
      expect(emitter.take()).toEqual(['bannedHere:ada:lobby']);
    });

    it('applies again, on top of what the load read, the notices that arrived during the load', async () => {
      await sync.onApplicationBootstrap();
      let open!: () => void;
      store.gate = new Promise((resolve) => (open = resolve));
      store.rows = [{ kind: 'mute', ...restriction({ userId: 'bob' }) }];
      const reloading = sync.reload();
      await emitter.noticeHandler!({ type: 'restrict', kind: 'ban', restriction: restriction() });
      await emitter.noticeHandler!({ type: 'lift', kind: 'mute', room: 'lobby', userId: 'bob' });
      open();
      await reloading;
      expect(restrictions.list().map((r) => `${r.kind}:${r.userId}`)).toEqual(['ban:ada']);
    });

    it('does not tell sockets while the socket server is not attached', async () => {
      await sync.onApplicationBootstrap();
      emitter.attached = false;
      store.rows = [{ kind: 'ban', ...restriction() }];
      await sync.reload();
      expect(restrictions.active('ban', 'lobby', 'ada')).toBeDefined();
      expect(emitter.emits).toEqual([]);
    });
  });

  describe('ends', () => {
    it('unmutes the sockets here when a mute ends by itself; a ban that ends is dropped quietly', async () => {
      jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00.000Z') });
      await sync.onApplicationBootstrap();
      await sync.publish({ type: 'restrict', kind: 'mute', restriction: restriction({ until: '2030-01-01T00:00:02.000Z' }) });
      await sync.publish({ type: 'restrict', kind: 'ban', restriction: restriction({ userId: 'bob', until: '2030-01-01T00:00:01.000Z' }) });
      emitter.take();
      jest.advanceTimersByTime(1_000);
      expect(restrictions.list().map((r) => r.userId)).toEqual(['ada']);
      expect(emitter.take()).toEqual([]);
      jest.advanceTimersByTime(1_000);
      expect(restrictions.size).toBe(0);
      expect(emitter.take()).toEqual(['unmutedHere:ada:lobby']);
    });

    it('arms the timer for the ends a load brings', async () => {
      jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00.000Z') });
      store.rows = [{ kind: 'mute', ...restriction({ until: '2030-01-01T00:00:05.000Z' }) }];
      await sync.onApplicationBootstrap();
      jest.advanceTimersByTime(4_999);
      expect(emitter.take()).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(emitter.take()).toEqual(['unmutedHere:ada:lobby']);
    });

    it('stops the timer at shutdown', async () => {
      jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00.000Z') });
      await sync.onApplicationBootstrap();
      await sync.publish({ type: 'restrict', kind: 'mute', restriction: restriction({ until: '2030-01-01T00:00:01.000Z' }) });
      emitter.take();
      sync.onApplicationShutdown();
      jest.advanceTimersByTime(5_000);
      expect(emitter.take()).toEqual([]);
    });
  });
});
