import { beforeEach, describe, expect, it } from '@jest/globals';
import { FakeChatClient } from '../../test/support/fake-chat-client.js';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { loadConfig } from '../config/app-config.js';
import { MemoryPresenceStore } from '../presence/memory-presence.store.js';
import { PresenceService } from '../presence/presence.service.js';
import { chatRoom } from '../rooms/room-names.js';
import { MemoryMessageStore } from './memory-message.store.js';
import { RoomRestrictions } from '../moderation/room-restrictions.js';
import { MessagesService } from './messages.service.js';

async function codeOf(action: Promise<unknown>): Promise<ErrorCode | undefined> {
  try {
    await action;
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
}

describe('MessagesService edits and deletions (memory store)', () => {
  let store: MemoryMessageStore;
  let messages: MessagesService;
  let restrictions: RoomRestrictions;

  beforeEach(() => {
    const config = loadConfig({});
    store = new MemoryMessageStore();
    restrictions = new RoomRestrictions();
    messages = new MessagesService(store, new PresenceService(new MemoryPresenceStore(), config), config, restrictions);
  });

  function restrict(kind: 'ban' | 'mute', userId: string, until: string | null = null): void {
    restrictions.put(kind, { room: 'lobby', userId, reason: 'flood', createdAt: new Date().toISOString(), until, by: 'root' });
  }

  async function refusalOf(action: Promise<unknown>): Promise<[ErrorCode, string]> {
    try {
      await action;
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      return [(error as AppError).code, (error as AppError).message];
    }
    throw new Error('expected a refusal');
  }

  function inRoom(userId: string, options: { isAdmin?: boolean; allowedRooms?: string[] } = {}): FakeChatClient {
    const client = new FakeChatClient(userId, options);
    client.join(chatRoom('lobby'));
    return client;
  }

  it('lets the author edit from a joined socket; the same text again changes nothing', async () => {
    const ada = inRoom('ada');
    const { message: sent } = await messages.sendToRoom(ada, { room: 'lobby', text: 'helo' });
    const edited = await messages.edit(ada, { room: 'lobby', seq: sent.seq, text: 'hello' });
    expect(edited).toEqual({ message: { ...sent, text: 'hello', rev: 2, editedAt: expect.any(String) }, changed: true });
    expect(await messages.edit(ada, { room: 'lobby', seq: sent.seq, text: 'hello' })).toEqual({ message: edited.message, changed: false });
    expect(await store.roomState('lobby')).toEqual({ lastSeq: 1, rev: 2 });
  });

  it('refuses an edit by another user, from a socket outside the room, and of a missing or deleted message', async () => {
    const ada = inRoom('ada');
    const { message } = await messages.sendToRoom(ada, { room: 'lobby', text: 'hi' });
    await expect(codeOf(messages.edit(inRoom('bob'), { room: 'lobby', seq: 1, text: 'mine now' }))).resolves.toBe(ErrorCode.FORBIDDEN);
    await expect(codeOf(messages.edit(inRoom('bob', { isAdmin: true }), { room: 'lobby', seq: 1, text: 'x' }))).resolves.toBe(
      ErrorCode.FORBIDDEN,
    );
    await expect(codeOf(messages.edit(new FakeChatClient('ada'), { room: 'lobby', seq: 1, text: 'x' }))).resolves.toBe(ErrorCode.FORBIDDEN);
    await expect(codeOf(messages.edit(ada, { room: 'lobby', seq: 2, text: 'x' }))).resolves.toBe(ErrorCode.NOT_FOUND);
    await messages.delete(ada, { room: 'lobby', seq: 1 });
    await expect(codeOf(messages.edit(ada, { room: 'lobby', seq: 1, text: 'back' }))).resolves.toBe(ErrorCode.NOT_FOUND);
    expect(await store.roomMessage('lobby', 1)).toEqual({ ...message, text: '', rev: 2, deletedAt: expect.any(String) });
  });

  it('lets the author or an admin delete, without a joined socket; a tombstone again is returned unchanged', async () => {
    const ada = inRoom('ada');
    await messages.sendToRoom(ada, { room: 'lobby', text: 'one' });
    await messages.sendToRoom(ada, { room: 'lobby', text: 'two' });
    await expect(codeOf(messages.delete(new FakeChatClient('bob'), { room: 'lobby', seq: 1 }))).resolves.toBe(ErrorCode.FORBIDDEN);
    const byAuthor = await messages.delete(new FakeChatClient('ada'), { room: 'lobby', seq: 1 });
    expect(byAuthor).toMatchObject({ message: { seq: 1, text: '', rev: 3 }, changed: true });
    const byAdmin = await messages.delete(new FakeChatClient('root', { isAdmin: true }), { room: 'lobby', seq: 2 });
    expect(byAdmin).toMatchObject({ message: { seq: 2, text: '', rev: 4 }, changed: true });
    expect(await messages.delete(ada, { room: 'lobby', seq: 1 })).toEqual({ message: byAuthor.message, changed: false });
    expect(await messages.deleteAsAdmin({ room: 'lobby', seq: 2 })).toEqual({ message: byAdmin.message, changed: false });
    await expect(codeOf(messages.delete(ada, { room: 'lobby', seq: 3 }))).resolves.toBe(ErrorCode.NOT_FOUND);
    await expect(codeOf(messages.deleteAsAdmin({ room: 'lobby', seq: 3 }))).resolves.toBe(ErrorCode.NOT_FOUND);
  });

  it('refuses sends and edits of a muted user, saying until when, and lets them delete their own messages', async () => {
    const ada = inRoom('ada');
    await messages.sendToRoom(ada, { room: 'lobby', text: 'one' });
    const until = new Date(Date.now() + 60_000).toISOString();
    restrict('mute', 'ada', until);
    const muted: [ErrorCode, string] = [ErrorCode.FORBIDDEN, `you are muted in room lobby until ${until} (reason: flood)`];
    await expect(refusalOf(messages.sendToRoom(ada, { room: 'lobby', text: 'two' }))).resolves.toEqual(muted);
    await expect(refusalOf(messages.edit(ada, { room: 'lobby', seq: 1, text: 'uno' }))).resolves.toEqual(muted);
    await expect(messages.delete(ada, { room: 'lobby', seq: 1 })).resolves.toMatchObject({ changed: true });
    // Others in the room are not affected.
    await expect(messages.sendToRoom(inRoom('bob'), { room: 'lobby', text: 'hi' })).resolves.toMatchObject({ created: true });
    expect(await store.roomState('lobby')).toEqual({ lastSeq: 2, rev: 3 });
  });

  it('refuses sends and edits of a banned user before the joined check, and lets them delete their own messages', async () => {
    const ada = inRoom('ada');
    await messages.sendToRoom(ada, { room: 'lobby', text: 'one' });
    restrict('ban', 'ada');
    const banned: [ErrorCode, string] = [ErrorCode.FORBIDDEN, 'you are banned from room lobby until an admin lifts it (reason: flood)'];
    await expect(refusalOf(messages.sendToRoom(new FakeChatClient('ada'), { room: 'lobby', text: 'two' }))).resolves.toEqual(banned);
    await expect(refusalOf(messages.edit(ada, { room: 'lobby', seq: 1, text: 'uno' }))).resolves.toEqual(banned);
    await expect(messages.delete(ada, { room: 'lobby', seq: 1 })).resolves.toMatchObject({ changed: true });
  });

  it('lets a user send again once the mute has ended', async () => {
    restrict('mute', 'ada', new Date(Date.now() - 1).toISOString());
    await expect(messages.sendToRoom(inRoom('ada'), { room: 'lobby', text: 'back' })).resolves.toMatchObject({ created: true });
  });

  it('refuses deletions in reserved rooms and, for a socket, rooms outside its rooms claim', async () => {
    await messages.postSystemMessage('lobby', { text: 'hi' });
    await expect(codeOf(messages.deleteAsAdmin({ room: 'user:ada', seq: 1 }))).resolves.toBe(ErrorCode.FORBIDDEN);
    const limited = new FakeChatClient('root', { isAdmin: true, allowedRooms: ['team-*'] });
    await expect(codeOf(messages.delete(limited, { room: 'lobby', seq: 1 }))).resolves.toBe(ErrorCode.FORBIDDEN);
    expect((await store.roomMessage('lobby', 1))?.deletedAt).toBeUndefined();
  });
});
