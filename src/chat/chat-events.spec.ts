import 'reflect-metadata';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { Catch, type ExceptionFilter, HttpException, type Type, UseFilters, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
// NestJS's internal entry points: what its decorators record. A test may read them (an upgrade that
// changes them fails here, where it is cheap); the running service does not (see compileGateway).
import {
  EXCEPTION_FILTERS_METADATA,
  FILTER_CATCH_EXCEPTIONS,
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PARAMTYPES_METADATA,
  PIPES_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/internal';
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/internal';
import { AppExceptionFilter } from '../common/app-exception.filter.js';
import { ok } from '../common/ws-reply.js';
import { WsValidationPipe } from '../common/ws-validation.pipe.js';
import type { Ack, AckCallback } from '../contract.js';
import { CHAT_EVENTS, ChatGateway } from './chat.gateway.js';
import type { ChatSocket } from './chat-socket.js';
import type { SocketEventTable } from './compiled-gateway.js';
import { RoomJoinDto, RoomLeaveDto } from './dto/room.dto.js';

/** What Nest records for the one parameter list the table's direct calls pass: (socket, payload). */
class ParameterProbe {
  handler(@ConnectedSocket() _socket: unknown, @MessageBody() _dto: unknown): void {}
}
const SOCKET_THEN_BODY: unknown = Reflect.getMetadata(ROUTE_ARGS_METADATA, ParameterProbe, 'handler');

const ENHANCERS = {
  pipes: PIPES_METADATA,
  filters: EXCEPTION_FILTERS_METADATA,
  guards: GUARDS_METADATA,
  interceptors: INTERCEPTORS_METADATA,
};

function enhancersOf(target: object, kind: keyof typeof ENHANCERS): unknown[] {
  return (Reflect.getMetadata(ENHANCERS[kind], target) ?? []) as unknown[];
}

/** Each @SubscribeMessage handler along the prototype chain, by event, nearest class first. */
function decoratedHandlers(gatewayClass: Type): Map<string, { name: string; method: object }> {
  const handlers = new Map<string, { name: string; method: object }>();
  for (
    let proto = gatewayClass.prototype as object | null;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const [name, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      const method: unknown = descriptor.value;
      if (name === 'constructor' || typeof method !== 'function' || !Reflect.getMetadata(MESSAGE_MAPPING_METADATA, method)) continue;
      const event = String(Reflect.getMetadata(MESSAGE_METADATA, method));
      if (!handlers.has(event)) handlers.set(event, { name, method });
    }
  }
  return handlers;
}

/**
 * Where a gateway's decorators and its event table disagree, in words: what Nest's own path would
 * do that the table's direct calls would not, or the other way round.
 */
function disagreements(gatewayClass: Type, table: SocketEventTable<object, object>): string[] {
  const problems: string[] = [];
  const entries = new Map(Object.entries(table.events as Record<string, { method: PropertyKey; dto: Type }>));
  const decorated = decoratedHandlers(gatewayClass);
  for (const event of entries.keys()) if (!decorated.has(event)) problems.push(`${event}: in the table, but no @SubscribeMessage handler`);
  for (const [event, { name, method }] of decorated) {
    const entry = entries.get(event);
    if (!entry) {
      problems.push(`${event}: @SubscribeMessage on ${name}, missing from the table`);
      continue;
    }
    if (entry.method !== name) problems.push(`${event}: @SubscribeMessage on ${name}, the table names ${String(entry.method)}`);
    if (!isDeepStrictEqual(Reflect.getMetadata(ROUTE_ARGS_METADATA, gatewayClass, name), SOCKET_THEN_BODY)) {
      problems.push(`${event}: ${name} must take (@ConnectedSocket() socket, @MessageBody() dto) and nothing else`);
    }
    const bodyType = ((Reflect.getMetadata(PARAMTYPES_METADATA, gatewayClass.prototype as object, name) ?? []) as unknown[])[1];
    if (bodyType !== entry.dto) problems.push(`${event}: ${name} takes ${nameOf(bodyType)}, the table says ${entry.dto.name}`);
    for (const kind of Object.keys(ENHANCERS) as Array<keyof typeof ENHANCERS>) {
      if (enhancersOf(method, kind).length > 0) problems.push(`${event}: ${name} has ${kind} of its own`);
    }
  }
  if (!sameList(enhancersOf(gatewayClass, 'pipes'), table.pipes)) problems.push("@UsePipes differs from the table's pipes");
  const filters = enhancersOf(gatewayClass, 'filters');
  if (!sameList(filters, [table.filter])) problems.push("@UseFilters differs from the table's filter");
  const caught = (Reflect.getMetadata(FILTER_CATCH_EXCEPTIONS, table.filter) ?? []) as unknown[];
  if (caught.length > 0) problems.push(`${table.filter.name} catches chosen exception types only; the direct calls hand it every error`);
  for (const kind of ['guards', 'interceptors'] as const) {
    if (enhancersOf(gatewayClass, kind).length > 0) problems.push(`the gateway has ${kind}, which the direct calls do not run`);
  }
  return problems;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function nameOf(type: unknown): string {
  return typeof type === 'function' ? type.name : String(type);
}

describe('CHAT_EVENTS, the table the adapter dispatches socket events from', () => {
  it("agrees with ChatGateway's decorators: same events, methods, DTOs, pipes and filter, nothing the direct calls skip", () => {
    expect(disagreements(ChatGateway, CHAT_EVENTS as SocketEventTable<object, object>)).toEqual([]);
    expect(decoratedHandlers(ChatGateway).size).toBe(18);
  });

  describe('the check itself', () => {
    interface Events {
      'room:join': (payload: RoomJoinDto, ack: AckCallback<{ room: string }>) => void;
      'room:leave': (payload: RoomLeaveDto, ack: AckCallback<{ room: string }>) => void;
      listed: (payload: RoomLeaveDto, ack: AckCallback<{ room: string }>) => void;
    }

    @Catch(HttpException)
    class HttpOnlyFilter implements ExceptionFilter {
      catch(): void {}
    }

    /** Every way a gateway can drift from its table, once. */
    @UsePipes(WsValidationPipe)
    @UseFilters(HttpOnlyFilter)
    @UseGuards(
      class {
        canActivate = (): boolean => true;
      },
    )
    class DriftingGateway {
      @SubscribeMessage('room:join')
      @UseInterceptors(
        class {
          intercept = (): never => {
            throw new Error('unused');
          };
        },
      )
      join(@ConnectedSocket() _socket: ChatSocket, @MessageBody() dto: RoomJoinDto): Ack<{ room: string }> {
        return ok({ room: dto.room });
      }

      @SubscribeMessage('room:leave')
      leave(@MessageBody() dto: RoomLeaveDto, @ConnectedSocket() _socket: ChatSocket): Ack<{ room: string }> {
        return ok({ room: dto.room });
      }

      @SubscribeMessage('unlisted')
      unlisted(): Ack<{ room: string }> {
        return ok({ room: '' });
      }

      listed(_socket: ChatSocket, dto: RoomLeaveDto): Ack<{ room: string }> {
        return ok({ room: dto.room });
      }
    }

    const table: SocketEventTable<DriftingGateway, Events> = {
      pipes: [WsValidationPipe, WsValidationPipe],
      filter: AppExceptionFilter,
      events: {
        'room:join': { method: 'join', dto: RoomLeaveDto },
        'room:leave': { method: 'listed', dto: RoomLeaveDto },
        listed: { method: 'listed', dto: RoomLeaveDto },
      },
    };

    it('names each disagreement', () => {
      expect(disagreements(DriftingGateway, table as SocketEventTable<object, object>).sort()).toEqual(
        [
          'listed: in the table, but no @SubscribeMessage handler',
          'room:join: join takes RoomJoinDto, the table says RoomLeaveDto',
          'room:join: join has interceptors of its own',
          'room:leave: @SubscribeMessage on leave, the table names listed',
          'room:leave: leave must take (@ConnectedSocket() socket, @MessageBody() dto) and nothing else',
          'room:leave: leave takes Object, the table says RoomLeaveDto',
          'unlisted: @SubscribeMessage on unlisted, missing from the table',
          "@UsePipes differs from the table's pipes",
          "@UseFilters differs from the table's filter",
          'the gateway has guards, which the direct calls do not run',
        ].sort(),
      );
      const narrowFilter = { ...table, filter: HttpOnlyFilter };
      expect(disagreements(DriftingGateway, narrowFilter as SocketEventTable<object, object>)).toContain(
        'HttpOnlyFilter catches chosen exception types only; the direct calls hand it every error',
      );
    });
  });
});
