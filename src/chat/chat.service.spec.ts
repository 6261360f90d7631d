import { describe, expect, it } from '@jest/globals';
import { FakeChatClient } from '../../test/support/fake-chat-client.js';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { chatRoom } from '../rooms/room-names.js';
import { ChatService } from './chat.service.js';

const service = new ChatService(loadConfig({ MAX_MESSAGE_LENGTH: '10' }));

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

    it('refuses a room the socket has not joined', () => {
      expect(codeOf(() => service.typing(new FakeChatClient('ada'), { room: 'lobby', typing: true }))).toBe(
        ErrorCode.FORBIDDEN,
      );
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

    it.each([['blank', '  \n '], ['too long', 'x'.repeat(11)]])('refuses %s text', (_label, text) => {
      expect(codeOf(() => service.announce(new FakeChatClient('root', { isAdmin: true }), { text }))).toBe(
        ErrorCode.VALIDATION_FAILED,
      );
    });

    it('counts the length as sent: padding counts, 10 characters with it are fine, 11 are not', () => {
      const root = new FakeChatClient('root', { isAdmin: true });
      const text = `  ${'x'.repeat(6)}  `;
      expect(service.announce(root, { text }).text).toBe(text);
      expect(codeOf(() => service.announce(root, { text: `x${' '.repeat(10)}` }))).toBe(ErrorCode.VALIDATION_FAILED);
      expect(codeOf(() => service.systemAnnouncement({ text: `${' '.repeat(10)}x` }))).toBe(ErrorCode.VALIDATION_FAILED);
    });

    it('sends system announcements from the system user with unique ids', () => {
      const first = service.systemAnnouncement({ text: 'one' });
      const second = service.systemAnnouncement({ text: 'two' });
      expect(first.from).toEqual({ id: 'system', name: 'system' });
      expect(first.id).not.toBe(second.id);
    });
  });
});
