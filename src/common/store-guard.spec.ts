import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { MemoryMessageStore } from '../messages/memory-message.store.js';
import { guardMessageStore, MESSAGE_STORE_MEMBERS, MessageStore } from '../messages/message-store.js';
import { MemoryPresenceStore } from '../presence/memory-presence.store.js';
import { guardPresenceStore, PRESENCE_STORE_MEMBERS, PresenceStore } from '../presence/presence-store.js';
import { AppError } from './app-error.js';
import { ErrorCode } from './error-code.js';
import { type StoreMembers, storeGuard } from './store-guard.js';

type Method = (...args: unknown[]) => unknown;
type AsyncMethod = (...args: unknown[]) => Promise<unknown>;

/** Arguments each member can be called with; the engine is stubbed, so only the count matters. */
const SOME_ARGS = ['a', 'b'];

/** Both provided stores: their guard, the member table it was built from, and an engine. */
const STORES = [
  {
    label: 'message store',
    token: MessageStore,
    guard: guardMessageStore,
    members: MESSAGE_STORE_MEMBERS,
    engine: () => new MemoryMessageStore(),
  },
  {
    label: 'presence store',
    token: PresenceStore,
    guard: guardPresenceStore,
    members: PRESENCE_STORE_MEMBERS,
    engine: () => new MemoryPresenceStore(),
  },
] as const;

/** Replaces one member of the engine with a mock. */
function stub<F extends Method>(engine: object, name: string): jest.Mock<F> {
  const mock = jest.fn<F>();
  Object.defineProperty(engine, name, { value: mock });
  return mock;
}

function call(target: object, name: string, ...args: unknown[]): unknown {
  return (target as Record<string, Method>)[name]!(...args);
}

describe('store guards', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  describe.each(STORES)('$label', ({ label, token, guard, members, engine: build }) => {
    const kinds = Object.entries(members as Record<string, 'async' | 'sync'>);
    const asyncMembers = kinds.filter(([, kind]) => kind === 'async').map(([name]) => name);
    const syncMembers = kinds.filter(([, kind]) => kind === 'sync').map(([name]) => name);

    it('stands in for the DI token: an instance of the abstract class with every member a method', () => {
      const guarded = guard(build() as never);
      expect(guarded).toBeInstanceOf(token);
      for (const name of Object.keys(members)) expect(typeof (guarded as unknown as Record<string, unknown>)[name]).toBe('function');
    });

    it.each(asyncMembers)('%s: hands the call on and answers what the engine answers', async (name) => {
      const engine = build();
      const guarded = guard(engine as never);
      const answer = { from: name };
      const mock = stub<AsyncMethod>(engine, name).mockResolvedValue(answer);
      await expect(call(guarded, name, ...SOME_ARGS)).resolves.toBe(answer);
      expect(mock.mock.calls).toEqual([SOME_ARGS]);
      expect(mock.mock.contexts[0]).toBe(engine);
    });

    it.each(asyncMembers)('%s: turns a rejection into UNAVAILABLE naming the store, logging the cause once', async (name) => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const engine = build();
      const cause = new Error('ECONNREFUSED 127.0.0.1:5432 password=hunter2');
      stub<AsyncMethod>(engine, name).mockRejectedValue(cause);
      const failure = call(guard(engine as never), name) as Promise<unknown>;
      await expect(failure).rejects.toBeInstanceOf(AppError);
      await failure.catch((error: AppError) => {
        expect(error.toBody()).toEqual({ code: ErrorCode.UNAVAILABLE, message: `${label} is unavailable, try again` });
      });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]).toEqual([{ err: cause, operation: name }, `${label} operation failed`]);
    });

    it.each(asyncMembers)('%s: turns a synchronous throw into a rejected UNAVAILABLE too', async (name) => {
      jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const engine = build();
      stub(engine, name).mockImplementation(() => {
        throw new TypeError('not a promise');
      });
      await expect(call(guard(engine as never), name)).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
    });

    // Only some stores have sync members (PresenceStore.onExpired).
    for (const name of syncMembers) {
      it(`${name}: goes straight to the engine, errors untouched`, () => {
        const engine = build();
        const mock = stub(engine, name).mockReturnValue('answer');
        expect(call(guard(engine as never), name, ...SOME_ARGS)).toBe('answer');
        expect(mock.mock.calls).toEqual([SOME_ARGS]);
        expect(mock.mock.contexts[0]).toBe(engine);
        const bug = new Error('bug');
        mock.mockImplementation(() => {
          throw bug;
        });
        expect(() => call(guard(engine as never), name)).toThrow(bug);
      });
    }
  });

  it('works on the real memory engines end to end', async () => {
    const messages = guardMessageStore(new MemoryMessageStore());
    const ada = { id: 'ada', name: 'Ada' };
    const sent = await messages.appendRoomMessage({ id: 'm1', room: 'lobby', from: ada, text: 'hi', sentAt: new Date(0).toISOString() });
    expect(sent).toMatchObject({ created: true, message: { seq: 1, text: 'hi' } });
    await expect(messages.lastSeq('lobby')).resolves.toBe(1);

    const engine = new MemoryPresenceStore();
    const presence = guardPresenceStore(engine);
    await expect(presence.connect('s1', ada)).resolves.toMatchObject({ firstConnection: true });
    await expect(presence.connectionCount('ada')).resolves.toBe(1);
    const onExpired = jest.spyOn(engine as PresenceStore, 'onExpired');
    const listener = (): void => undefined;
    presence.onExpired(listener);
    expect(onExpired).toHaveBeenCalledWith(listener);
  });

  it('maps an AppError from the engine like any other failure: a store speaks no client errors', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const engine = new MemoryMessageStore();
    jest.spyOn(engine, 'lastSeq').mockRejectedValue(AppError.notFound('nope'));
    await expect(guardMessageStore(engine).lastSeq('lobby')).rejects.toMatchObject({ code: ErrorCode.UNAVAILABLE });
  });

  it('builds the methods once per store interface, on the prototype', () => {
    const first = guardMessageStore(new MemoryMessageStore());
    const second = guardMessageStore(new MemoryMessageStore());
    expect(Object.getPrototypeOf(first)).toBe(Object.getPrototypeOf(second));
    expect(Object.hasOwn(first, 'appendRoomMessage')).toBe(false);
    expect(first.appendRoomMessage).toBe(second.appendRoomMessage);
    expect(first.appendRoomMessage.name).toBe('appendRoomMessage');
  });

  it('accepts only complete, correctly typed member tables (checked by the compiler)', () => {
    abstract class Example {
      abstract read(): Promise<number>;
      abstract listen(listener: () => void): void;
    }
    // @ts-expect-error `listen` is missing: a member added to the class must be added to its table.
    const missing: StoreMembers<Example> = { read: 'async' };
    // @ts-expect-error `listen` returns no promise, so it cannot be listed as guarded.
    const wrongKind: StoreMembers<Example> = { read: 'async', listen: 'async' };
    // @ts-expect-error `write` is not a member of the class.
    const unknown: StoreMembers<Example> = { read: 'async', listen: 'sync', write: 'async' };
    const complete: StoreMembers<Example> = { read: 'async', listen: 'sync' };
    expect([missing, wrongKind, unknown].length).toBe(3);
    expect(storeGuard(Example, 'example store', complete)).toBeInstanceOf(Function);
  });
});
