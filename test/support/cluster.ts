import { Redis } from 'ioredis';
import { GatewayProcess } from './gateway-process.js';
import { createTestDatabase, REDIS_URL, uniqueName } from './services.js';

export const CLUSTER_ADMIN_KEY = 'cluster-admin-key';

export interface Cluster {
  nodes: GatewayProcess[];
  env: Record<string, string>;
  /** Starts one more node with the cluster's configuration. */
  addNode(nodeId: string, extraEnv?: Record<string, string>): Promise<GatewayProcess>;
  stop(): Promise<void>;
}

/** Several real gateway processes sharing one fresh PostgreSQL database and a Redis key prefix. */
export async function startCluster(size: number, extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const database = await createTestDatabase('chat_cluster');
  const prefix = uniqueName('test');
  // Over GatewayProcess's test environment, TEST_LIMITS among it.
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    ADMIN_API_KEY: CLUSTER_ADMIN_KEY,
    NODE_TTL_MS: '2000',
    SHUTDOWN_GRACE_MS: '2000',
    ...extraEnv,
  };
  const nodes: GatewayProcess[] = [];
  const addNode = async (nodeId: string, more: Record<string, string> = {}): Promise<GatewayProcess> => {
    const node = await GatewayProcess.start({ ...env, NODE_ID: nodeId, ...more });
    nodes.push(node);
    return node;
  };
  try {
    for (let i = 0; i < size; i += 1) await addNode(`node-${String.fromCharCode(97 + i)}`);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.kill()));
    await database.drop();
    throw error;
  }
  return {
    nodes,
    env,
    addNode,
    async stop() {
      await Promise.all(nodes.map((node) => node.kill()));
      await database.drop();
      await deleteRedisKeys(env.REDIS_URL ?? REDIS_URL, prefix);
    },
  };
}

/** Removes every key under a test's Redis prefix, so runs leave nothing behind. */
export async function deleteRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
