import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import type { Server } from 'socket.io';
import { loadConfig } from '../config/app-config.js';
import { AddressConnectionCounter, type EngineConnection } from './address-connection-counter.js';

function request(peer: string, forwarded?: string): IncomingMessage {
  return { headers: forwarded ? { 'x-forwarded-for': forwarded } : {}, socket: { remoteAddress: peer } } as unknown as IncomingMessage;
}

interface Opened {
  connection: EngineConnection;
  close(): void;
}

function setup(env: Record<string, string>): { counter: AddressConnectionCounter; open(req: IncomingMessage): Opened } {
  const counter = new AddressConnectionCounter(loadConfig(env));
  const engine = new EventEmitter();
  counter.attach({ engine } as unknown as Server);
  return {
    counter,
    open(req) {
      const connection = Object.assign(new EventEmitter(), { request: req });
      engine.emit('connection', connection);
      return { connection, close: () => connection.emit('close') };
    },
  };
}

describe('AddressConnectionCounter', () => {
  it('counts open transport connections per address and releases them on close', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '2' });
    const { close: closeA } = open(request('10.0.0.1'));
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

  it('admits everything with a cap of 0', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '0' });
    for (let i = 0; i < 5; i++) counter.claimSocket(open(request('10.0.0.1')).connection, '/');
    expect(counter.admits(request('10.0.0.1'))).toBe(true);
  });

  it('lets a connection carry one socket per namespace, pending or connected, until it is released', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '0' });
    const { connection } = open(request('10.0.0.1'));
    const release = counter.claimSocket(connection, '/');
    expect(() => counter.claimSocket(connection, '/')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    // Another connection of the same address has its own slot.
    counter.claimSocket(open(request('10.0.0.1')).connection, '/');
    release();
    release();
    const again = counter.claimSocket(connection, '/');
    expect(typeof again).toBe('function');
  });

  it('counts a connection once per socket it carries, at least once', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '3' });
    const first = open(request('10.0.0.1'));
    open(request('10.0.0.1'));
    expect(counter.count('10.0.0.1')).toBe(2);
    const releaseChat = counter.claimSocket(first.connection, '/');
    expect(counter.count('10.0.0.1')).toBe(2);
    const releaseAdmin = counter.claimSocket(first.connection, '/admin');
    expect(counter.count('10.0.0.1')).toBe(3);
    expect(() => counter.claimSocket(first.connection, '/other')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    releaseAdmin();
    expect(counter.count('10.0.0.1')).toBe(2);
    releaseChat();
    expect(counter.count('10.0.0.1')).toBe(2);
    counter.claimSocket(first.connection, '/');
    counter.claimSocket(first.connection, '/admin');
    first.close();
    // Releases after the close change nothing.
    releaseAdmin();
    expect(counter.count('10.0.0.1')).toBe(1);
  });

  it('refuses a socket on a transport that got in over the cap (admitted together with others)', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '2' });
    const opened = [open(request('10.0.0.1')), open(request('10.0.0.1')), open(request('10.0.0.1'))];
    expect(() => counter.claimSocket(opened[2]!.connection, '/')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    opened[0]!.close();
    expect(typeof counter.claimSocket(opened[2]!.connection, '/')).toBe('function');
  });

  it('refuses a claim on a closed connection', () => {
    const { counter, open } = setup({ MAX_CONNECTIONS_PER_ADDRESS: '0' });
    const { connection, close } = open(request('10.0.0.1'));
    close();
    expect(() => counter.claimSocket(connection, '/')).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
  });
});
