import { afterAll, beforeAll, expect, it } from '@jest/globals';
import pg from 'pg';
import { conversationKey } from '../../src/messages/message-store.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { newMessageId } from '../../src/messages/message-id.js';
import { eventually } from '../support/wait.js';
import { describePostgres, TestSchema } from './support/postgres.js';

/**
 * Direct messages page by an identity pk. Two inserts into one conversation on different
 * connections (two nodes, or two pool connections) must commit in pk order, or a page read
 * between the commits misses the earlier message for good.
 */
describePostgres('PostgreSQL direct messages commit in pk order per conversation', () => {
  let schema: TestSchema;
  let store: PostgresMessageStore;
  let other: pg.Client;

  beforeAll(async () => {
    schema = await TestSchema.create('dmorder');
    store = new PostgresMessageStore({ connectionString: schema.url });
    await store.open();
    other = new pg.Client({ connectionString: schema.url });
    await other.connect();
  });
  afterAll(async () => {
    await other.end();
    await store.close();
    await schema.drop();
  });

  const ada = { id: 'ada', name: 'Ada' };
  const bob = { id: 'bob', name: 'Bob' };
  const draft = (text: string) => ({ id: newMessageId(Date.now()), sentAt: new Date().toISOString(), from: ada, to: bob, text });

  /** Resolves once some backend waits on an advisory lock (the store's insert, queued behind ours). */
  async function aBackendWaitsForTheConversation(): Promise<void> {
    await eventually(
      async () => {
        const rows = await schema.query<{ waiting: number }>(
          "SELECT count(*)::int AS waiting FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
        );
        return rows[0]!.waiting > 0;
      },
      'the second insert waits for the first one to commit',
      undefined,
      20,
    );
  }

  it('holds a second insert until the first one commits, so pages never skip', async () => {
    // An insert of the same conversation that has its pk but has not committed yet.
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [conversationKey('ada', 'bob')]);
    const first = draft('first');
    await other.query(
      `INSERT INTO direct_messages (id, conversation, sender_id, sender_name, recipient_id, recipient_name, text, sent_at)
       VALUES ($1, $2, 'ada', 'Ada', 'bob', 'Bob', 'first', $3)`,
      [first.id, conversationKey('ada', 'bob'), first.sentAt],
    );

    const second = store.appendDirectMessage(draft('second'));
    // Settled below; without this a failure above would leave its rejection unhandled.
    second.catch((error: unknown) => error);
    await aBackendWaitsForTheConversation();
    // Had the second committed now, a reader would see it without the first, and page past it.
    expect((await store.directPage({ userA: 'bob', userB: 'ada', limit: 10 }))!.messages).toEqual([]);

    await other.query('COMMIT');
    await expect(second).resolves.toMatchObject({ created: true, message: { text: 'second' } });
    const page = await store.directPage({ userA: 'bob', userB: 'ada', limit: 10 });
    expect(page!.messages.map((m) => m.text)).toEqual(['first', 'second']);
  });
});
