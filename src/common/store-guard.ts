import { Logger } from '@nestjs/common';
import { AppError } from './app-error.js';

/**
 * How each member of a store's abstract class reaches the engine behind it: 'async' members are
 * guarded, 'sync' ones (listener registration) are handed straight on. The compiler derives the
 * only allowed value of each key from the member's signature and demands every key, so a member
 * added to the abstract class and not to its table does not build, nor does one listed wrongly.
 */
export type StoreMembers<T> = {
  readonly [K in keyof T]-?: T[K] extends (...args: never[]) => Promise<unknown>
    ? 'async'
    : T[K] extends (...args: never[]) => unknown
      ? 'sync'
      : never;
};

type Engine = Record<string, (...args: unknown[]) => unknown>;

/**
 * Builds the stand-in a store's provider hands out instead of the engine itself (SQLite,
 * PostgreSQL, Redis, memory): each async member calls the engine and turns any failure, whatever
 * was thrown, into UNAVAILABLE for the client, logging the cause once. So a database or Redis
 * outage is answered, never crashes the process, and services call the store directly.
 *
 * The stand-in class is built once per store interface, with one named method per member on its
 * prototype: no Proxy and no closure per call on the send path. It extends the abstract class,
 * so it is `instanceof` the DI token; the engine stays a provider of its own, so Nest runs the
 * engine's lifecycle hooks (open, migrate, close).
 */
export function storeGuard<T extends object>(store: abstract new () => T, label: string, members: StoreMembers<T>): (engine: T) => T {
  const logger = new Logger(store.name);
  const unavailable = (operation: string, cause: unknown): AppError => {
    logger.warn({ err: cause, operation }, `${label} operation failed`);
    return AppError.unavailable(`${label} is unavailable, try again`);
  };

  // The abstract class has no constructor of its own: at run time it is an empty class to extend.
  class GuardedStore extends (store as unknown as new () => object) {
    constructor(readonly engine: Engine) {
      super();
    }
  }
  Object.defineProperty(GuardedStore, 'name', { value: `Guarded${store.name}` });

  for (const [name, kind] of Object.entries(members) as Array<[string, 'async' | 'sync']>) {
    const method =
      kind === 'async'
        ? async function (this: GuardedStore, ...args: unknown[]): Promise<unknown> {
            try {
              return await this.engine[name]!(...args);
            } catch (error) {
              throw unavailable(name, error);
            }
          }
        : function (this: GuardedStore, ...args: unknown[]): unknown {
            return this.engine[name]!(...args);
          };
    Object.defineProperty(method, 'name', { value: name });
    Object.defineProperty(GuardedStore.prototype, name, { value: method, writable: true, configurable: true });
  }

  return (engine) => new GuardedStore(engine as unknown as Engine) as unknown as T;
}
