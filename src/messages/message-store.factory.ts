import type { AppConfig } from '../config/app-config.js';
import { MessageStore } from './message-store.js';
import { PostgresMessageStore } from './postgres-message.store.js';
import { SqliteMessageStore } from './sqlite-message.store.js';

/**
 * Picks the durable store DATABASE_URL names. Only builds it: the store connects and migrates
 * in onModuleInit, so an unreachable database fails app.listen() with a plain message instead
 * of a stack from the injector. (The memory store is for unit tests and is never chosen here.)
 */
export function createMessageStore(config: AppConfig): MessageStore {
  const { kind, location } = config.database;
  switch (kind) {
    case 'sqlite':
      return new SqliteMessageStore({ location });
    case 'postgres':
      return new PostgresMessageStore({ connectionString: location });
  }
}
