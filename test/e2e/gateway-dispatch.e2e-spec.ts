import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApplicationConfig } from '@nestjs/core';
import { ChatGateway } from '../../src/chat/chat.gateway.js';
import { compileGateway } from '../../src/chat/compiled-gateway.js';
import { type RunningApp, startApp } from '../support/app.js';

/**
 * Socket events skip Nest's generic context (see compileGateway), which would also apply global
 * pipes, guards and interceptors: this fails as soon as the application registers one.
 */
describe('socket event dispatch in the real application', () => {
  let running: RunningApp;

  beforeAll(async () => {
    running = await startApp();
  });

  afterAll(() => running.close());

  it('compiles every gateway handler with the injector of the running app', () => {
    const compiled = compileGateway(running.app, running.app.get(ChatGateway));
    expect(compiled.leftToNest).toEqual(new Map());
    expect(compiled.handlers.size).toBe(9);
  });

  it('registers no global pipes, guards or interceptors for sockets, which compiled handlers would not run', () => {
    // Nest keeps them in the application's (internal) config.
    const config = (running.app as unknown as { config: ApplicationConfig }).config;
    expect(config.getGlobalPipes()).toEqual([]);
    expect(config.getGlobalGuards()).toEqual([]);
    expect(config.getGlobalInterceptors()).toEqual([]);
    expect(config.getGlobalRequestPipes()).toEqual([]);
    expect(config.getGlobalRequestGuards()).toEqual([]);
    expect(config.getGlobalRequestInterceptors()).toEqual([]);
  });
});
