import { afterEach, expect, it } from '@jest/globals';
import type { DirectMessage, DirectSendResult, Message, MessagePage, MessageSendResult } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { describeEachDurableDatabase } from './support/databases.js';

const ROOM = 'retry';

describeEachDurableDatabase('exactly-once sends by clientMsgId', (database) => {
  const clients: TestClient[] = [];
  const apps: RunningApp[] = [];

  afterEach(async () => {
    closeAll(clients.splice(0));
    for (const app of apps.splice(0)) await app.close();
  });

  async function start(databaseUrl: string): Promise<RunningApp> {
    const app = await startApp({ DATABASE_URL: databaseUrl });
    apps.push(app);
    return app;
  }

  async function stop(app: RunningApp): Promise<void> {
    closeAll(clients.splice(0));
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  }

  async function client(app: RunningApp, name: string, room?: string): Promise<TestClient> {
    const c = await connect(app.url, name);
    clients.push(c);
    if (room) await c.ok('room:join', { room, historyLimit: 0 });
    return c;
  }

  it('stores one row and emits one message:new per receiver, for concurrent retries and after a restart', async () => {
    const databaseUrl = await database.freshUrl();
    const first = await start(databaseUrl);
    const ada = await client(first, 'ada', ROOM);
    const adaOtherTab = await client(first, 'ada', ROOM);
    const bob = await client(first, 'bob', ROOM);
    const carol = await client(first, 'carol', ROOM);

    const payload = { room: ROOM, text: 'only once', clientMsgId: 'once-1' };
    const [a, b] = await Promise.all([
      ada.ok<MessageSendResult>('message:send', payload),
      ada.ok<MessageSendResult>('message:send', payload),
    ]);
    expect(a.message).toEqual(b.message);
    expect(a.message).toMatchObject({ seq: 1, clientMsgId: 'once-1', text: 'only once' });
    await Promise.all([ada, adaOtherTab, bob, carol].map((c) => c.barrier()));
    expect(bob.events('message:new')).toEqual([a.message]);
    expect(carol.events('message:new')).toEqual([a.message]);
    expect(adaOtherTab.events('message:new')).toEqual([a.message]);
    expect(ada.events('message:new')).toEqual([]);

    await stop(first);
    const second = await start(databaseUrl);
    const adaAgain = await client(second, 'ada', ROOM);
    const bobAgain = await client(second, 'bob', ROOM);
    const retry = await adaAgain.ok<MessageSendResult>('message:send', { ...payload, text: 'a retry carries the same id' });
    expect(retry.message).toEqual(a.message);
    await bobAgain.barrier();
    expect(bobAgain.events('message:new')).toEqual([]);

    const history = await bobAgain.ok<MessagePage<Message>>('room:history', { room: ROOM });
    expect(history).toEqual({ messages: [a.message], hasMore: false });
    const next = await adaAgain.ok<MessageSendResult>('message:send', { room: ROOM, text: 'next', clientMsgId: 'once-2' });
    expect(next.message.seq).toBe(2);
  });

  it('does the same for direct messages', async () => {
    const databaseUrl = await database.freshUrl();
    const first = await start(databaseUrl);
    const ada = await client(first, 'ada');
    const adaOtherTab = await client(first, 'ada');
    const bob = await client(first, 'bob');

    const payload = { to: 'bob', text: 'psst', clientMsgId: 'dm-1' };
    const [a, b] = await Promise.all([
      ada.ok<DirectSendResult>('message:direct', payload),
      ada.ok<DirectSendResult>('message:direct', payload),
    ]);
    expect(a.message).toEqual(b.message);
    expect(a.delivered).toBe(true);
    await Promise.all([ada, adaOtherTab, bob].map((c) => c.barrier()));
    expect(bob.events('message:direct')).toEqual([a.message]);
    expect(adaOtherTab.events('message:direct')).toEqual([a.message]);
    expect(ada.events('message:direct')).toEqual([]);

    await stop(first);
    const second = await start(databaseUrl);
    const adaAgain = await client(second, 'ada');
    const bobAgain = await client(second, 'bob');
    const retry = await adaAgain.ok<DirectSendResult>('message:direct', payload);
    expect(retry.message).toEqual(a.message);
    await bobAgain.barrier();
    expect(bobAgain.events('message:direct')).toEqual([]);
    const history = await bobAgain.ok<MessagePage<DirectMessage>>('direct:history', { with: 'ada' });
    expect(history).toEqual({ messages: [a.message], hasMore: false });
  });
});
