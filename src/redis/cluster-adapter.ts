import { Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { ServerOptions } from 'socket.io';
import type { RedisConnections } from './redis-connections.js';

const logger = new Logger('ClusterAdapter');

/**
 * The socket.io adapter publishes without handling errors. While Redis is unreachable the
 * publisher rejects at once (no offline queue); this wrapper counts and logs the dropped
 * publishes so they never become unhandled rejections.
 */
function publishingSafely(client: Redis): Redis {
  let dropped = 0;
  const publish = (channel: string, message: string | Buffer): Promise<number> =>
    client.publish(channel, message).catch((error: Error) => {
      if (dropped++ % 1000 === 0) logger.warn({ dropped, reason: error.message }, 'cross-node publish dropped');
      return 0;
    });
  return new Proxy(client, {
    get(target, property) {
      if (property === 'publish') return publish;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** socket.io's Redis adapter when REDIS_URL is set; undefined keeps the in-memory adapter. */
export function clusterAdapter(redis: RedisConnections, keyPrefix: string): Partial<Pick<ServerOptions, 'adapter'>> {
  if (!redis.publisher || !redis.subscriber) return {};
  return { adapter: createAdapter(publishingSafely(redis.publisher), redis.subscriber, { key: `${keyPrefix}:io`, requestsTimeout: 3000 }) };
}
