import { randomUUID } from 'node:crypto';
import { afterEach, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { loadConfig } from '../../src/config/app-config.js';
import type { DirectMessage, Message, MessagePage } from '../../src/contract.js';
import { createMessageStore } from '../../src/messages/message-store.factory.js';
import { PostgresMessageStore } from '../../src/messages/postgres-message.store.js';
import { SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { eventually } from '../support/wait.js';
import { describeEachDurableDatabase } from './support/databases.js';

Logger.overrideLogger(false);
const ROOM = 'aged';
const LONG_AGO = '2001-01-01T00:00:00.000Z';
const ada = { id: 'ada', name: 'ada' };
const bob = { id: 'bob', name: 'bob' };

/** Writes straight into the database, with timestamps no client could send. */
async function seed(databaseUrl: string): Promise<void> {
  const store = await createMessageStore(loadConfig({ DATABASE_URL: databaseUrl }));
  if (!(store instanceof SqliteMessageStore || store instanceof PostgresMessageStore)) throw new Error('expected a durable store');
  await store.open();
  const now = new Date().toISOString();
  for (const [text, sentAt] of [
    ['old 1', LONG_AGO],
    ['old 2', LONG_AGO],
    ['old 3', LONG_AGO],
    ['new 4', now],
    ['new 5', now],
  ]) {
    await store.appendRoomMessage({ id: randomUUID(), room: ROOM, from: ada, text: text!, sentAt: sentAt! });
  }
  await store.appendDirectMessage({ id: randomUUID(), from: ada, to: bob, text: 'old dm', sentAt: LONG_AGO });
  await store.appendDirectMessage({ id: randomUUID(), from: ada, to: bob, text: 'new dm', sentAt: now });
  await store.close();
}

describeEachDurableDatabase('HISTORY_RETENTION_DAYS', (database) => {
  let app: RunningApp | undefined;
  const clients: TestClient[] = [];

  afterEach(async () => {
    closeAll(clients.splice(0));
    await app?.close();
  });

  it('prunes older messages at start, keeping recent ones and the room seq', async () => {
    const databaseUrl = await database.freshUrl();
    await seed(databaseUrl);
    app = await startApp({ DATABASE_URL: databaseUrl, HISTORY_RETENTION_DAYS: '30' });
    const roomTexts = async (): Promise<string[]> => {
      const res = await request(app!.url).get(`/rooms/${ROOM}/messages`).expect(200);
      return (res.body as MessagePage<Message>).messages.map((m) => m.text);
    };
    await eventually(async () => (await roomTexts()).length === 2, 'the start-up prune is done', undefined, 50);
    expect(await roomTexts()).toEqual(['new 4', 'new 5']);
    await request(app.url)
      .get(`/rooms/${ROOM}`)
      .expect(200)
      .expect((res) => expect(res.body.lastSeq).toBe(5));
    const reader = await connect(app.url, 'bob');
    clients.push(reader);
    const dms = await reader.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ada' });
    expect(dms.messages.map((m) => m.text)).toEqual(['new dm']);
  });
});
