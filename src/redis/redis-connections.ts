import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import type { AppConfig } from '../config/app-config.js';

const CONNECT_TIMEOUT_MS = 5000;

/** host:port only: a Redis URL may carry a password, which never goes into a log or error. */
export function describeRedisUrl(url: string): string {
  try {
    const { hostname, port } = new URL(url);
    return `${hostname}:${port || 6379}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

/**
 * The node's Redis connections when REDIS_URL is set:
 * - `commands` fails fast while Redis is unreachable (no offline queue), so callers answer
 *   UNAVAILABLE instead of hanging;
 * - `publisher` drops publishes while unreachable (cross-node delivery pauses, local delivery goes
 *   on; clients catch up from history) instead of queueing stale broadcasts without bound;
 * - `subscriber` is put in subscribed mode by the socket.io adapter and resubscribes by itself.
 *
 * Built by `open`, which imports ioredis only when REDIS_URL is set: a single node carries no
 * Redis client code in its heap (docs/benchmarks.md: a smaller heap is shorter full GCs).
 */
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnections.name);
  readonly commands?: Redis;
  readonly publisher?: Redis;
  readonly subscriber?: Redis;
  private readonly target: string;

  static async open(config: AppConfig): Promise<RedisConnections> {
    if (!config.redisUrl) return new RedisConnections('');
    const { Redis: RedisClient } = await import('ioredis');
    return new RedisConnections(describeRedisUrl(config.redisUrl), { RedisClient, url: config.redisUrl });
  }

  private constructor(target: string, redis?: { RedisClient: typeof Redis; url: string }) {
    this.target = target;
    if (!redis) return;
    const base: RedisOptions = {
      connectTimeout: CONNECT_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(200 * attempt, 2000),
    };
    const connect = (role: string, options: RedisOptions): Redis =>
      this.watch(new redis.RedisClient(redis.url, { ...base, ...options, connectionName: `chat-gateway:${role}` }), role);
    this.commands = connect('commands', { enableOfflineQueue: false });
    this.publisher = connect('publisher', { enableOfflineQueue: false });
    this.subscriber = connect('subscriber', { enableOfflineQueue: true });
  }

  get enabled(): boolean {
    return this.commands !== undefined;
  }

  /** Resolves once every connection is ready; rejects with a message naming host:port only. */
  async ready(timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const client of this.clients()) {
      while (client.status !== 'ready') {
        if (Date.now() > deadline) throw new Error(`Redis at ${this.target} is unreachable`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.clients().map((client) => client.quit().catch(() => client.disconnect())));
  }

  private clients(): Redis[] {
    return [this.commands, this.publisher, this.subscriber].filter((c): c is Redis => c !== undefined);
  }

  /** Logs the first error of an outage and the recovery, not every reconnect attempt. */
  private watch(client: Redis, role: string): Redis {
    let down = false;
    client.on('error', (error: Error) => {
      if (!down) this.logger.warn({ role, target: this.target, reason: error.message }, 'Redis connection error');
      down = true;
    });
    client.on('ready', () => {
      if (down) this.logger.log({ role, target: this.target }, 'Redis connection restored');
      down = false;
    });
    return client;
  }
}
