import type { ArgumentMetadata, ArgumentsHost, ExceptionFilter, INestApplicationContext, PipeTransform, Type } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import type { Socket } from 'socket.io';
import { isThenable } from '../common/is-thenable.js';
import type { AckFn } from '../common/ws-reply.js';
import type { Ack, AckCallback, ClientToServerEvents } from '../contract.js';
import type { ChatSocket } from './chat-socket.js';

/**
 * Socket events are dispatched from a table the gateway declares (CHAT_EVENTS beside ChatGateway):
 * for each client event of the contract, the method that handles it and the DTO class its payload
 * is validated against, plus the pipes and the exception filter every event goes through.
 * compileGateway turns the table into one direct call per event, once, at start-up.
 *
 * Why not Nest's own per-event path: Nest runs each event through a chain of async closures for
 * guards, interceptors, every parameter's pipes and the exception zone, about ten promises and many
 * small arrays per event, the largest share of the garbage the gateway adds to plain socket.io
 * (docs/benchmarks.md). The direct call does the same steps in the same order (the pipes on the
 * payload, the handler, the filter on anything thrown or rejected), synchronously as far as the
 * handler allows.
 *
 * Why a table rather than reading the decorators: the metadata behind @SubscribeMessage,
 * @MessageBody, @UsePipes and friends is NestJS's internal API (its keys are exported only from
 * the packages' `internal` entry points, with numeric parameter kinds and key formats of its own),
 * which a minor release may change while package.json accepts any 12.x. The table uses public API
 * only: the injector, ApplicationConfig and the ArgumentsHost interface. The decorators stay on the
 * gateway, so Nest's own path would run the same handlers, and a test (chat-events.spec.ts) reads
 * them and fails when they and the table disagree: an upgrade that moves Nest's internals breaks
 * that test, never the running service. The table's type ties each event to the contract: every
 * client event needs an entry, and the method must take the event's payload and answer its ack.
 */
export type CompiledHandler = (socket: Socket, payload: unknown, reply: AckFn, event: string) => Promise<unknown> | unknown;
export type CompiledGateway = ReadonlyMap<string, CompiledHandler>;

type PayloadOf<Handler> = Handler extends (payload: infer P, ack: never) => void ? P : never;
type ResultOf<Handler> = Handler extends (payload: never, ack: AckCallback<infer R>) => void ? R : never;

/** The gateway methods that take (socket, dto) with a DTO fitting `Payload` and answer `Result`. */
type HandlerOf<G, Payload, Result> = {
  [K in keyof G]-?: G[K] extends (socket: ChatSocket, dto: infer Dto) => Ack<Result> | Promise<Ack<Result>>
    ? Dto extends Payload
      ? { method: K; dto: Type<Dto> }
      : never
    : never;
}[keyof G];

export interface SocketEventTable<G, Events extends object = ClientToServerEvents> {
  /** Run in order on every payload, as @UsePipes on the gateway. Built by Nest's injector. */
  pipes: ReadonlyArray<Type<PipeTransform>>;
  /** Answers whatever a pipe or handler throws, as @UseFilters on the gateway. Built by Nest's injector. */
  filter: Type<ExceptionFilter>;
  events: { readonly [E in keyof Events]: HandlerOf<G, PayloadOf<Events[E]>, ResultOf<Events[E]>> };
}

interface TableEntry {
  method: PropertyKey;
  dto: Type;
}

type Method = (socket: Socket, dto: unknown) => unknown;

/**
 * Builds the direct call of every event in `table` for `gateway`. Throws, failing start-up, when
 * the application registers global pipes, guards or interceptors (Nest would apply them to socket
 * events and the direct calls cannot), or when Nest's injector did not build the table's pipes and
 * filter (the gateway's @UsePipes and @UseFilters make it build them, with their dependencies).
 */
export function compileGateway<G extends object, Events extends object>(
  app: INestApplicationContext,
  gateway: G,
  table: SocketEventTable<G, Events>,
): CompiledGateway {
  assertNoGlobalEnhancers(app);
  const pipes = table.pipes.map((pipe) => builtByNest<PipeTransform>(app, pipe));
  const filter = builtByNest<ExceptionFilter>(app, table.filter);
  const handlers = new Map<string, CompiledHandler>();
  for (const [event, entry] of Object.entries(table.events) as Array<[string, TableEntry]>) {
    const method = (gateway as Record<PropertyKey, unknown>)[entry.method];
    if (typeof method !== 'function') {
      throw new Error(`socket event ${event}: ${gateway.constructor.name}.${String(entry.method)} is not a method`);
    }
    const metadata: ArgumentMetadata = { type: 'body', metatype: entry.dto, data: undefined };
    handlers.set(event, compileHandler(gateway, method as Method, metadata, pipes, filter));
  }
  return handlers;
}

/**
 * Global enhancers live in the application's ApplicationConfig, which Nest provides to every module
 * (public API). Global filters are not checked: Nest does not apply them to socket events either.
 */
export function assertNoGlobalEnhancers(app: INestApplicationContext): void {
  const config = app.get(ApplicationConfig, { strict: false });
  const registered = [
    ['pipes', config.getGlobalPipes().length + config.getGlobalRequestPipes().length],
    ['guards', config.getGlobalGuards().length + config.getGlobalRequestGuards().length],
    ['interceptors', config.getGlobalInterceptors().length + config.getGlobalRequestInterceptors().length],
  ].filter(([, count]) => count !== 0);
  if (registered.length === 0) return;
  const found = registered.map(([kind, count]) => `${count} global ${kind}`).join(', ');
  throw new Error(
    `${found} registered (app.useGlobal* or APP_PIPE / APP_GUARD / APP_INTERCEPTOR): socket events run through ` +
      'direct calls that cannot apply them (src/chat/compiled-gateway.ts). Put REST guards on the controllers ' +
      "(src/auth/rest-access.ts) and socket rules in the gateway's table, the inbound event policy or the services.",
  );
}

function builtByNest<T>(app: INestApplicationContext, enhancer: Type): T {
  try {
    return app.get<T>(enhancer, { strict: false });
  } catch (error) {
    throw new Error(`${enhancer.name} was not built by Nest: list it in the gateway's @UsePipes / @UseFilters`, { cause: error });
  }
}

/** What the exception filter is handed: a socket event's arguments, as Nest's ws context has them. */
function socketEventHost(socket: Socket, payload: unknown, reply: AckFn, event: string): ArgumentsHost {
  const args = [socket, payload, reply, event];
  const unsupported = (): never => {
    throw new Error('a socket event has no HTTP or RPC context');
  };
  return {
    getArgs: <T extends unknown[]>() => args as T,
    getArgByIndex: <T>(index: number) => args[index] as T,
    getType: <T extends string>() => 'ws' as T,
    switchToWs: () => ({ getClient: <T>() => socket as T, getData: <T>() => payload as T, getPattern: () => event }),
    switchToHttp: unsupported,
    switchToRpc: unsupported,
  };
}

function compileHandler(
  gateway: object,
  method: Method,
  metadata: ArgumentMetadata,
  pipes: PipeTransform[],
  filter: ExceptionFilter,
): CompiledHandler {
  const settle = (error: unknown, socket: Socket, payload: unknown, reply: AckFn, event: string): undefined => {
    filter.catch(error, socketEventHost(socket, payload, reply, event));
    return undefined;
  };
  return (socket, payload, reply, event) => {
    let result: unknown;
    try {
      const dto = transform(pipes, 0, payload, metadata);
      // Only a pipe that answered with a promise makes the call wait for the payload.
      result = isThenable(dto) ? dto.then((settled) => method.call(gateway, socket, settled)) : method.call(gateway, socket, dto);
    } catch (error) {
      return settle(error, socket, payload, reply, event);
    }
    if (!isThenable(result)) return result;
    return result.then(undefined, (error: unknown) => settle(error, socket, payload, reply, event));
  };
}

/** Runs the pipes from `from` on, in order; from the first that answers with a promise on, awaited. */
function transform(pipes: PipeTransform[], from: number, value: unknown, metadata: ArgumentMetadata): unknown {
  for (let i = from; i < pipes.length; i += 1) {
    const next: unknown = pipes[i]!.transform(value, metadata);
    if (isThenable(next)) return Promise.resolve(next).then((settled) => transform(pipes, i + 1, settled, metadata));
    value = next;
  }
  return value;
}
