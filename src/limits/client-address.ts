import type { IncomingMessage } from 'node:http';

/**
 * The client's address: behind a trusted proxy, the last X-Forwarded-For entry (the peer that
 * proxy saw and appended; anything before it was sent by the client and can be forged), else
 * the TCP peer.
 */
export function clientAddress(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = request.headers['x-forwarded-for'];
    const forwarded = Array.isArray(header) ? header.join(',') : header;
    const last = forwarded?.split(',').at(-1)?.trim();
    if (last) return last;
  }
  return request.socket.remoteAddress ?? 'unknown';
}
