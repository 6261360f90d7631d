import { once } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/app-config.js';
import { RedisConnections } from '../../src/redis/redis-connections.js';
import type { DisconnectResult } from '../../src/users/presence-store.js';
import { RedisPresenceStore } from '../../src/users/redis-presence.store.js';
import { within } from '../support/clients.js';
import { describePresenceStoreContract, type PresenceStoreFixture } from '../support/presence-store.contract.js';
import { missingServices, REDIS_URL, uniqueName } from '../support/services.js';

const missing = await missingServices();
if (missing) process.stderr.write(`Redis presence tests skipped: ${missing}\n`);

interface Node {
  store: RedisPresenceStore;
  connections: RedisConnections;
}

async function startNode(prefix: string, nodeId: string, nodeTtlMs = 1000): Promise<Node> {
  const config = loadConfig({
    REDIS_URL,
    REDIS_PREFIX: prefix,
    NODE_ID: nodeId,
    NODE_TTL_MS: String(nodeTtlMs),
    DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  });
  const connections = await RedisConnections.open(config);
  await connections.ready();
  const store = new RedisPresenceStore(connections, config);
  store.onApplicationBootstrap();
  return { store, connections };
}

async function stopNode({ store, connections }: Node): Promise<void> {
  await store.onApplicationShutdown();
  await connections.onApplicationShutdown();
}

async function deletePrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
}

async function redisFixture(): Promise<PresenceStoreFixture> {
  const prefix = uniqueName('presence');
  const node = await startNode(prefix, 'contract-node', 10_000);
  return {
    store: node.store,
    async dispose() {
      await stopNode(node);
      await deletePrefix(prefix);
    },
  };
}

if (!missing) describePresenceStoreContract('Redis', redisFixture);

(missing ? describe.skip : describe)('RedisPresenceStore across nodes', () => {
  it('sweeps the sockets of a node that stopped its heartbeat, once, from another node', async () => {
    const prefix = uniqueName('sweep');
    const dying = await startNode(prefix, 'dying');
    const survivors = [await startNode(prefix, 'survivor-1'), await startNode(prefix, 'survivor-2')];
    const heard: DisconnectResult[][] = [[], []];
    survivors.forEach((node, i) => node.store.onExpired((results) => heard[i]!.push(...results)));
    try {
      await dying.store.connect('d1', { id: 'gone', name: 'Gone' });
      await dying.store.join('d1', 'lobby');
      await survivors[0]!.store.connect('s1', { id: 'stays', name: 'Stays' });
      await survivors[0]!.store.join('s1', 'lobby');
      await dying.store.connect('d2', { id: 'stays', name: 'Stays' });
      // The dying node stops heartbeating (as if killed); its key expires after NODE_TTL_MS.
      await dying.store.onApplicationShutdown();
      await within(
        (async () => {
          while (heard[0]!.length + heard[1]!.length < 2) await new Promise((resolve) => setTimeout(resolve, 100));
        })(),
        'the survivors to sweep the dead node',
        10_000,
      );
      const all = [...heard[0]!, ...heard[1]!].sort((a, b) => (a.user.id < b.user.id ? -1 : 1));
      expect(all).toEqual([
        { user: { id: 'gone', name: 'Gone' }, lastConnection: true, leftRooms: ['lobby'] },
        { user: { id: 'stays', name: 'Stays' }, lastConnection: false, leftRooms: [] },
      ]);
      expect(await survivors[1]!.store.users()).toEqual([{ id: 'stays', name: 'Stays', connections: 1, rooms: ['lobby'] }]);
      expect(await survivors[1]!.store.roomMembers('lobby')).toEqual([{ id: 'stays', name: 'Stays' }]);
    } finally {
      await Promise.all([dying, ...survivors].map((node) => stopNode(node)));
      await deletePrefix(prefix);
    }
  }, 20_000);

  it('after a lost connection, drops sockets that closed meanwhile and re-registers what Redis forgot', async () => {
    const prefix = uniqueName('resync');
    const node = await startNode(prefix, 'resyncing', 10_000);
    const heard: DisconnectResult[] = [];
    node.store.onExpired((results) => heard.push(...results));
    const commands = node.connections.commands!;
    const cut = async (): Promise<void> => {
      const ended = once(commands, 'end');
      await commands.quit();
      await ended;
    };
    const reconnect = async (): Promise<void> => {
      await commands.connect();
      await within(
        (async () => {
          while ((await node.store.users()).map((u) => u.id).join() !== 'kept') await new Promise((resolve) => setTimeout(resolve, 50));
        })(),
        'the node to re-synchronise its presence',
      );
    };
    try {
      await node.store.connect('k1', { id: 'kept', name: 'Kept' });
      await node.store.join('k1', 'lobby');
      await node.store.connect('c1', { id: 'closed', name: 'Closed' });
      await node.store.join('c1', 'lobby');
      // A socket closes while Redis is unreachable: its removal fails and is made up for later.
      await cut();
      await expect(node.store.disconnect('c1')).rejects.toThrow();
      await reconnect();
      expect(heard).toEqual([{ user: { id: 'closed', name: 'Closed' }, lastConnection: true, leftRooms: ['lobby'] }]);
      // Redis restarts empty: the node registers its sockets again, silently.
      await deletePrefix(prefix);
      await cut();
      await reconnect();
      expect(await node.store.users()).toEqual([{ id: 'kept', name: 'Kept', connections: 1, rooms: ['lobby'] }]);
      expect(await node.store.roomMembers('lobby')).toEqual([{ id: 'kept', name: 'Kept' }]);
      expect(heard).toHaveLength(1);
    } finally {
      await stopNode(node);
      await deletePrefix(prefix);
    }
  });
});
