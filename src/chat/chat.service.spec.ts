import { describe, expect, it } from '@jest/globals';
import { FakeChatClient } from '../../test/support/fake-chat-client.js';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { chatRoom } from '../rooms/room-names.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { ChatService } from './chat.service.js';

const restrictions = new RoomRestrictions();
const service = new ChatService(restrictions);

function codeOf(action: () => unknown): ErrorCode | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
}

describe('ChatService', () => {
  describe('typing', () => {
    it('builds the typing event for a member of the room', () => {
      const ada = new FakeChatClient('ada');
      ada.join(chatRoom('lobby'));
      expect(service.typing(ada, { room: 'lobby', typing: true })).toEqual({
        room: 'lobby',
        user: { id: 'ada', name: 'ada' },
        typing: true,
      });
    });

    it('refuses a muted or banned user, saying so, and not the others in the room', () => {
      const ada = new FakeChatClient('ada');
      ada.join(chatRoom('quiet'));
      const restriction = { room: 'quiet', userId: 'ada', reason: null, createdAt: new Date().toISOString(), until: null, by: 'root' };
      restrictions.put('mute', restriction);
      expect(() => service.typing(ada, { room: 'quiet', typing: true })).toThrow('you are muted in room quiet until an admin lifts it');
      restrictions.put('ban', restriction);
      expect(() => service.typing(ada, { room: 'quiet', typing: true })).toThrow('you are banned from room quiet until an admin lifts it');
      expect(codeOf(() => service.typing(ada, { room: 'quiet', typing: false }))).toBe(ErrorCode.FORBIDDEN);
      const bob = new FakeChatClient('bob');
      bob.join(chatRoom('quiet'));
      expect(codeOf(() => service.typing(bob, { room: 'quiet', typing: true }))).toBeUndefined();
    });

    it('refuses a room the socket has not joined', () => {
      expect(codeOf(() => service.typing(new FakeChatClient('ada'), { room: 'lobby', typing: true }))).toBe(ErrorCode.FORBIDDEN);
    });

    it("refuses the socket's own reserved user room although the socket sits in it", () => {
      const ada = new FakeChatClient('ada');
      expect(ada.rooms.has('user:ada')).toBe(true);
      expect(codeOf(() => service.typing(ada, { room: 'user:ada', typing: true }))).toBe(ErrorCode.FORBIDDEN);
    });
  });

  describe('announce', () => {
    it('lets an admin connection announce', () => {
      const root = new FakeChatClient('root', { isAdmin: true });
      const announcement = service.announce(root, { text: 'deploy' });
      expect(announcement).toEqual({
        id: expect.any(String),
        from: { id: 'root', name: 'root' },
        text: 'deploy',
        sentAt: expect.any(String),
      });
      expect(new Date(announcement.sentAt).toISOString()).toBe(announcement.sentAt);
    });

    it('refuses a non-admin connection', () => {
      expect(codeOf(() => service.announce(new FakeChatClient('ada'), { text: 'hi' }))).toBe(ErrorCode.FORBIDDEN);
    });

    it('sends system announcements from the system user with unique ids', () => {
      const first = service.systemAnnouncement({ text: 'one' });
      const second = service.systemAnnouncement({ text: 'two' });
      expect(first.from).toEqual({ id: 'system', name: 'system' });
      expect(first.id).not.toBe(second.id);
    });
  });
});
