import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { MemoryMessageStore } from '../../src/messages/memory-message.store.js';
import type { ChatStoreEngine } from '../../src/messages/message-store.factory.js';
import { SQLITE_MEMORY, SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { describeChatStateContract } from './support/chat-state-contract.js';
import { ADA, roomInput } from './support/message-store-contract.js';

// Store start-up lines would bury the test report.
Logger.overrideLogger(false);

describe('chat-state contract: memory', () => {
  describeChatStateContract({
    create: async () => new MemoryMessageStore(),
    close: async () => undefined,
  });
});

describe('chat-state contract: SQLite in memory', () => {
  describeChatStateContract({
    create: async () => {
      const store = new SqliteMessageStore({ location: SQLITE_MEMORY });
      store.open();
      return store;
    },
    close: (store) => (store as SqliteMessageStore).close(),
  });
});

describe('chat-state contract: SQLite file', () => {
  let dir: string;
  let files = 0;
  const locations = new WeakMap<ChatStoreEngine, string>();
  const openAt = (location: string): SqliteMessageStore => {
    const store = new SqliteMessageStore({ location });
    store.open();
    locations.set(store, location);
    return store;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-state-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeChatStateContract({
    create: async () => openAt(join(dir, `state-${(files += 1)}.db`)),
    close: (store) => (store as SqliteMessageStore).close(),
    reopen: async (store) => {
      await (store as SqliteMessageStore).close();
      return openAt(locations.get(store)!);
    },
    // A second connection reads the row as committed, past the store and its caches.
    rawText: async (store, room, seq) => {
      const db = new BetterSqlite3(locations.get(store)!, { readonly: true });
      try {
        return db.prepare<[string, number], string>('SELECT text FROM room_messages WHERE room = ? AND seq = ?').pluck().get(room, seq);
      } finally {
        db.close();
      }
    },
  });
});

describe('SQLite file: a deleted text leaves the file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-erase-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Past the row: not in a page's free space, nor in stale copies a page split left, nor in
  // freed overflow pages (a long text spans several).
  it('keeps no copy of a deleted text, or of the former text of an edit, in the database file', async () => {
    const location = join(dir, 'erase.db');
    const store = new SqliteMessageStore({ location });
    store.open();
    const short = 'short-secret-4f1c9a';
    const long = `long-secret-8b2e7d ${'x'.repeat(12_000)} long-secret-end-3a5c`;
    const former = `former-words-71c3e0 ${'z'.repeat(9_000)}`;
    const kept = 'kept-words-6d0b2f';
    const send = async (text: string): Promise<number> => (await store.appendRoomMessage(roomInput('erase', ADA, text))).message.seq;
    for (let i = 0; i < 10; i += 1) await send(`filler ${i} ${'y'.repeat(100)}`);
    const erased = [await send(short), await send(long)];
    const edited = await send(former);
    await send(kept);
    // Rows after them, so the page that held them splits and their cells move.
    for (let i = 0; i < 40; i += 1) await send(`filler ${i} ${'y'.repeat(100)}`);
    for (const seq of erased) {
      const change = await store.deleteRoomMessage({ room: 'erase', seq, authorId: ADA.id, deletedAt: '2030-05-02T00:00:00.000Z' });
      expect(change.outcome).toBe('changed');
    }
    const edit = await store.editRoomMessage({
      room: 'erase',
      seq: edited,
      authorId: ADA.id,
      text: 'redacted',
      editedAt: '2030-05-02T00:00:00.000Z',
    });
    expect(edit.outcome).toBe('changed');
    // Closing checkpoints the WAL into the file and removes it: the file is all there is.
    await store.close();
    const bytes = readFileSync(location);
    expect(bytes.includes(kept)).toBe(true);
    expect(bytes.includes(short)).toBe(false);
    expect(bytes.includes('long-secret-8b2e7d')).toBe(false);
    expect(bytes.includes('long-secret-end-3a5c')).toBe(false);
    expect(bytes.includes('former-words-71c3e0')).toBe(false);
    expect(bytes.includes('z'.repeat(100))).toBe(false);
  });
});
