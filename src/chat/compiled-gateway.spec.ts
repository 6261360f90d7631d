import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { type CanActivate, type INestApplicationContext, UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage } from '@nestjs/websockets';
import { IsString } from 'class-validator';
import type { Socket } from 'socket.io';
import { AppError } from '../common/app-error.js';
import { AppExceptionFilter } from '../common/app-exception.filter.js';
import { ErrorCode } from '../common/error-code.js';
import { ok } from '../common/ws-reply.js';
import { WsValidationPipe } from '../common/ws-validation.pipe.js';
import { loadConfig } from '../config/app-config.js';
import type { Ack } from '../contract.js';
import { ChatGateway } from './chat.gateway.js';
import { compileGateway } from './compiled-gateway.js';

const validationPipe = new WsValidationPipe(loadConfig({}));

/**
 * An injector that knows only the validation pipe (it needs AppConfig): every other enhancer is
 * built from its class, as for one the module does not list.
 */
const noInjector = {
  get: (type: unknown) => {
    if (type === WsValidationPipe) return validationPipe;
    throw new Error('not registered');
  },
} as unknown as INestApplicationContext;

class NoteDto {
  @IsString()
  text!: string;
}

class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@UseFilters(AppExceptionFilter)
@UsePipes(WsValidationPipe)
class SampleGateway {
  readonly calls: unknown[][] = [];

  @SubscribeMessage('note')
  note(@ConnectedSocket() socket: Socket, @MessageBody() dto: NoteDto): Ack<{ text: string }> {
    this.calls.push([socket, dto]);
    if (dto.text === 'forbidden') throw AppError.forbidden('no');
    return ok({ text: dto.text });
  }

  @SubscribeMessage('later')
  async later(@MessageBody() dto: NoteDto): Promise<Ack<{ text: string }>> {
    await Promise.resolve();
    if (dto.text === 'missing') throw AppError.notFound('gone');
    return ok({ text: dto.text });
  }

  @SubscribeMessage('guarded')
  @UseGuards(AllowAll)
  guarded(): Ack<Record<string, never>> {
    return ok({});
  }

  @SubscribeMessage('picky')
  picky(@MessageBody('text') text: string): Ack<string> {
    return ok(text);
  }
}

/** A pipe that answers with a promise, as Nest allows: upper-cases a payload's text. */
class ShoutPipe {
  async transform(value: unknown): Promise<unknown> {
    await Promise.resolve();
    const text = (value as { text?: unknown } | undefined)?.text;
    return typeof text === 'string' ? { ...(value as object), text: text.toUpperCase() } : value;
  }
}

@UseFilters(AppExceptionFilter)
@UsePipes(ShoutPipe, WsValidationPipe)
class ShoutingGateway {
  @SubscribeMessage('shout')
  shout(@MessageBody() dto: NoteDto): Ack<{ text: string }> {
    return ok({ text: dto.text });
  }
}

const socket = { id: 's1', data: {} } as unknown as Socket;

/** Runs a compiled handler; resolves with its result and what the filter answered through reply. */
async function run(event: string, payload: unknown): Promise<{ result: unknown; replies: Array<Ack<unknown>> }> {
  const gateway = new SampleGateway();
  const handler = compileGateway(noInjector, gateway).handlers.get(event)!;
  const replies: Array<Ack<unknown>> = [];
  const result = await handler(socket, payload, (answer) => replies.push(answer), event);
  return { result, replies };
}

describe('compileGateway', () => {
  it('compiles every handler of the chat gateway', () => {
    const compiled = compileGateway(noInjector, Object.create(ChatGateway.prototype) as object);
    expect(compiled.leftToNest).toEqual(new Map());
    expect([...compiled.handlers.keys()].sort()).toEqual([
      'announce',
      'auth:refresh',
      'direct:history',
      'message:direct',
      'message:send',
      'room:history',
      'room:join',
      'room:leave',
      'typing',
    ]);
  });

  it('leaves handlers with guards or property-picking parameters to Nest, saying why', () => {
    const compiled = compileGateway(noInjector, new SampleGateway());
    expect([...compiled.handlers.keys()].sort()).toEqual(['later', 'note']);
    expect(compiled.leftToNest).toEqual(
      new Map([
        ['guarded', 'uses guards'],
        ['picky', 'parameter 0 picks a property'],
      ]),
    );
  });

  it('hands the socket and the validated DTO to the handler and returns its answer synchronously', () => {
    const gateway = new SampleGateway();
    const handler = compileGateway(noInjector, gateway).handlers.get('note')!;
    const result = handler(socket, { text: 'hi' }, () => undefined, 'note');
    expect(result).toEqual({ ok: true, data: { text: 'hi' } });
    expect(gateway.calls).toHaveLength(1);
    const [given, dto] = gateway.calls[0]!;
    expect(given).toBe(socket);
    expect(dto).toBeInstanceOf(NoteDto);
    expect(dto).toEqual({ text: 'hi' });
  });

  it('answers an invalid payload through the filter, without running the handler', async () => {
    const { result, replies } = await run('note', { text: 7 });
    expect(result).toBeUndefined();
    expect(replies).toEqual([{ ok: false, error: expect.objectContaining({ code: ErrorCode.VALIDATION_FAILED }) }]);
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

  it('awaits a pipe that answers with a promise, then runs the rest of the pipes and the handler', async () => {
    const handler = compileGateway(noInjector, new ShoutingGateway()).handlers.get('shout')!;
    const replies: Array<Ack<unknown>> = [];
    await expect(handler(socket, { text: 'hi' }, (answer) => replies.push(answer), 'shout')).resolves.toEqual({
      ok: true,
      data: { text: 'HI' },
    });
    await expect(handler(socket, { text: 7 }, (answer) => replies.push(answer), 'shout')).resolves.toBeUndefined();
    expect(replies).toEqual([{ ok: false, error: expect.objectContaining({ code: ErrorCode.VALIDATION_FAILED }) }]);
  });
});
