import type { ArgumentMetadata, ExceptionFilter, INestApplicationContext, PipeTransform, Type } from '@nestjs/common';
import {
  EXCEPTION_FILTERS_METADATA,
  FILTER_CATCH_EXCEPTIONS,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PARAMTYPES_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants.js';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants.js';
import type { Socket } from 'socket.io';
import { isThenable } from '../common/is-thenable.js';
import type { AckFn } from '../common/ws-reply.js';

/**
 * Runs one @SubscribeMessage handler for a socket event and settles with what Nest's own call path
 * would return: the handler's result, or undefined once the exception filter has answered.
 */
export type CompiledHandler = (socket: Socket, payload: unknown, reply: AckFn, event: string) => Promise<unknown> | unknown;

export interface CompiledGateway {
  handlers: ReadonlyMap<string, CompiledHandler>;
  /** Handlers that use something the compiled path does not do, each with the reason: Nest runs them. */
  leftToNest: ReadonlyMap<string, string>;
}

type Enhancer = Type | object;

interface ParamPlan {
  index: number;
  extract: (socket: Socket, payload: unknown) => unknown;
  metadata: ArgumentMetadata;
}

/** WsParamtype values (@nestjs/websockets) and the param type name Nest hands to pipes for each. */
const SOCKET_PARAM = 0;
const PAYLOAD_PARAM = 3;
const PARAM_TYPE_NAMES: Readonly<Record<number, ArgumentMetadata['type']>> = { [SOCKET_PARAM]: 'custom', [PAYLOAD_PARAM]: 'body' };

/**
 * Nest runs each socket event through its generic context: a chain of async closures for guards,
 * interceptors, every parameter's pipes and the exception zone, about ten promises and many small
 * arrays per event (a sixth of everything the gateway allocated per message in the benchmark's
 * heap profile). This builds, once, a direct call for each @SubscribeMessage handler from the same
 * decorators Nest reads (@UsePipes, @UseFilters, @ConnectedSocket, @MessageBody) and runs it
 * synchronously as far as the handler allows, with the same order: pipes on every parameter, the
 * handler, the filter on any exception.
 *
 * A handler using what this does not do (guards, interceptors, filters for chosen exception
 * types, other parameter decorators, parameter pipes) is left to Nest, which is always correct.
 * Nest also applies global pipes, guards and interceptors to gateways; the application registers
 * none of these for sockets, and must not start to without extending this.
 */
export function compileGateway(app: INestApplicationContext, gateway: object): CompiledGateway {
  const handlers = new Map<string, CompiledHandler>();
  const leftToNest = new Map<string, string>();
  const gatewayClass = gateway.constructor as Type;
  for (const [methodName, method] of methodsOf(gateway)) {
    if (!Reflect.getMetadata(MESSAGE_MAPPING_METADATA, method)) continue;
    const event = String(Reflect.getMetadata(MESSAGE_METADATA, method));
    const refusal = unsupported(gatewayClass, method);
    if (refusal) {
      leftToNest.set(event, refusal);
      continue;
    }
    const params = paramPlans(gatewayClass, methodName);
    if (typeof params === 'string') {
      leftToNest.set(event, params);
      continue;
    }
    const pipes = enhancers(PIPES_METADATA, gatewayClass, method).map((pipe) => resolve<PipeTransform>(app, pipe));
    const filter = resolve<ExceptionFilter>(app, enhancers(EXCEPTION_FILTERS_METADATA, gatewayClass, method)[0]!);
    handlers.set(event, compileHandler(gateway, method, params, pipes, filter));
  }
  return { handlers, leftToNest };
}

function compileHandler(
  gateway: object,
  method: Method,
  params: ParamPlan[],
  pipes: PipeTransform[],
  filter: ExceptionFilter,
): CompiledHandler {
  const size = params.reduce((most, param) => Math.max(most, param.index + 1), 0);
  const settle = (error: unknown, socket: Socket, payload: unknown, reply: AckFn, event: string): undefined => {
    const host = new ExecutionContextHost([socket, payload, reply, event]);
    host.setType('ws');
    filter.catch(error, host);
    return undefined;
  };
  return (socket, payload, reply, event) => {
    let result: unknown;
    try {
      const args = new Array<unknown>(size);
      let waiting = false;
      for (const param of params) {
        const value = transform(pipes, 0, param.extract(socket, payload), param.metadata);
        waiting ||= isThenable(value);
        args[param.index] = value;
      }
      // Only a pipe that answered with a promise makes the call wait for its parameters.
      result = waiting ? Promise.all(args).then((settled) => method.apply(gateway, settled)) : method.apply(gateway, args);
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

function unsupported(gatewayClass: Type, method: object): string | undefined {
  if (enhancers(GUARDS_METADATA, gatewayClass, method).length > 0) return 'uses guards';
  if (enhancers(INTERCEPTORS_METADATA, gatewayClass, method).length > 0) return 'uses interceptors';
  const filters = enhancers(EXCEPTION_FILTERS_METADATA, gatewayClass, method);
  if (filters.length !== 1) return 'needs exactly one exception filter';
  const catches = Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, filterClass(filters[0]!)) as unknown[] | undefined;
  if (catches && catches.length > 0) return 'its filter catches chosen exception types only';
  return undefined;
}

function paramPlans(gatewayClass: Type, methodName: string): ParamPlan[] | string {
  const declared = (Reflect.getMetadata(ROUTE_ARGS_METADATA, gatewayClass, methodName) ?? {}) as Record<
    string,
    { index: number; data?: unknown; pipes?: unknown[] }
  >;
  const types = (Reflect.getMetadata(PARAMTYPES_METADATA, gatewayClass.prototype as object, methodName) ?? []) as Array<Type | undefined>;
  const plans: ParamPlan[] = [];
  for (const [key, { index, data, pipes }] of Object.entries(declared)) {
    const kind = Number(key.split(':')[0]);
    if (kind !== SOCKET_PARAM && kind !== PAYLOAD_PARAM) return `parameter ${index} has a decorator other than @ConnectedSocket or @MessageBody`;
    if (data !== undefined) return `parameter ${index} picks a property`;
    if (pipes && pipes.length > 0) return `parameter ${index} has its own pipes`;
    plans.push({
      index,
      extract: kind === SOCKET_PARAM ? (socket) => socket : (_socket, payload) => payload,
      metadata: { type: PARAM_TYPE_NAMES[kind]!, metatype: types[index], data: undefined },
    });
  }
  // Nest runs the parameters' pipes in declaration-index order.
  return plans.sort((a, b) => a.index - b.index);
}

/** Class-level enhancers first, then the method's, as Nest orders them. */
function enhancers(key: string, gatewayClass: Type, method: object): Enhancer[] {
  const ofClass = (Reflect.getMetadata(key, gatewayClass) ?? []) as Enhancer[];
  const ofMethod = (Reflect.getMetadata(key, method) ?? []) as Enhancer[];
  return [...ofClass, ...ofMethod];
}

/**
 * An enhancer given as a class is the instance Nest's injector made for the module; one without
 * dependencies that the injector does not list is built here, as Nest would.
 */
function resolve<T>(app: INestApplicationContext, enhancer: Enhancer): T {
  if (typeof enhancer !== 'function') return enhancer as T;
  const enhancerClass = enhancer as Type<T>;
  try {
    return app.get(enhancerClass, { strict: false });
  } catch (error) {
    const dependencies = (Reflect.getMetadata(PARAMTYPES_METADATA, enhancerClass) ?? []) as unknown[];
    if (dependencies.length > 0) throw error;
    return new enhancerClass();
  }
}

function filterClass(filter: Enhancer): Type {
  return (typeof filter === 'function' ? filter : filter.constructor) as Type;
}

type Method = (...args: unknown[]) => unknown;

/** The methods along the prototype chain, nearest first; read from descriptors, so no getter runs. */
function methodsOf(instance: object): Map<string, Method> {
  const methods = new Map<string, Method>();
  for (let proto = Object.getPrototypeOf(instance) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (name !== 'constructor' && typeof descriptor.value === 'function' && !methods.has(name)) methods.set(name, descriptor.value as Method);
    }
  }
  return methods;
}
