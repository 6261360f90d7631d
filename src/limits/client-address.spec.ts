import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from '@jest/globals';
import { clientAddress } from './client-address.js';

function req(forwarded?: string | string[], peer: string | null = '10.0.0.9'): IncomingMessage {
  const headers = forwarded === undefined ? {} : { 'x-forwarded-for': forwarded };
  return { headers, socket: { remoteAddress: peer ?? undefined } } as unknown as IncomingMessage;
}

describe('clientAddress', () => {
  it('is the TCP peer unless a proxy is trusted', () => {
    expect(clientAddress(req('1.2.3.4'), false)).toBe('10.0.0.9');
    expect(clientAddress(req(undefined, null), false)).toBe('unknown');
  });

  it('behind a trusted proxy is the entry that proxy appended (the last), never a client-supplied one', () => {
    expect(clientAddress(req('203.0.113.7'), true)).toBe('203.0.113.7');
    expect(clientAddress(req('198.51.100.1, 203.0.113.7'), true)).toBe('203.0.113.7');
    expect(clientAddress(req(' spoofed ,  198.51.100.2 ,203.0.113.7 '), true)).toBe('203.0.113.7');
    expect(clientAddress(req(['198.51.100.1', '203.0.113.8']), true)).toBe('203.0.113.8');
  });

  it('falls back to the peer when the header is empty', () => {
    expect(clientAddress(req(''), true)).toBe('10.0.0.9');
    expect(clientAddress(req('1.1.1.1, '), true)).toBe('10.0.0.9');
  });
});
