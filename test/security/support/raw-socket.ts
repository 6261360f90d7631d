import WebSocket, { type RawData } from 'ws';
import { within } from '../../support/clients.js';

export type Frame = string | Buffer;

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A plain WebSocket speaking engine.io v4 / socket.io v5 framing by hand, so tests can send what
 * no well-behaved client would. It answers pings, so only the test decides when it misbehaves.
 */
export class RawSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Closed>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const frame = isBinary ? toBuffer(data) : toBuffer(data).toString('utf8');
      if (frame === '2') ws.send('3');
      this.frames.push(frame);
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters) wake();
      });
    });
    // A refused or reset connection shows up as 'close' too; the error itself is expected here.
    ws.on('error', (error) => this.frames.push(`error:${error.message}`));
  }

  /** Opens the WebSocket and waits for engine.io's open packet (`0{...}`). */
  static async open(
    baseUrl: string,
    headers: Record<string, string> = {},
    query = 'EIO=4&transport=websocket',
    localAddress?: string,
  ): Promise<RawSocket> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?${query}`;
    const raw = new RawSocket(new WebSocket(url, { headers, localAddress }));
    await raw.next((frame) => typeof frame === 'string' && frame.startsWith('0{'), 'engine.io open packet');
    return raw;
  }

  /** Starts a connection without waiting for anything (for refusals). */
  static attempt(baseUrl: string, headers: Record<string, string> = {}): RawSocket {
    return new RawSocket(new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, { headers }));
  }

  send(...frames: Frame[]): void {
    for (const frame of frames) this.ws.send(frame);
  }

  /** Socket.io CONNECT to "/" with an auth payload; resolves with the answer (`40{...}` or `44{...}`). */
  async connect(auth: object): Promise<string> {
    this.send(`40${JSON.stringify(auth)}`);
    return (await this.next((f) => typeof f === 'string' && /^4[04]/.test(f), 'socket.io CONNECT answer')) as string;
  }

  /** The first frame (already received or coming) that matches, within the usual wait. */
  async next(match: (frame: Frame) => boolean, what: string, ms?: number): Promise<Frame> {
    const found = (): Frame | undefined => this.frames.find(match);
    return within(
      new Promise<Frame>((resolve, reject) => {
        const check = (): void => {
          const frame = found();
          if (frame !== undefined) resolve(frame);
          else if (this.ws.readyState === WebSocket.CLOSED) reject(new Error(`closed before ${what}`));
          else return;
          this.waiters = this.waiters.filter((w) => w !== check);
        };
        this.waiters.push(check);
        check();
      }),
      what,
      ms,
    );
  }

  /** Resolves when the server closes the connection. */
  waitClosed(what: string, ms?: number): Promise<Closed> {
    return within(this.closed, what, ms);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close(): void {
    this.ws.terminate();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Socket.io events (`42[...]`) decoded from engine.io message frames. */
export function socketEvents(frames: Frame[]): Array<[string, ...unknown[]]> {
  return frames
    .filter((f): f is string => typeof f === 'string' && f.startsWith('42'))
    .map((f) => JSON.parse(f.slice(2)) as [string, ...unknown[]]);
}
