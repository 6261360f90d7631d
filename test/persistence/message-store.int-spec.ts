import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { MemoryMessageStore } from '../../src/messages/memory-message.store.js';
import { conversationKey, type MessageStore } from '../../src/messages/message-store.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { PG } from '../../src/messages/postgres-statements.js';
import { MESSAGE_OVERHEAD_BYTES } from '../../src/messages/reply-budget.js';
import { SQLITE_MEMORY, SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { ADA, BOB, describeMessageStoreContract, directInput, roomInput } from './support/message-store-contract.js';
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

describePostgres('PostgreSQL store: the byte budget is applied in the database', () => {
  let schema: TestSchema;
  let store: PostgresMessageStore;
  /** 1,000 bytes of text from Ada: counted 1,000 + 3 + the overhead. */
  const COUNTED = MESSAGE_OVERHEAD_BYTES + 1000 + 3;
  const EVERYTHING = Number.MAX_SAFE_INTEGER;

  beforeAll(async () => {
    schema = await TestSchema.create('budget');
    store = new PostgresMessageStore({ connectionString: schema.url });
    await store.open();
    for (let i = 0; i < 50; i += 1) await store.appendRoomMessage(roomInput('wide', ADA, 'w'.repeat(1000)));
    for (let i = 0; i < 50; i += 1) await store.appendDirectMessage(directInput(ADA, BOB, 'd'.repeat(1000)));
  });
  afterAll(async () => {
    await store.close();
    await schema.drop();
  });

  // What a page query hands to the gateway: the page and the first row left over, never the rest.
  it('sends the page plus one row, whatever the count allows', async () => {
    const roomPage = await schema.query(PG.roomPage.text, ['wide', EVERYTHING, 501, 3 * COUNTED]);
    expect(roomPage.map((row) => Number(row.seq))).toEqual([50, 49, 48, 47]);
    expect(roomPage.every((row) => row.reply_bytes === COUNTED)).toBe(true);
    const roomSince = await schema.query(PG.roomSince.text, ['wide', 10, 501, 3 * COUNTED]);
    expect(roomSince.map((row) => Number(row.seq))).toEqual([11, 12, 13, 14]);
    const roomSinceRev = await schema.query(PG.roomSinceRev.text, ['wide', 20, 501, 3 * COUNTED]);
    expect(roomSinceRev.map((row) => Number(row.rev))).toEqual([21, 22, 23, 24]);
    const direct = await schema.query(PG.directPage.text, [conversationKey('ada', 'bob'), EVERYTHING, 501, 2 * (COUNTED + 3)]);
    expect(direct).toHaveLength(3);
    // However small the budget: the first row (always taken) and the second (the hasMore probe).
    expect(await schema.query(PG.roomPage.text, ['wide', EVERYTHING, 501, 1])).toHaveLength(2);
    // The count still stops the read when the budget would allow more.
    expect(await schema.query(PG.roomPage.text, ['wide', EVERYTHING, 6, EVERYTHING])).toHaveLength(6);
  });
});
