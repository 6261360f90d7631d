import 'reflect-metadata';
import { describe, expect, it, jest } from '@jest/globals';
import { type CanActivate, type INestApplicationContext, Logger, type NestInterceptor, type PipeTransform } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { IsString } from 'class-validator';
import type { Socket } from 'socket.io';
import { AppError } from '../common/app-error.js';
import { AppExceptionFilter } from '../common/app-exception.filter.js';
import { ErrorCode } from '../common/error-code.js';
import { ok } from '../common/ws-reply.js';
import { WsValidationPipe } from '../common/ws-validation.pipe.js';
import { loadConfig } from '../config/app-config.js';
import type { Ack, AckCallback } from '../contract.js';
import type { ChatSocket } from './chat-socket.js';
import { compileGateway, type SocketEventTable } from './compiled-gateway.js';

class NoteDto {
  @IsString()
  text!: string;
}

interface SampleEvents {
  note: (payload: { text: string }, ack: AckCallback<{ text: string }>) => void;
  later: (payload: { text: string }, ack: AckCallback<{ text: string }>) => void;
}

class SampleGateway {
  readonly calls: unknown[][] = [];

  note(socket: ChatSocket, dto: NoteDto): Ack<{ text: string }> {
    this.calls.push([socket, dto]);
    if (dto.text === 'forbidden') throw AppError.forbidden('no');
    if (dto.text === 'crash') throw new Error('secret detail');
    return ok({ text: dto.text });
  }

  async later(_socket: ChatSocket, dto: NoteDto): Promise<Ack<{ text: string }>> {
    await Promise.resolve();
    if (dto.text === 'missing') throw AppError.notFound('gone');
    return ok({ text: dto.text });
  }
}

const SAMPLE_EVENTS: SocketEventTable<SampleGateway, SampleEvents> = {
  pipes: [WsValidationPipe],
  filter: AppExceptionFilter,
  events: {
    note: { method: 'note', dto: NoteDto },
    later: { method: 'later', dto: NoteDto },
  },
};

/** A pipe that answers with a promise, as Nest allows: upper-cases a payload's text. */
class ShoutPipe implements PipeTransform {
  async transform(value: unknown): Promise<unknown> {
    await Promise.resolve();
    const text = (value as { text?: unknown } | undefined)?.text;
    return typeof text === 'string' ? { ...(value as object), text: text.toUpperCase() } : value;
  }
}

/**
 * Just enough of the application: ApplicationConfig, and the enhancers Nest's injector built
 * (what a gateway's @UsePipes / @UseFilters make it build); anything else is unknown to it.
 */
function fakeApp(
  built: object[] = [new WsValidationPipe(loadConfig({})), new AppExceptionFilter()],
  config = new ApplicationConfig(),
): INestApplicationContext {
  return {
    get: (token: unknown) => {
      if (token === ApplicationConfig) return config;
      const instance = built.find((candidate) => candidate.constructor === token);
      if (!instance) throw new Error(`Nest could not find ${(token as { name: string }).name} element`);
      return instance;
    },
  } as unknown as INestApplicationContext;
}

const socket = { id: 's1', data: {} } as unknown as Socket;

/** Runs an event of the sample gateway; resolves with the handler's result and what the filter answered. */
async function run(event: keyof SampleEvents, payload: unknown): Promise<{ result: unknown; replies: Array<Ack<unknown>> }> {
  const handler = compileGateway(fakeApp(), new SampleGateway(), SAMPLE_EVENTS).get(event)!;
  const replies: Array<Ack<unknown>> = [];
  const result = await handler(socket, payload, (answer) => replies.push(answer), event);
  return { result, replies };
}

describe('compileGateway', () => {
  it('compiles one call per event of the table', () => {
    expect([...compileGateway(fakeApp(), new SampleGateway(), SAMPLE_EVENTS).keys()]).toEqual(['note', 'later']);
  });

  it('hands the socket and the validated DTO to the handler and returns its answer synchronously', () => {
    const gateway = new SampleGateway();
    const handler = compileGateway(fakeApp(), gateway, SAMPLE_EVENTS).get('note')!;
    const result = handler(socket, { text: 'hi' }, () => undefined, 'note');
    expect(result).toEqual({ ok: true, data: { text: 'hi' } });
    expect(gateway.calls).toHaveLength(1);
    const [given, dto] = gateway.calls[0]!;
    expect(given).toBe(socket);
    expect(dto).toBeInstanceOf(NoteDto);
    expect(dto).toEqual({ text: 'hi' });
  });

  it('answers an invalid payload through the filter, without running the handler', async () => {
    const gateway = new SampleGateway();
    const handler = compileGateway(fakeApp(), gateway, SAMPLE_EVENTS).get('note')!;
    const replies: Array<Ack<unknown>> = [];
    expect(handler(socket, { text: 7 }, (answer) => replies.push(answer), 'note')).toBeUndefined();
    expect(replies).toEqual([{ ok: false, error: expect.objectContaining({ code: ErrorCode.VALIDATION_FAILED }) }]);
    expect(gateway.calls).toEqual([]);
  });

  it('answers what a handler throws, and what its promise rejects with, through the filter', async () => {
    await expect(run('note', { text: 'forbidden' })).resolves.toEqual({
      result: undefined,
      replies: [{ ok: false, error: { code: ErrorCode.FORBIDDEN, message: 'no' } }],
    });
    await expect(run('later', { text: 'missing' })).resolves.toEqual({
      result: undefined,
      replies: [{ ok: false, error: { code: ErrorCode.NOT_FOUND, message: 'gone' } }],
    });
    await expect(run('later', { text: 'fine' })).resolves.toEqual({ result: { ok: true, data: { text: 'fine' } }, replies: [] });
  });

  it('gives the filter the socket event as Nest would: the ws context, the reply at index 2, the event name', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await expect(run('note', { text: 'crash' })).resolves.toEqual({
        result: undefined,
        replies: [{ ok: false, error: { code: ErrorCode.INTERNAL, message: 'Internal server error' } }],
      });
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ event: 'note', socketId: 's1' }), 'request failed');
    } finally {
      logged.mockRestore();
    }
  });

  it('awaits a pipe that answers with a promise, then runs the rest of the pipes and the handler', async () => {
    const table: SocketEventTable<SampleGateway, SampleEvents> = { ...SAMPLE_EVENTS, pipes: [ShoutPipe, WsValidationPipe] };
    const app = fakeApp([new ShoutPipe(), new WsValidationPipe(loadConfig({})), new AppExceptionFilter()]);
    const handler = compileGateway(app, new SampleGateway(), table).get('note')!;
    const replies: Array<Ack<unknown>> = [];
    await expect(handler(socket, { text: 'hi' }, (answer) => replies.push(answer), 'note')).resolves.toEqual({
      ok: true,
      data: { text: 'HI' },
    });
    await expect(handler(socket, { text: 7 }, (answer) => replies.push(answer), 'note')).resolves.toBeUndefined();
    expect(replies).toEqual([{ ok: false, error: expect.objectContaining({ code: ErrorCode.VALIDATION_FAILED }) }]);
  });

  it('uses the instances Nest built, and fails when Nest did not build one', () => {
    const pipe = new WsValidationPipe(loadConfig({}));
    const transform = jest.spyOn(pipe, 'transform');
    compileGateway(fakeApp([pipe, new AppExceptionFilter()]), new SampleGateway(), SAMPLE_EVENTS).get('note')!(
      socket,
      { text: 'x' },
      () => undefined,
      'note',
    );
    expect(transform).toHaveBeenCalledWith({ text: 'x' }, { type: 'body', metatype: NoteDto, data: undefined });
    expect(() => compileGateway(fakeApp([new AppExceptionFilter()]), new SampleGateway(), SAMPLE_EVENTS)).toThrow(
      "WsValidationPipe was not built by Nest: list it in the gateway's @UsePipes / @UseFilters",
    );
  });

  it('fails when an entry names no method of the gateway', () => {
    const table = { ...SAMPLE_EVENTS, events: { ...SAMPLE_EVENTS.events, later: { method: 'gone', dto: NoteDto } } };
    expect(() => compileGateway(fakeApp(), new SampleGateway(), table as unknown as typeof SAMPLE_EVENTS)).toThrow(
      'socket event later: SampleGateway.gone is not a method',
    );
  });

  describe('with global enhancers, which direct calls cannot apply', () => {
    const guard: CanActivate = { canActivate: () => true };
    const interceptor: NestInterceptor = { intercept: (_context, next) => next.handle() };
    const registrations: Array<[string, (config: ApplicationConfig) => void, RegExp]> = [
      ['a global pipe', (config) => config.useGlobalPipes(new WsValidationPipe(loadConfig({}))), /^1 global pipes registered/],
      ['a global guard', (config) => config.useGlobalGuards(guard), /^1 global guards registered/],
      ['a global interceptor', (config) => config.useGlobalInterceptors(interceptor), /^1 global interceptors registered/],
      // APP_PIPE / APP_GUARD / APP_INTERCEPTOR providers of request scope are kept apart by Nest.
      ['a request-scoped APP_PIPE', (config) => config.addGlobalRequestPipe({} as never), /^1 global pipes registered/],
      ['a request-scoped APP_GUARD', (config) => config.addGlobalRequestGuard({} as never), /^1 global guards registered/],
      [
        'a request-scoped APP_INTERCEPTOR',
        (config) => config.addGlobalRequestInterceptor({} as never),
        /^1 global interceptors registered/,
      ],
    ];

    it.each(registrations)('fails with %s', (_name, register, message) => {
      const config = new ApplicationConfig();
      register(config);
      expect(() => compileGateway(fakeApp(undefined, config), new SampleGateway(), SAMPLE_EVENTS)).toThrow(message);
    });

    it('names them all, and lets global exception filters be (Nest does not apply those to socket events)', () => {
      const config = new ApplicationConfig();
      config.useGlobalGuards(guard, guard);
      config.useGlobalInterceptors(interceptor);
      expect(() => compileGateway(fakeApp(undefined, config), new SampleGateway(), SAMPLE_EVENTS)).toThrow(
        /^2 global guards, 1 global interceptors registered/,
      );
      const filtered = new ApplicationConfig();
      filtered.useGlobalFilters(new AppExceptionFilter());
      expect(compileGateway(fakeApp(undefined, filtered), new SampleGateway(), SAMPLE_EVENTS).size).toBe(2);
    });
  });
});
