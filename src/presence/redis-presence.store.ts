import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';
import type { User } from '../contract.js';
import { RedisConnections } from '../redis/redis-connections.js';
import {
  type ConnectResult,
  type DisconnectResult,
  type ExpiryListener,
  newOfflineToken,
  PresenceStore,
  type RoomSummary,
  type UserPage,
  type UserPageQuery,
  type UserSummary,
} from './presence-store.js';
import {
  CONNECT_SCRIPT,
  DISCONNECT_SCRIPT,
  JOIN_SCRIPT,
  LEAVE_EVERYWHERE_SCRIPT,
  LEAVE_SCRIPT,
  MEMBERS_SCRIPT,
  ONLINE_SCRIPT,
  RESTORE_OFFLINE_SCRIPT,
  ROOMS_SCRIPT,
  SETTLE_OFFLINE_SCRIPT,
  SWEEP_NODE_SCRIPT,
  USER_SCRIPT,
  USERS_PAGE_SCRIPT,
} from './redis-presence.scripts.js';

const SCRIPTS = {
  presenceConnect: CONNECT_SCRIPT,
  presenceDisconnect: DISCONNECT_SCRIPT,
  presenceSettleOffline: SETTLE_OFFLINE_SCRIPT,
  presenceRestoreOffline: RESTORE_OFFLINE_SCRIPT,
  presenceJoin: JOIN_SCRIPT,
  presenceLeave: LEAVE_SCRIPT,
  presenceLeaveEverywhere: LEAVE_EVERYWHERE_SCRIPT,
  presenceOnline: ONLINE_SCRIPT,
  presenceMembers: MEMBERS_SCRIPT,
  presenceRooms: ROOMS_SCRIPT,
  presenceUser: USER_SCRIPT,
  presenceUsersPage: USERS_PAGE_SCRIPT,
  presenceSweepNode: SWEEP_NODE_SCRIPT,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type RawDisconnect = [string, string, number, string[], string?];
type RawUser = [string, string, number, string[]];
type RawUserPage = [RawUser[], string | null];
type RawSweep = [RawDisconnect[], number];
type RawLeaveEverywhere = [number, string[]];
const SWEEP_BATCH = 500;
const RESYNC_RETRY_MS = 2000;

/** What this node registered, kept to re-register after Redis lost or missed it. */
interface LocalSocket {
  user: User;
  rooms: Set<string>;
}

/** A pending offline this node owes, kept to put it back after Redis lost it. */
interface LocalPendingOffline {
  token: string;
  name: string;
}

function toDisconnectResult([id, name, last, leftRooms, pendingOffline]: RawDisconnect): DisconnectResult {
  const result: DisconnectResult = { user: { id, name }, lastConnection: last === 1, leftRooms };
  if (pendingOffline) result.pendingOffline = pendingOffline;
  return result;
}

function toUserSummary([id, name, connections, rooms]: RawUser): UserSummary {
  return { id, name, connections, rooms: [...rooms].sort() };
}

/**
 * Cluster-wide presence in Redis. Each node heartbeats a key with a TTL; a node whose key has
 * expired on two consecutive sweeps is considered dead and its sockets are removed by whichever
 * node runs the idempotent sweep script first, which then announces the departures.
 * When the connection to Redis comes back, the node re-registers its own sockets and pending
 * offlines, and removes entries of sockets that closed while Redis was unreachable.
 * A pending offline (PRESENCE_GRACE_MS) is owed by the node whose socket closed; if that node
 * dies or stops before settling it, the sweep of that node settles it (offline at once).
 */
@Injectable()
export class RedisPresenceStore extends PresenceStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RedisPresenceStore.name);
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly local = new Map<string, LocalSocket>();
  /** user id -> the pending offline this node owes; one per user at most. */
  private readonly localPending = new Map<string, LocalPendingOffline>();
  private readonly suspects = new Set<string>();
  private expiryListener?: ExpiryListener;
  private timers: NodeJS.Timeout[] = [];
  private lostConnection = false;

  constructor(
    connections: RedisConnections,
    private readonly config: AppConfig,
  ) {
    super();
    if (!connections.commands) throw new Error('RedisPresenceStore needs REDIS_URL');
    this.redis = connections.commands;
    this.prefix = config.redisPrefix;
    for (const [name, lua] of Object.entries(SCRIPTS)) this.redis.defineCommand(name, { numberOfKeys: 0, lua });
    this.redis.on('close', () => {
      this.lostConnection = true;
    });
    this.redis.on('ready', () => {
      if (this.lostConnection) void this.resync();
      this.lostConnection = false;
    });
  }

  onApplicationBootstrap(): void {
    const ttl = this.config.nodeTtlMs;
    void this.heartbeat();
    this.timers = [
      setInterval(() => void this.heartbeat(), Math.floor(ttl / 3)).unref(),
      setInterval(() => void this.sweep(), Math.floor(ttl / 2) + Math.floor(Math.random() * 500)).unref(),
    ];
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
  }

  async connect(socketId: string, user: User): Promise<ConnectResult> {
    this.local.set(socketId, { user, rooms: new Set() });
    const first = await this.run<number>('presenceConnect', socketId, user.id, user.name, this.config.nodeId);
    return { firstConnection: first !== 0, resumed: first === 2 };
  }

  async disconnect(socketId: string, offlineGraceMs = 0): Promise<DisconnectResult | undefined> {
    this.local.delete(socketId);
    const markerTtl = offlineGraceMs > 0 ? this.markerTtlMs(offlineGraceMs) : 0;
    const raw = await this.run<RawDisconnect | null>(
      'presenceDisconnect',
      socketId,
      this.config.nodeId,
      String(markerTtl),
      newOfflineToken(),
    );
    if (!raw) return undefined;
    const result = toDisconnectResult(raw);
    if (result.pendingOffline !== undefined) {
      this.localPending.set(result.user.id, { token: result.pendingOffline, name: result.user.name });
    }
    return result;
  }

  async settleOffline(userId: string, token: string): Promise<boolean> {
    const due = await this.run<number>('presenceSettleOffline', this.config.nodeId, userId, token);
    if (this.localPending.get(userId)?.token === token) this.localPending.delete(userId);
    return due === 1;
  }

  async join(socketId: string, room: string): Promise<{ firstForUser: boolean }> {
    this.local.get(socketId)?.rooms.add(room);
    return { firstForUser: (await this.run<number>('presenceJoin', socketId, room)) === 1 };
  }

  async leave(socketId: string, room: string): Promise<{ lastForUser: boolean }> {
    this.local.get(socketId)?.rooms.delete(room);
    return { lastForUser: (await this.run<number>('presenceLeave', socketId, room)) === 1 };
  }

  /**
   * This node's record of its own sockets follows; another node's sockets leave its socket.io
   * room through the adapter and its record keeps the room until they close, which only matters
   * to a re-registration after a Redis outage (the room is registered again for them there).
   */
  async leaveRoomEverywhere(userId: string, room: string): Promise<{ wasIn: boolean }> {
    const [wasIn, socketIds] = await this.run<RawLeaveEverywhere>('presenceLeaveEverywhere', userId, room);
    for (const socketId of socketIds) this.local.get(socketId)?.rooms.delete(room);
    return { wasIn: wasIn === 1 };
  }

  async online(userIds: readonly string[]): Promise<boolean[]> {
    if (userIds.length === 0) return [];
    const flags = await this.run<number[]>('presenceOnline', ...userIds);
    return flags.map((flag) => flag === 1);
  }

  async roomMembers(room: string): Promise<User[]> {
    const flat = await this.run<string[]>('presenceMembers', room);
    const members: User[] = [];
    for (let i = 0; i < flat.length; i += 2) members.push({ id: flat[i]!, name: flat[i + 1]! });
    return members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async rooms(): Promise<RoomSummary[]> {
    const flat = await this.run<Array<string | number>>('presenceRooms');
    const rooms: RoomSummary[] = [];
    for (let i = 0; i < flat.length; i += 2) rooms.push({ name: String(flat[i]), memberCount: Number(flat[i + 1]) });
    return rooms;
  }

  async users({ after, limit }: UserPageQuery): Promise<UserPage> {
    const [users, next] = await this.run<RawUserPage>('presenceUsersPage', after ?? '', String(limit));
    return { users: users.map(toUserSummary), next: next ?? null };
  }

  async user(id: string): Promise<UserSummary | undefined> {
    const raw = await this.run<RawUser | null>('presenceUser', id);
    return raw ? toUserSummary(raw) : undefined;
  }

  async connectionCount(userId: string): Promise<number> {
    return this.redis.scard(this.userKey(userId, 'socks'));
  }

  async connectedName(userId: string): Promise<string | undefined> {
    // The name key lives exactly as long as the user has a socket (the disconnect script drops it).
    return (await this.redis.get(this.userKey(userId, 'name'))) ?? undefined;
  }

  onExpired(listener: ExpiryListener): void {
    this.expiryListener = listener;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }

  // The key layout the Lua scripts share (redis-presence.scripts.ts); braces keep a user's or a
  // node's keys in one cluster hash slot.
  private userKey(userId: string, field: 'socks' | 'name'): string {
    return `${this.prefix}:u{${userId}}:${field}`;
  }

  /**
   * The marker outlives the grace by a heartbeat TTL, so a busy owning node still settles it in
   * time. If the owner dies, a reconnect before the marker expires stays silent; a later one is
   * announced online again (harmless: nobody was told offline), and the sweep then owes nothing.
   */
  private markerTtlMs(graceMs: number): number {
    return graceMs + this.config.nodeTtlMs;
  }

  private nodeKey(node: string, field: 'alive' | 'socks'): string {
    return `${this.prefix}:n{${node}}:${field}`;
  }

  private nodesKey(): string {
    return `${this.prefix}:nodes`;
  }

  private run<T>(script: ScriptName, ...args: string[]): Promise<T> {
    const command = (this.redis as unknown as Record<ScriptName, (...a: string[]) => Promise<T>>)[script];
    return command.call(this.redis, this.prefix, ...args);
  }

  private async heartbeat(): Promise<void> {
    const node = this.config.nodeId;
    try {
      await this.redis.multi().set(this.nodeKey(node, 'alive'), '1', 'PX', this.config.nodeTtlMs).sadd(this.nodesKey(), node).exec();
    } catch (error) {
      this.logger.debug({ reason: (error as Error).message }, 'heartbeat skipped: Redis unreachable');
    }
  }

  /** A node is swept only after it was seen without heartbeat twice, so a reconnecting node is spared. */
  private async sweep(): Promise<void> {
    try {
      const nodes = await this.redis.smembers(this.nodesKey());
      for (const node of nodes) {
        if (node === this.config.nodeId) continue;
        const alive = (await this.redis.exists(this.nodeKey(node, 'alive'))) === 1;
        if (alive) this.suspects.delete(node);
        else if (!this.suspects.has(node)) this.suspects.add(node);
        else await this.sweepNode(node);
      }
    } catch (error) {
      this.logger.debug({ reason: (error as Error).message }, 'sweep skipped: Redis unreachable');
    }
  }

  /** Each batch removes up to SWEEP_BATCH sockets or pending offlines, so the loop ends. */
  private async sweepNode(node: string): Promise<void> {
    let swept = 0;
    for (;;) {
      const [raw, done] = await this.run<RawSweep>('presenceSweepNode', node, String(SWEEP_BATCH));
      const batch = raw.map(toDisconnectResult);
      swept += batch.length;
      if (batch.length > 0) this.expiryListener?.(batch);
      if (done === 1) break;
    }
    this.suspects.delete(node);
    if (swept > 0)
      this.logger.warn({ node, departures: swept }, 'removed the sockets and pending offlines of a node that stopped answering');
  }

  /** After an outage: drop what closed meanwhile, re-register what Redis lost. Idempotent. */
  private async resync(): Promise<void> {
    try {
      await this.heartbeat();
      const registered = await this.redis.smembers(this.nodeKey(this.config.nodeId, 'socks'));
      const gone: DisconnectResult[] = [];
      for (const socketId of registered) {
        if (this.local.has(socketId)) continue;
        // Closed while Redis was unreachable: its grace is long gone, the offline is due now.
        const raw = await this.run<RawDisconnect | null>('presenceDisconnect', socketId, this.config.nodeId, '0', '');
        if (raw) gone.push(toDisconnectResult(raw));
      }
      if (gone.length > 0) this.expiryListener?.(gone);
      for (const [socketId, { user, rooms }] of this.local) {
        await this.run('presenceConnect', socketId, user.id, user.name, this.config.nodeId);
        for (const room of rooms) await this.run('presenceJoin', socketId, room);
      }
      // The settle that follows each of these finds its entry again (or none, when not due any more).
      const ttl = String(this.markerTtlMs(this.config.presenceGraceMs));
      for (const [userId, { token, name }] of this.localPending) {
        const pending = await this.run<number>('presenceRestoreOffline', this.config.nodeId, userId, token, name, ttl);
        if (pending === 0) this.localPending.delete(userId);
      }
      this.logger.log(
        { sockets: this.local.size, removed: gone.length, pendingOffline: this.localPending.size },
        'presence re-synchronised after Redis reconnect',
      );
    } catch (error) {
      this.logger.warn({ reason: (error as Error).message }, 'presence re-synchronisation failed; retrying');
      setTimeout(() => void this.resync(), RESYNC_RETRY_MS).unref();
    }
  }
}
