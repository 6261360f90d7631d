import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallHandler, CanActivate, ExecutionContext, INestApplication, NestInterceptor, PipeTransform } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { createApp } from '../../src/bootstrap.js';
import { CHAT_EVENTS, ChatGateway } from '../../src/chat/chat.gateway.js';
import { compileGateway } from '../../src/chat/compiled-gateway.js';
import { loadConfig } from '../../src/config/app-config.js';
import { type RunningApp, startApp, TEST_ENV } from '../support/app.js';

/**
 * Socket events run through direct calls built from ChatGateway's event table (see compileGateway),
 * which cannot apply global pipes, guards or interceptors as Nest's own path would: the application
 * registers none, and start-up fails when one is registered.
 */
describe('socket event dispatch in the real application', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp();
  });

  afterAll(() => running.close());

  it('compiles every client event of the contract with the injector of the running app', () => {
    const compiled = compileGateway(running.app, running.app.get(ChatGateway), CHAT_EVENTS);
    expect([...compiled.keys()].sort()).toEqual([
      'announce',
      'auth:refresh',
      'direct:history',
      'message:delete',
      'message:direct',
      'message:edit',
      'message:send',
      'room:ban',
      'room:forget',
      'room:history',
      'room:join',
      'room:leave',
      'room:mute',
      'room:read',
      'room:unban',
      'room:unmute',
      'rooms:list',
      'typing',
    ]);
  });

  it('registers no global pipes, guards or interceptors, the REST rate limit included', () => {
    const config = running.app.get(ApplicationConfig, { strict: false });
    expect(config.getGlobalPipes()).toEqual([]);
    expect(config.getGlobalGuards()).toEqual([]);
    expect(config.getGlobalInterceptors()).toEqual([]);
    expect(config.getGlobalRequestPipes()).toEqual([]);
    expect(config.getGlobalRequestGuards()).toEqual([]);
    expect(config.getGlobalRequestInterceptors()).toEqual([]);
  });
});

describe('start-up with a global enhancer', () => {
  class AllowAll implements CanActivate {
    canActivate(_context: ExecutionContext): boolean {
      return true;
    }
  }
  class PassThroughPipe implements PipeTransform {
    transform(value: unknown): unknown {
      return value;
    }
  }
  class PassThroughInterceptor implements NestInterceptor {
    intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
      return next.handle();
    }
  }

  const cases: Array<[string, (app: INestApplication) => void, string]> = [
    ['a global guard', (app) => app.useGlobalGuards(new AllowAll()), '1 global guards registered'],
    ['a global pipe', (app) => app.useGlobalPipes(new PassThroughPipe()), '1 global pipes registered'],
    ['a global interceptor', (app) => app.useGlobalInterceptors(new PassThroughInterceptor()), '1 global interceptors registered'],
  ];

  it.each(cases)('fails with %s, which socket events would skip', async (_name, register, message) => {
    const app = await createApp(loadConfig(TEST_ENV));
    try {
      register(app);
      await expect(app.listen(0, '127.0.0.1')).rejects.toThrow(message);
    } finally {
      await app.close();
    }
  });
});
