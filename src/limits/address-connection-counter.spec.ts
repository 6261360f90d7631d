import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import type { Server } from 'socket.io';
import { loadConfig } from '../config/app-config.js';
import { AddressConnectionCounter } from './address-connection-counter.js';

function request(peer: string, forwarded?: string): IncomingMessage {
  return { headers: forwarded ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
}

function setup(env: Record<string, string>): { counter: AddressConnectionCounter; open(req: IncomingMessage): () => void } {
  const counter = new AddressConnectionCounter(loadConfig(env));
  const engine = new EventEmitter();
  counter.attach({ engine } as unknown as Server);
  return {
    counter,
    open(req) {
      const connection = new EventEmitter();
      engine.emit('connection', Object.assign(connection, { request: req }));
      return () => connection.emit('close');
    },
  };
}

describe('AddressConnectionCounter', () => {
  it('counts open transport connections per address and releases them on close', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '2' });
    const closeA = open(request('10.0.0.1'));
    open(request('10.0.0.1'));
    open(request('10.0.0.2'));
    expect(counter.count('10.0.0.1')).toBe(2);
    expect(counter.admits(request('10.0.0.1'))).toBe(false);
    expect(counter.admits(request('10.0.0.2'))).toBe(true);
    closeA();
    closeA();
    expect(counter.count('10.0.0.1')).toBe(1);
    expect(counter.admits(request('10.0.0.1'))).toBe(true);
  });

  it('keys on the proxy-appended address when TRUST_PROXY is set', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '1', TRUST_PROXY: 'true' });
    open(request('10.0.0.1', 'spoof-1, 203.0.113.7'));
    expect(counter.admits(request('10.0.0.1', 'spoof-2, 203.0.113.7'))).toBe(false);
    expect(counter.admits(request('10.0.0.1', '203.0.113.8'))).toBe(true);
  });

  it('is off with a cap of 0: nothing is tracked and everything is admitted', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '0' });
    for (let i = 0; i < 5; i++) open(request('10.0.0.1'));
    expect(counter.count('10.0.0.1')).toBe(0);
    expect(counter.admits(request('10.0.0.1'))).toBe(true);
  });
});
