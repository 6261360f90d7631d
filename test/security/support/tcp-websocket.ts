import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { within } from '../../support/clients.js';

const OPCODE_TEXT = 0x1;
const OPCODE_CONTINUATION = 0x0;

/** One client-to-server WebSocket frame (always masked, as RFC 6455 requires of clients). */
export function wsFrame(payload: Buffer, { fin, opcode }: { fin: boolean; opcode: number }): Buffer {
  const length = payload.length;
  const header: number[] = [(fin ? 0x80 : 0) | opcode];
  if (length < 126) header.push(0x80 | length);
  else if (length < 65536) header.push(0x80 | 126, length >> 8, length & 0xff);
  else throw new Error('frames over 64 KiB are not needed here');
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i % 4]!;
  return Buffer.concat([Buffer.from(header), mask, masked]);
}

/** A text message split into `count` fragments of `size` bytes: first frame, continuations, no final frame. */
export function fragmentFlood(count: number, size: number): Buffer {
  const chunk = Buffer.alloc(size, 'a');
  const frames = [wsFrame(chunk, { fin: false, opcode: OPCODE_TEXT })];
  for (let i = 1; i < count; i++) frames.push(wsFrame(chunk, { fin: false, opcode: OPCODE_CONTINUATION }));
  return Buffer.concat(frames);
}

/**
 * A raw TCP connection to the gateway's socket.io path, for requests no WebSocket library sends
 * (an upgrade carrying a body, hand-made frames).
 */
export class TcpClient {
  received = Buffer.alloc(0);
  readonly ended: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    // Resets are one of the ways a server may end an abusive connection.
    socket.on('error', () => socket.destroy());
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(baseUrl: string): Promise<TcpClient> {
    const { hostname, port } = new URL(baseUrl);
    const socket = connect(Number(port), hostname);
    await within(new Promise<void>((resolve) => socket.once('connect', () => resolve())), 'TCP connect');
    return new TcpClient(socket);
  }

  /** The upgrade request line and headers for the socket.io WebSocket endpoint. */
  static upgradeRequest(host: string, extraHeaders: string[] = []): string {
    return [
      'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1',
      `Host: ${host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      ...extraHeaders,
      '',
      '',
    ].join('\r\n');
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until the response headers arrived; returns the status line. */
  async statusLine(): Promise<string> {
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (this.received.includes('\r\n\r\n')) {
            this.socket.off('data', check);
            resolve();
          }
        };
        this.socket.on('data', check);
        this.socket.once('close', () => resolve());
        check();
      }),
      'an HTTP response',
    );
    return this.received.toString('latin1').split('\r\n')[0] ?? '';
  }

  waitEnded(what: string, ms?: number): Promise<void> {
    return within(this.ended, what, ms);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
