import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { MemoryMessageStore } from '../../src/messages/memory-message.store.js';
import type { MessageStore } from '../../src/messages/message-store.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { SQLITE_MEMORY, SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { ADA, describeMessageStoreContract, roomInput } from './support/message-store-contract.js';
import { describePostgres, TestSchema } from './support/postgres.js';

// Store start-up lines would bury the test report.
Logger.overrideLogger(false);

describe('MessageStore contract: memory', () => {
  describeMessageStoreContract({
    create: async () => new MemoryMessageStore(),
    close: async () => undefined,
  });
});

describe('MessageStore contract: SQLite in memory', () => {
  describeMessageStoreContract({
    create: async () => {
      const store = new SqliteMessageStore({ location: SQLITE_MEMORY });
      store.open();
      return store;
    },
    close: (store) => (store as SqliteMessageStore).close(),
  });
});

describe('MessageStore contract: SQLite file', () => {
  let dir: string;
  let files = 0;
  const locations = new WeakMap<MessageStore, string>();
  const openAt = (location: string): SqliteMessageStore => {
    const store = new SqliteMessageStore({ location });
    store.open();
    locations.set(store, location);
    return store;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-store-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeMessageStoreContract({
    create: async () => openAt(join(dir, `nested-${(files += 1)}`, 'chat.db')),
    close: (store) => (store as SqliteMessageStore).close(),
    reopen: async (store) => {
      await (store as SqliteMessageStore).close();
      return openAt(locations.get(store)!);
    },
  });
});

describe('SQLite file store: two stores on one file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-store-shared-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // One gateway per file is the supported setup; a second writer must still not break seqs.
  it('keeps seq unique and gap-free when both append to one room in turn', async () => {
    const location = join(dir, 'chat.db');
    const first = new SqliteMessageStore({ location });
    const second = new SqliteMessageStore({ location });
    first.open();
    second.open();
    try {
      const seqs: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const writer = i % 3 === 0 ? second : first;
        seqs.push((await writer.appendRoomMessage(roomInput('shared', ADA, `m${i}`))).message.seq);
      }
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6]);
      await expect(first.lastSeq('shared')).resolves.toBe(6);
      await expect(second.lastSeq('shared')).resolves.toBe(6);
    } finally {
      await first.close();
      await second.close();
    }
  });
});

describePostgres('MessageStore contract: PostgreSQL', () => {
  let schema: TestSchema;
  const openStore = async (): Promise<PostgresMessageStore> => {
    const store = new PostgresMessageStore({ connectionString: schema.url });
    await store.open();
    return store;
  };

  beforeAll(async () => {
    schema = await TestSchema.create('contract');
  });
  afterAll(() => schema.drop());

  describeMessageStoreContract({
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
  });
});
