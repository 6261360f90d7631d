import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from '@jest/globals';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { MemoryMessageStore } from '../../src/messages/memory-message.store.js';
import type { ChatStoreEngine } from '../../src/messages/message-store.factory.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { SQLITE_MEMORY, SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { describeChatStateContract } from './support/chat-state-contract.js';
import { describePostgres, TestSchema } from './support/postgres.js';

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

describePostgres('chat-state contract: PostgreSQL', () => {
  let schema: TestSchema;
  const openStore = async (): Promise<PostgresMessageStore> => {
    const store = new PostgresMessageStore({ connectionString: schema.url });
    await store.open();
    return store;
  };

  beforeAll(async () => {
    schema = await TestSchema.create('chatstate_contract');
  });
  afterAll(() => schema.drop());

  describeChatStateContract({
    create: async () => {
      const store = await openStore();
      await schema.truncate();
      return store;
    },
    close: (store) => (store as PostgresMessageStore).close(),
    reopen: async (store) => {
      await (store as PostgresMessageStore).close();
      return openStore();
    },
    // The schema's own connection reads the committed row, past the store.
    rawText: async (_store, room, seq) => {
      const rows = await schema.query<{ text: string }>('SELECT text FROM room_messages WHERE room = $1 AND seq = $2', [room, seq]);
      return rows[0]?.text;
    },
  });
});
