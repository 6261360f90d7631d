import { once } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/app-config.js';
import { RedisConnections } from '../../src/redis/redis-connections.js';
import type { DisconnectResult } from '../../src/presence/presence-store.js';
import { RedisPresenceStore } from '../../src/presence/redis-presence.store.js';
import { eventually, within } from '../support/wait.js';
import { describePresenceStoreContract, type PresenceStoreFixture } from '../support/presence-store.contract.js';
import { missingServices, REDIS_URL, uniqueName } from '../support/services.js';

const missing = await missingServices();
if (missing) process.stderr.write(`Redis presence tests skipped: ${missing}\n`);

interface Node {
  store: RedisPresenceStore;
  connections: RedisConnections;
}

async function startNode(prefix: string, nodeId: string, nodeTtlMs = 1000, env: Record<string, string> = {}): Promise<Node> {
  const config = loadConfig({
    REDIS_URL,
    REDIS_PREFIX: prefix,
    NODE_ID: nodeId,
    NODE_TTL_MS: String(nodeTtlMs),
    DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
    ...env,
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
      await eventually(() => heard[0]!.length + heard[1]!.length >= 2, 'the survivors have swept the dead node', 10_000);
      const all = [...heard[0]!, ...heard[1]!].sort((a, b) => (a.user.id < b.user.id ? -1 : 1));
      expect(all).toEqual([
        { user: { id: 'gone', name: 'Gone' }, lastConnection: true, leftRooms: ['lobby'] },
        { user: { id: 'stays', name: 'Stays' }, lastConnection: false, leftRooms: [] },
      ]);
      expect((await survivors[1]!.store.users({ limit: 10 })).users).toEqual([
        { id: 'stays', name: 'Stays', connections: 1, rooms: ['lobby'] },
      ]);
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
      await eventually(
        async () => (await node.store.users({ limit: 10 })).users.map((u) => u.id).join() === 'kept',
        'the node has re-synchronised its presence',
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
      expect((await node.store.users({ limit: 10 })).users).toEqual([{ id: 'kept', name: 'Kept', connections: 1, rooms: ['lobby'] }]);
      expect(await node.store.roomMembers('lobby')).toEqual([{ id: 'kept', name: 'Kept' }]);
      expect(heard).toHaveLength(1);
    } finally {
      await stopNode(node);
      await deletePrefix(prefix);
    }
  });
});

const GRACE_MS = 60_000;

/** Resolves once the survivors together have heard `count` expiry departures. */
async function heardAtLeast(heard: DisconnectResult[][], count: number, what: string): Promise<void> {
  await eventually(() => heard.flat().length >= count, what, 10_000);
}

(missing ? describe.skip : describe)('RedisPresenceStore: pending offlines across nodes', () => {
  it('lets a reconnect on another node cancel the pending offline, leaving nothing owed', async () => {
    const prefix = uniqueName('grace');
    const [a, b] = [await startNode(prefix, 'grace-a', 10_000), await startNode(prefix, 'grace-b', 10_000)];
    const redis = new Redis(REDIS_URL);
    try {
      await a.store.connect('a1', { id: 'ada', name: 'Ada' });
      const { pendingOffline } = (await a.store.disconnect('a1', GRACE_MS))!;
      expect(await redis.hkeys(`${prefix}:n{grace-a}:pending`)).toEqual(['ada']);
      expect(await redis.pttl(`${prefix}:u{ada}:offline`)).toBeGreaterThan(GRACE_MS);
      expect(await b.store.connect('b1', { id: 'ada', name: 'Ada' })).toEqual({ firstConnection: true, resumed: true });
      expect(await redis.exists(`${prefix}:n{grace-a}:pending`, `${prefix}:u{ada}:offline`)).toBe(0);
      expect(await a.store.settleOffline('ada', pendingOffline!)).toBe(false);
      // Leaving again from the other node: that node owes the offline now, and only it can settle it.
      const again = (await b.store.disconnect('b1', GRACE_MS))!.pendingOffline!;
      expect(await a.store.settleOffline('ada', again)).toBe(false);
      expect(await b.store.settleOffline('ada', again)).toBe(true);
      expect(await redis.exists(`${prefix}:n{grace-b}:pending`, `${prefix}:u{ada}:offline`)).toBe(0);
    } finally {
      redis.disconnect();
      await Promise.all([a, b].map((node) => stopNode(node)));
      await deletePrefix(prefix);
    }
  });

  it('settles the pending offlines of a node that died in the grace from another node, at once and once', async () => {
    const prefix = uniqueName('grace-sweep');
    const dying = await startNode(prefix, 'dying');
    const survivors = [await startNode(prefix, 'survivor-1'), await startNode(prefix, 'survivor-2')];
    const heard: DisconnectResult[][] = [[], []];
    survivors.forEach((node, i) => node.store.onExpired((results) => heard[i]!.push(...results)));
    const redis = new Redis(REDIS_URL);
    try {
      for (const id of ['gone', 'back', 'left-again']) {
        await dying.store.connect(`d-${id}`, { id, name: id.toUpperCase() });
        await dying.store.disconnect(`d-${id}`, GRACE_MS);
      }
      // `back` returns on a survivor; `left-again` returns and leaves again, so the survivor owes its offline.
      await survivors[0]!.store.connect('s-back', { id: 'back', name: 'BACK' });
      await survivors[0]!.store.connect('s-left', { id: 'left-again', name: 'LEFT-AGAIN' });
      const survivorToken = (await survivors[0]!.store.disconnect('s-left', GRACE_MS))!.pendingOffline!;
      // The dying node stops (as if killed) before its grace timers fire.
      await dying.store.onApplicationShutdown();
      await heardAtLeast(heard, 1, 'the survivors have swept the dead node');
      await eventually(async () => (await redis.sismember(`${prefix}:nodes`, 'dying')) === 0, 'the dead node is forgotten', 10_000);
      expect(heard.flat()).toEqual([{ user: { id: 'gone', name: 'GONE' }, lastConnection: true, leftRooms: [] }]);
      expect(await redis.exists(`${prefix}:n{dying}:pending`, `${prefix}:u{gone}:offline`)).toBe(0);
      expect(await survivors[0]!.store.settleOffline('left-again', survivorToken)).toBe(true);
    } finally {
      redis.disconnect();
      await Promise.all([dying, ...survivors].map((node) => stopNode(node)));
      await deletePrefix(prefix);
    }
  }, 20_000);

  it('puts its pending offlines back when Redis comes back empty', async () => {
    const prefix = uniqueName('grace-resync');
    const node = await startNode(prefix, 'resyncing', 10_000, { PRESENCE_GRACE_MS: String(GRACE_MS) });
    const commands = node.connections.commands!;
    const redis = new Redis(REDIS_URL);
    try {
      await node.store.connect('k1', { id: 'kept', name: 'Kept' });
      await node.store.connect('g1', { id: 'gone', name: 'Gone' });
      await node.store.connect('r1', { id: 'resumed', name: 'Resumed' });
      const gone = (await node.store.disconnect('g1', GRACE_MS))!.pendingOffline!;
      const resumed = (await node.store.disconnect('r1', GRACE_MS))!.pendingOffline!;
      await node.store.connect('r2', { id: 'resumed', name: 'Resumed' });
      await deletePrefix(prefix);
      const ended = once(commands, 'end');
      await commands.quit();
      await ended;
      await commands.connect();
      await eventually(async () => (await redis.exists(`${prefix}:u{gone}:offline`)) === 1, 'the node has put its pending offline back');
      expect(await redis.hkeys(`${prefix}:n{resyncing}:pending`)).toEqual(['gone']);
      expect(await node.store.settleOffline('resumed', resumed)).toBe(false);
      expect(await node.store.settleOffline('gone', gone)).toBe(true);
    } finally {
      redis.disconnect();
      await stopNode(node);
      await deletePrefix(prefix);
    }
  });
});

(missing ? describe.skip : describe)('RedisPresenceStore: bounded reads', () => {
  /** Every command Redis runs on this prefix's keys (script bodies included) while `action` runs. */
  async function commandsDuring(prefix: string, action: () => Promise<unknown>): Promise<string[][]> {
    const watcher = new Redis(REDIS_URL);
    const monitor = await watcher.monitor();
    const seen: string[][] = [];
    const sentinel = `${prefix}:sentinel:${Math.random()}`;
    let stopped = false;
    let sentinelSeen: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      sentinelSeen = resolve;
    });
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (stopped) return;
      if (args.includes(sentinel)) {
        stopped = true;
        sentinelSeen();
      } else if (args.some((arg) => arg.startsWith(prefix))) {
        seen.push(args);
      }
    });
    const client = new Redis(REDIS_URL);
    try {
      await action();
      // MONITOR reports in execution order: once the sentinel shows, everything before it has.
      await client.get(sentinel);
      await within(done, 'the monitor to see the sentinel');
      return seen;
    } finally {
      client.disconnect();
      monitor.disconnect();
      watcher.disconnect();
    }
  }

  it('reads one page of users with work bounded by the page, not by the users connected', async () => {
    const prefix = uniqueName('paging');
    const node = await startNode(prefix, 'paging-node', 10_000);
    const connectUsers = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i += 1) {
        const id = `user-${String(i).padStart(4, '0')}`;
        await node.store.connect(`s-${id}`, { id, name: id });
        await node.store.join(`s-${id}`, 'lobby');
      }
    };
    try {
      await connectUsers(0, 250);
      const firstPage = await commandsDuring(prefix, () => node.store.users({ limit: 100 }));
      const lastPage = await commandsDuring(prefix, () => node.store.users({ after: 'user-0199', limit: 100 }));
      const oneUser = await commandsDuring(prefix, () => node.store.user('user-0042'));
      await connectUsers(250, 1000);
      const firstPageOf1000 = await commandsDuring(prefix, () => node.store.users({ limit: 100 }));
      const middlePageOf1000 = await commandsDuring(prefix, () => node.store.users({ after: 'user-0499', limit: 100 }));
      const oneUserOf1000 = await commandsDuring(prefix, () => node.store.user('user-0042'));
      // The script call, one ZRANGEBYLEX of limit + 1 ids, three reads per user of the page.
      expect(firstPage).toHaveLength(2 + 3 * 100);
      expect(lastPage).toHaveLength(2 + 3 * 50);
      expect(firstPageOf1000).toHaveLength(firstPage.length);
      expect(middlePageOf1000).toHaveLength(firstPage.length);
      expect(oneUser).toHaveLength(4);
      expect(oneUserOf1000).toHaveLength(4);
      const range = firstPageOf1000.find((args) => args[0]?.toLowerCase() === 'zrangebylex');
      expect(range?.slice(-3)).toEqual(['LIMIT', '0', '101']);
    } finally {
      await stopNode(node);
      await deletePrefix(prefix);
    }
  }, 60_000);
});
