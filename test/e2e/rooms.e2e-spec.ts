import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { Message, RoomJoinResult } from '../../src/contract.js';
import { type RunningApp, startApp } from '../support/app.js';
import { closeAll, connect, type TestClient } from '../support/clients.js';

describe('rooms (e2e)', () => {
  let server: RunningApp;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    server = await startApp();
  });

  afterAll(async () => {
    closeAll(clients);
    await server.close();
  });

  async function client(name: string): Promise<TestClient> {
    const c = await connect(server.url, name);
    clients.push(c);
    return c;
  }

  it('delivers a room message to the other members exactly once', async () => {
    const ada = await client('ada');
    const bob = await client('bob');
    await ada.ok<RoomJoinResult>('room:join', { room: 'lobby' });
    await bob.ok<RoomJoinResult>('room:join', { room: 'lobby' });
    const { message } = await ada.ok<{ message: Message }>('message:send', { room: 'lobby', text: 'hello' });
    expect(message).toMatchObject({ room: 'lobby', seq: 1, from: { id: 'ada', name: 'ada' }, text: 'hello' });
    await expect(bob.waitFor('message:new')).resolves.toEqual(message);
    await Promise.all([ada.barrier(), bob.barrier()]);
    expect(bob.events('message:new')).toHaveLength(1);
    expect(ada.events('message:new')).toHaveLength(0);
    const res = await request(server.url).get('/rooms').expect(200);
    expect(res.body).toEqual({ rooms: [{ name: 'lobby', memberCount: 2 }] });
  });
});
