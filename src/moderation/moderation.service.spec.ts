import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { FakeChatClient } from '../../test/support/fake-chat-client.js';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import type { MembershipsService } from '../memberships/memberships.service.js';
import type { PresenceService } from '../presence/presence.service.js';
import type { ModerationNotice } from './moderation-notice.js';
import type { ModerationStore, RestrictionPut, RestrictionRemoval, RoomRestrictionsQuery, StoredRestriction } from './moderation-store.js';
import type { ModerationSync } from './moderation-sync.js';
import { API_KEY_ACTOR, ModerationService } from './moderation.service.js';

const NOW = Date.parse('2030-01-01T00:00:00.000Z');

async function refusalOf(action: Promise<unknown>): Promise<[ErrorCode, string]> {
  try {
    await action;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return [(error as AppError).code, (error as AppError).message];
  }
  throw new Error('expected a refusal');
}

/** Records, in one list, the order of the writes, publishes and membership ends the service makes. */
class Recorder {
  readonly steps: string[] = [];
  readonly puts: RestrictionPut[] = [];
  readonly removals: RestrictionRemoval[] = [];
  readonly published: ModerationNotice[] = [];
  replaced = false;
  removed?: StoredRestriction;
  wasIn = false;
  pageRows: StoredRestriction[] = [];
  queries: RoomRestrictionsQuery[] = [];
  names = new Map<string, string>();

  readonly store = {
    putRestriction: async (put: RestrictionPut) => {
      this.steps.push(`put ${put.restriction.kind}`);
      this.puts.push(put);
      return { replaced: this.replaced };
    },
    removeRestriction: async (removal: RestrictionRemoval) => {
      this.steps.push(`remove ${removal.kind}`);
      this.removals.push(removal);
      return this.removed;
    },
    roomRestrictions: async (query: RoomRestrictionsQuery) => {
      this.queries.push(query);
      return this.pageRows.slice(0, query.limit);
    },
  } as unknown as ModerationStore;

  readonly sync = {
    publish: async (notice: ModerationNotice) => {
      this.steps.push(`publish ${notice.type}`);
      this.published.push(notice);
    },
  } as unknown as ModerationSync;

  readonly memberships = {
    forget: async (user: { id: string; name: string }, room: string) => {
      this.steps.push(`forget ${user.id} ${room}`);
      return { wasIn: this.wasIn };
    },
  } as unknown as MembershipsService;

  readonly presence = {
    connectedName: async (userId: string) => this.names.get(userId),
  } as unknown as PresenceService;
}

describe('ModerationService', () => {
  let recorder: Recorder;
  let service: ModerationService;

  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    recorder = new Recorder();
    service = new ModerationService(recorder.store, recorder.sync, recorder.memberships, recorder.presence);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('restrict', () => {
    it('commits a ban with its audit entry, publishes it, then ends the membership; member-left is due when the user was in', async () => {
      recorder.wasIn = true;
      recorder.names.set('mallory', 'Mallory');
      const outcome = await service.restrict('ban', { room: 'lobby', userId: 'mallory', reason: 'spam', seconds: 60 }, 'root');
      const ban = {
        room: 'lobby',
        userId: 'mallory',
        reason: 'spam',
        createdAt: '2030-01-01T00:00:00.000Z',
        until: '2030-01-01T00:01:00.000Z',
        by: 'root',
      };
      expect(outcome).toEqual({ restriction: ban, replaced: false, left: { id: 'mallory', name: 'Mallory' } });
      expect(recorder.steps).toEqual(['put ban', 'publish restrict', 'forget mallory lobby']);
      expect(recorder.puts).toEqual([
        {
          restriction: { kind: 'ban', ...ban },
          audit: {
            at: ban.createdAt,
            actor: 'root',
            action: 'ban',
            userId: 'mallory',
            room: 'lobby',
            details: { reason: 'spam', until: ban.until },
          },
        },
      ]);
      expect(recorder.published).toEqual([{ type: 'restrict', kind: 'ban', restriction: ban }]);
    });

    it('bans a user who was not in the room (or never seen) without member-left, named by id', async () => {
      const outcome = await service.restrict('ban', { room: 'lobby', userId: 'newcomer' }, API_KEY_ACTOR);
      expect(outcome).toEqual({
        restriction: {
          room: 'lobby',
          userId: 'newcomer',
          reason: null,
          createdAt: '2030-01-01T00:00:00.000Z',
          until: null,
          by: API_KEY_ACTOR,
        },
        replaced: false,
      });
    });

    it('tells when it replaced an active one', async () => {
      recorder.replaced = true;
      await expect(service.restrict('mute', { room: 'lobby', userId: 'ada' }, 'root')).resolves.toMatchObject({ replaced: true });
    });

    it('mutes without ending the membership', async () => {
      recorder.wasIn = true;
      const outcome = await service.restrict('mute', { room: 'lobby', userId: 'ada', seconds: 1 }, 'root');
      expect(outcome.left).toBeUndefined();
      expect(outcome.restriction.until).toBe('2030-01-01T00:00:01.000Z');
      expect(recorder.steps).toEqual(['put mute', 'publish restrict']);
      expect(recorder.puts[0]!.audit.action).toBe('mute');
    });

    it('refuses a reserved room before writing anything', async () => {
      await expect(refusalOf(service.restrict('ban', { room: 'user:ada', userId: 'ada' }, 'root'))).resolves.toEqual([
        ErrorCode.FORBIDDEN,
        'user:ada is a reserved room name',
      ]);
      expect(recorder.steps).toEqual([]);
    });
  });

  describe('socket events', () => {
    it('acts as the admin socket user, and refuses other sockets before writing anything', async () => {
      const admin = new FakeChatClient('root', { isAdmin: true });
      await expect(service.restrictBy(admin, 'mute', { room: 'lobby', userId: 'ada' })).resolves.toMatchObject({
        restriction: { by: 'root' },
      });
      const user = new FakeChatClient('ada');
      await expect(refusalOf(service.restrictBy(user, 'ban', { room: 'lobby', userId: 'bob' }))).resolves.toEqual([
        ErrorCode.FORBIDDEN,
        'room:ban needs an admin connection',
      ]);
      await expect(refusalOf(service.liftBy(user, 'mute', { room: 'lobby', userId: 'bob' }))).resolves.toEqual([
        ErrorCode.FORBIDDEN,
        'room:unmute needs an admin connection',
      ]);
      expect(recorder.steps).toEqual(['put mute', 'publish restrict']);
    });
  });

  describe('lift', () => {
    it('removes an active one with its audit entry, publishes the lift, and answers it without its kind', async () => {
      const ban = { room: 'lobby', userId: 'ada', reason: null, createdAt: '2029-12-31T00:00:00.000Z', until: null, by: 'root' };
      recorder.removed = { kind: 'ban', ...ban };
      await expect(service.lift('ban', 'lobby', 'ada', 'boss')).resolves.toEqual(ban);
      expect(recorder.steps).toEqual(['remove ban', 'publish lift']);
      expect(recorder.removals).toEqual([
        {
          kind: 'ban',
          room: 'lobby',
          userId: 'ada',
          now: '2030-01-01T00:00:00.000Z',
          audit: { at: '2030-01-01T00:00:00.000Z', actor: 'boss', action: 'unban', userId: 'ada', room: 'lobby', details: {} },
        },
      ]);
      expect(recorder.published).toEqual([{ type: 'lift', kind: 'ban', room: 'lobby', userId: 'ada' }]);
    });

    it('answers NOT_FOUND, publishing nothing, when there is no active one', async () => {
      await expect(refusalOf(service.lift('ban', 'lobby', 'ada', 'root'))).resolves.toEqual([
        ErrorCode.NOT_FOUND,
        'ada is not banned from room lobby',
      ]);
      await expect(refusalOf(service.lift('mute', 'lobby', 'ada', 'root'))).resolves.toEqual([
        ErrorCode.NOT_FOUND,
        'ada is not muted in room lobby',
      ]);
      expect(recorder.removals.map((removal) => removal.audit.action)).toEqual(['unban', 'unmute']);
      expect(recorder.published).toEqual([]);
    });
  });

  describe('list', () => {
    const row = (userId: string): StoredRestriction => ({
      kind: 'mute',
      room: 'lobby',
      userId,
      reason: null,
      createdAt: '2029-12-31T00:00:00.000Z',
      until: null,
      by: 'root',
    });

    it('reads one more than the page to tell whether a next page exists', async () => {
      recorder.pageRows = [row('a'), row('b'), row('c')];
      const page = await service.list('mute', 'lobby', { after: 'Z', limit: 2 });
      expect(page.items.map((item) => item.userId)).toEqual(['a', 'b']);
      expect(page.items[0]).not.toHaveProperty('kind');
      expect(page.next).toBe('b');
      expect(recorder.queries).toEqual([{ kind: 'mute', room: 'lobby', now: '2030-01-01T00:00:00.000Z', after: 'Z', limit: 3 }]);
      recorder.pageRows = [row('a'), row('b')];
      await expect(service.list('mute', 'lobby', { limit: 2 })).resolves.toMatchObject({ next: null });
    });
  });
});
