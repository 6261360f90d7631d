import { afterEach, expect, it } from '@jest/globals';
import request from 'supertest';
import type {
  AuditPage,
  DirectMessage,
  DirectSendResult,
  ErasureResult,
  Message,
  MessagePage,
  MessageSendResult,
} from '../../src/contract.js';
import { ERASURE_STEP_MAX_MESSAGES } from '../../src/moderation/erasure-limits.js';
import { describeEachDurableDatabase } from '../persistence/support/databases.js';
import { detailFields } from '../support/acks.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';
import { tablesHolding } from '../support/stored-rows.js';
import { ADMIN_KEY, roomHistory } from '../support/suite.js';

const admin = { 'X-Api-Key': ADMIN_KEY };

/** A round trip on each client: every event the server emitted before is now recorded. */
async function settle(...clients: TestClient[]): Promise<void> {
  await Promise.all(clients.map((client) => client.barrier()));
}

async function send(client: TestClient, room: string, text: string): Promise<Message> {
  return (await client.ok<MessageSendResult>('message:send', { room, text })).message;
}

async function direct(client: TestClient, to: string, text: string): Promise<DirectMessage> {
  return (await client.ok<DirectSendResult>('message:direct', { to, text })).message;
}

function byRoomAndSeq(messages: Message[]): Message[] {
  return [...messages].sort((a, b) => a.room.localeCompare(b.room) || a.seq - b.seq);
}

/** What an erased message turns into: text gone, a new rev, deletedAt set. */
function expectTombstoneOf(tombstone: Message | undefined, original: Message): void {
  expect(tombstone).toEqual({ ...original, text: '', rev: expect.any(Number), deletedAt: expect.any(String) });
  expect(tombstone!.rev).toBeGreaterThan(original.rev);
}

describeEachDurableDatabase('erasure of a user’s messages (e2e)', (database) => {
  const clients: TestClient[] = [];
  const apps: RunningApp[] = [];

  afterEach(async () => {
    closeAll(clients.splice(0));
    for (const app of apps.splice(0)) await app.close();
  });

  async function start(): Promise<{ app: RunningApp; databaseUrl: string }> {
    const databaseUrl = await database.freshUrl();
    const app = await startApp({ DATABASE_URL: databaseUrl });
    apps.push(app);
    return { app, databaseUrl };
  }

  async function client(app: RunningApp, name: string): Promise<TestClient> {
    const connected = await connect(app.url, name);
    clients.push(connected);
    return connected;
  }

  async function erase(app: RunningApp, userId: string): Promise<ErasureResult> {
    return (await request(app.url).delete(`/users/${userId}/messages`).set(admin).expect(200)).body as ErasureResult;
  }

  it('turns every room message and direct message of the user into a tombstone, in the rows, in history and for joined sockets', async () => {
    const { app, databaseUrl } = await start();
    const mallory = await client(app, 'mallory');
    const ada = await client(app, 'ada');
    const bob = await client(app, 'bob');
    const outsider = await client(app, 'carol');
    for (const room of ['er-one', 'er-two', 'er-three']) await mallory.ok('room:join', { room });
    await ada.ok('room:join', { room: 'er-one' });
    await ada.ok('room:join', { room: 'er-two' });
    await bob.ok('room:join', { room: 'er-two' });

    const one = await send(mallory, 'er-one', 'erase-me one');
    const kept = await send(ada, 'er-one', 'ada keeps this');
    const draft = await send(mallory, 'er-one', 'erase-me draft');
    const { message: edited } = await mallory.ok<{ message: Message }>('message:edit', {
      room: 'er-one',
      seq: draft.seq,
      text: 'erase-me edited',
    });
    const gone = await send(mallory, 'er-two', 'erase-me already deleted');
    const { message: deleted } = await mallory.ok<{ message: Message }>('message:delete', { room: 'er-two', seq: gone.seq });
    const two = await send(mallory, 'er-two', 'erase-me two');
    // A room with none of the user's sockets and no listener: erased all the same.
    const three = await send(mallory, 'er-three', 'erase-me three');
    const toAda = await direct(mallory, 'ada', 'erase-me privately');
    const reply = await direct(ada, 'mallory', 'ada replies privately');
    const toBob = await direct(mallory, 'bob', 'erase-me to bob');
    await settle(mallory, ada, bob, outsider);
    const updatesBefore = [mallory, ada, bob, outsider].map((c) => c.events('message:updated').length);

    await expect(erase(app, 'mallory')).resolves.toEqual({ roomMessages: 4, directMessages: 2 });

    // The rows themselves: no table holds any of the erased texts; the others' messages stay.
    expect(await tablesHolding(databaseUrl, 'erase-me')).toEqual([]);
    expect(await tablesHolding(databaseUrl, 'ada keeps this')).toEqual(['room_messages']);
    expect(await tablesHolding(databaseUrl, 'ada replies privately')).toEqual(['direct_messages']);

    // Exactly one message:updated per erased room message, to the sockets in its room, and nothing else.
    await settle(mallory, ada, bob, outsider);
    const updatesOf = (c: TestClient, i: number): Message[] => byRoomAndSeq(c.events('message:updated').slice(updatesBefore[i]));
    // Sorted by room name, then seq.
    const [oneAfter, editedAfter, threeAfter, twoAfter] = updatesOf(mallory, 0);
    expect(updatesOf(mallory, 0)).toHaveLength(4);
    expectTombstoneOf(oneAfter, one);
    expectTombstoneOf(editedAfter, edited);
    expectTombstoneOf(twoAfter, two);
    expectTombstoneOf(threeAfter, three);
    expect(updatesOf(ada, 1)).toEqual([oneAfter, editedAfter, twoAfter]);
    expect(updatesOf(bob, 2)).toEqual([twoAfter]);
    expect(updatesOf(outsider, 3)).toEqual([]);

    // History: tombstones in place (a deletion made before is left as it was), others untouched.
    expect(await roomHistory(app.url, 'er-one')).toEqual([oneAfter, kept, editedAfter]);
    expect(await roomHistory(app.url, 'er-two')).toEqual([deleted, twoAfter]);
    expect(await roomHistory(app.url, 'er-three')).toEqual([threeAfter]);
    const dms = await ada.ok<MessagePage<DirectMessage>>('direct:history', { with: 'mallory' });
    expect(dms.messages).toEqual([{ ...toAda, text: '', deletedAt: expect.any(String) }, reply]);
    const bobDms = await bob.ok<MessagePage<DirectMessage>>('direct:history', { with: 'mallory' });
    expect(bobDms.messages).toEqual([{ ...toBob, text: '', deletedAt: dms.messages[0]!.deletedAt }]);

    // Idempotent: nothing is left to erase, nothing more goes out.
    await expect(erase(app, 'mallory')).resolves.toEqual({ roomMessages: 0, directMessages: 0 });
    await settle(mallory, ada, bob, outsider);
    expect([mallory, ada, bob, outsider].map((c) => c.events('message:updated').length)).toEqual(
      updatesBefore.map((count, i) => count + [4, 3, 1, 0][i]!),
    );

    // A send after the erasure is the user's again; a second erasure takes it too.
    const late = await send(mallory, 'er-one', 'erase-me late');
    await expect(erase(app, 'mallory')).resolves.toEqual({ roomMessages: 1, directMessages: 0 });
    expect((await roomHistory(app.url, 'er-one')).at(-1)).toMatchObject({ seq: late.seq, text: '', deletedAt: expect.any(String) });

    const audit = (await request(app.url).get('/audit').set(admin).expect(200)).body as AuditPage;
    expect(audit.next).toBeNull();
    expect(audit.entries.filter((entry) => entry.action === 'erase')).toEqual([
      entryOf({ roomMessages: 4, directMessages: 2 }),
      entryOf({ roomMessages: 0, directMessages: 0 }),
      entryOf({ roomMessages: 1, directMessages: 0 }),
    ]);
  });

  it(`erases more than one step holds (${ERASURE_STEP_MAX_MESSAGES} messages), each emitted once`, async () => {
    const { app, databaseUrl } = await start();
    const mallory = await client(app, 'mallory');
    const ada = await client(app, 'ada');
    await mallory.ok('room:join', { room: 'er-bulk' });
    await ada.ok('room:join', { room: 'er-bulk' });
    const count = ERASURE_STEP_MAX_MESSAGES + 20;
    const sent = await Promise.all(Array.from({ length: count }, (_, i) => send(mallory, 'er-bulk', `erase-me bulk ${i}`)));
    await send(ada, 'er-bulk', 'ada stays');
    await settle(mallory, ada);
    const before = ada.events('message:updated').length;

    await expect(erase(app, 'mallory')).resolves.toEqual({ roomMessages: count, directMessages: 0 });
    await settle(ada);
    const updates = ada.events('message:updated').slice(before);
    expect(updates.map((message) => message.seq).sort((a, b) => a - b)).toEqual(sent.map((message) => message.seq).sort((a, b) => a - b));
    expect(updates.every((message) => message.text === '' && message.deletedAt !== undefined)).toBe(true);
    expect(await tablesHolding(databaseUrl, 'erase-me')).toEqual([]);
    expect((await roomHistory(app.url, 'er-bulk')).filter((message) => message.text !== '')).toEqual([
      expect.objectContaining({ text: 'ada stays' }),
    ]);
  });

  it('refuses a malformed user id with 400 and details, answers 0/0 for a user never seen, and needs admin credentials', async () => {
    const { app } = await start();
    for (const id of ['bad%20id', 'x'.repeat(65), 'semi%3Bcolon']) {
      const res = await request(app.url).delete(`/users/${id}/messages`).set(admin).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(detailFields(res.body)).toEqual(['id']);
    }
    await request(app.url).delete('/users/ada/messages').expect(401);
    await request(app.url).delete('/users/ada/messages').set('X-Api-Key', 'wrong').expect(401);
    await expect(erase(app, 'never-seen')).resolves.toEqual({ roomMessages: 0, directMessages: 0 });
    const audit = (await request(app.url).get('/audit').set(admin).expect(200)).body as AuditPage;
    expect(audit.entries).toEqual([entryOf({ roomMessages: 0, directMessages: 0 }, 'never-seen')]);
  });
});

function entryOf(details: ErasureResult, userId = 'mallory'): Record<string, unknown> {
  return {
    id: expect.any(Number),
    at: expect.any(String),
    actor: 'admin-api-key',
    action: 'erase',
    userId,
    room: null,
    details,
  };
}
