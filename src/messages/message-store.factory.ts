import type { AppConfig } from '../config/app-config.js';
import type { MembershipStore } from '../memberships/membership-store.js';
import type { MessageStore } from './message-store.js';
import type { ModerationStore } from '../moderation/moderation-store.js';
import { SqliteMessageStore } from './sqlite-message.store.js';

/**
 * Picks the durable store DATABASE_URL names. Only builds it: the store connects and migrates
 * in onModuleInit, so an unreachable database fails app.listen() with a plain message instead
 * of a stack from the injector. (The memory store is for unit tests and is never chosen here.)
 * The PostgreSQL store and its driver are imported only when named: the embedded default then
 * carries no pg code in its heap (docs/benchmarks.md: a smaller heap is shorter full GCs).
 */
/**
 * An engine stores messages, memberships and moderation together: a send moves the sender's marker
 * in its own transaction, an erasure tombstones messages as deletions do.
 */
export type ChatStoreEngine = MessageStore & MembershipStore & ModerationStore;

export async function createMessageStore(config: AppConfig): Promise<ChatStoreEngine> {
  const { kind, location } = config.database;
  switch (kind) {
    case 'sqlite':
      return new SqliteMessageStore({ location });
    case 'postgres': {
      const { PostgresMessageStore } = await import('./postgres-message.store.js');
      return new PostgresMessageStore({ connectionString: location });
    }
  }
}
