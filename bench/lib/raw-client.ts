import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A minimal socket.io v5 client over engine.io v4 over a hand-rolled WebSocket on a plain TCP
 * socket. It exists so one load process can hold thousands of connections and count hundreds of
 * thousands of deliveries per second without the client becoming what is measured: frames are
 * parsed in place, hot events are recognised by byte prefix, and nothing is JSON-parsed unless a
 * caller asks for it. The validation step checks it against socket.io-client.
 */

export interface SioHandlers {
  /** A server event; `packet` is the socket.io payload starting at `[` (e.g. `["message:new",{...}]`). */
  onEvent(client: SioClient, packet: Buffer): void;
  /** An ack nobody awaits (fire-and-forget requests); `body` starts at `[`. */
  onAck(client: SioClient, id: number, body: Buffer): void;
  /** The connection ended without `close()` being called. */
  onDrop(client: SioClient, reason: string): void;
}

export interface OpenOptions {
  host: string;
  port: number;
  auth: Record<string, unknown>;
  localAddress?: string;
  timeoutMs: number;
  /** Keep the `session` packet (validation reads it; load runs do not pay for it). */
  keepSession?: boolean;
}

const CR_LF_CR_LF = Buffer.from('\r\n\r\n');
/** Reads are handled synchronously one at a time, so every connection can share one buffer. */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024);
const SESSION_PREFIX = Buffer.from('["session",');
const OPCODE_CONTINUATION = 0x0;
const OPCODE_TEXT = 0x1;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const CHAR_0 = 0x30;
const CHAR_OPEN_BRACKET = 0x5b;

type State = 'upgrading' | 'engine-open' | 'connecting' | 'connected' | 'closed';

export class SioClient {
  socketId = '';
  pingsReceived = 0;
  /** The `session` event as received (`["session",{...}]`), when asked to keep it. */
  sessionPacket?: Buffer;
  private socket?: Socket;
  private state: State = 'upgrading';
  private rest?: Buffer;
  private fragments?: Buffer[];
  private nextAckId = 0;
  private pending?: Map<number, (body: Buffer) => void>;
  private settleOpen?: (error?: Error) => void;
  private closing = false;
  private authJson = '{}';
  private keepSession = false;

  constructor(
    readonly id: number,
    private readonly handlers: SioHandlers,
  ) {}

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Resolves once the server has emitted `session`, i.e. its connection handler has run. */
  open(options: OpenOptions): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.fail(new Error(`no session within ${options.timeoutMs} ms`)), options.timeoutMs);
      this.settleOpen = (error) => {
        clearTimeout(timer);
        this.settleOpen = undefined;
        if (error) reject(error);
        else resolve();
      };
      this.keepSession = options.keepSession === true;
      this.authJson = JSON.stringify(options.auth);
      // `onread` hands each read to us in one shared buffer: no stream machinery and no
      // allocation per read, which is most of a receiver's cost at high fan-out.
      const socket = connect({
        host: options.host,
        port: options.port,
        localAddress: options.localAddress,
        onread: { buffer: SHARED_READ_BUFFER, callback: (bytes) => this.onRead(bytes) },
      });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.on('connect', () => socket.write(upgradeRequest(options.host, options.port)));
      socket.on('error', (error: Error) => this.ended(error.message));
      socket.on('close', () => this.ended('socket closed'));
    });
  }

  /** Sends an event without waiting for anything; returns the ack id when one is requested. */
  emit(event: string, payloadJson: string, withAck: boolean): number {
    const id = withAck ? this.nextAckId++ : -1;
    this.sendText(`42${withAck ? id : ''}[${JSON.stringify(event)},${payloadJson}]`);
    return id;
  }

  /** Sends an event and resolves with the ack body (starting at `[`). */
  request(event: string, payloadJson: string, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const id = this.nextAckId++;
      const timer = setTimeout(() => {
        this.pending?.delete(id);
        reject(new Error(`no ack for ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending ??= new Map();
      this.pending.set(id, (body) => {
        clearTimeout(timer);
        resolve(body);
      });
      this.sendText(`42${id}[${JSON.stringify(event)},${payloadJson}]`);
    });
  }

  close(): void {
    this.closing = true;
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.socket?.destroy();
  }

  private fail(error: Error): void {
    this.settleOpen?.(error);
    this.close();
  }

  private ended(reason: string): void {
    if (this.settleOpen) return this.fail(new Error(reason));
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (!this.closing) this.handlers.onDrop(this, reason);
  }

  /** Returns true: false would pause the socket. */
  private onRead(bytes: number): boolean {
    this.onData(SHARED_READ_BUFFER.subarray(0, bytes));
    return true;
  }

  /** `chunk` is only valid during this call (it is the shared read buffer): copy what outlives it. */
  private onData(chunk: Buffer): void {
    const buffer = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let offset = 0;
    if (this.state === 'upgrading') {
      const end = buffer.indexOf(CR_LF_CR_LF);
      if (end < 0) {
        this.rest = Buffer.from(buffer);
        return;
      }
      const statusLine = buffer.toString('latin1', 0, buffer.indexOf('\r\n'));
      if (!statusLine.includes(' 101 ')) return this.fail(new Error(`upgrade refused: ${statusLine}`));
      this.state = 'engine-open';
      offset = end + 4;
    }
    while (buffer.length - offset >= 2) {
      const first = buffer[offset]!;
      const second = buffer[offset + 1]!;
      let length = second & 0x7f;
      let header = 2;
      if (length === 126) {
        if (buffer.length - offset < 4) break;
        length = buffer.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (buffer.length - offset < 10) break;
        length = buffer.readUInt32BE(offset + 2) * 2 ** 32 + buffer.readUInt32BE(offset + 6);
        header = 10;
      }
      if (buffer.length - offset < header + length) break;
      const payload = buffer.subarray(offset + header, offset + header + length);
      offset += header + length;
      this.onFrame(first & 0x0f, (first & 0x80) !== 0, payload);
      if (this.state === 'closed') return;
    }
    // Copy the partial frame so one large read buffer is not retained for a few bytes.
    if (offset < buffer.length) this.rest = Buffer.from(buffer.subarray(offset));
  }

  private onFrame(opcode: number, fin: boolean, payload: Buffer): void {
    if (opcode === OPCODE_TEXT || opcode === OPCODE_CONTINUATION) {
      if (!fin || this.fragments) {
        (this.fragments ??= []).push(Buffer.from(payload));
        if (!fin) return;
        payload = Buffer.concat(this.fragments);
        this.fragments = undefined;
      }
      this.onEnginePacket(payload);
    } else if (opcode === OPCODE_PING) {
      this.sendFrame(0x8a, payload);
    } else if (opcode === OPCODE_CLOSE) {
      this.ended(`websocket close ${payload.length >= 2 ? payload.readUInt16BE(0) : ''}`.trim());
      this.socket?.destroy();
    }
  }

  private onEnginePacket(packet: Buffer): void {
    const engineType = packet[0]! - CHAR_0;
    if (engineType === 4) return this.onSocketIoPacket(packet);
    if (engineType === 2) {
      this.pingsReceived += 1;
      return this.sendText('3');
    }
    if (engineType === 0 && this.state === 'engine-open') {
      this.state = 'connecting';
      return this.sendText(`40${this.authJson}`);
    }
    if (engineType === 1) this.ended('engine.io close');
  }

  private onSocketIoPacket(packet: Buffer): void {
    const type = packet[1]! - CHAR_0;
    if (type === 2) {
      const body = packet.subarray(2);
      if (this.state === 'connecting' && startsWith(body, SESSION_PREFIX)) {
        this.state = 'connected';
        if (this.keepSession) this.sessionPacket = Buffer.from(body);
        this.settleOpen?.();
        return;
      }
      return this.handlers.onEvent(this, body);
    }
    if (type === 3) {
      let id = 0;
      let index = 2;
      while (index < packet.length && packet[index] !== CHAR_OPEN_BRACKET) {
        id = id * 10 + (packet[index]! - CHAR_0);
        index += 1;
      }
      const body = packet.subarray(index);
      const waiter = this.pending?.get(id);
      if (waiter) {
        this.pending!.delete(id);
        return waiter(Buffer.from(body));
      }
      return this.handlers.onAck(this, id, body);
    }
    if (type === 0) {
      this.socketId = (JSON.parse(packet.toString('utf8', 2)) as { sid: string }).sid;
      return;
    }
    if (type === 4) return this.fail(new Error(`connect_error ${packet.toString('utf8', 2)}`));
    if (type === 1) this.ended('server disconnect');
  }

  private sendText(text: string): void {
    if (this.state === 'closed' || !this.socket) return;
    this.sendFrame(0x81, text);
  }

  /**
   * Client frames must be masked; a zero mask is valid and leaves the payload as is, which
   * saves the XOR pass.
   */
  private sendFrame(firstByte: number, payload: string | Buffer): void {
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
    const frame = Buffer.allocUnsafe(header + 4 + length);
    frame[0] = firstByte;
    if (header === 2) {
      frame[1] = 0x80 | length;
    } else if (header === 4) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(length, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeUInt32BE(0, 2);
      frame.writeUInt32BE(length, 6);
    }
    frame.writeUInt32BE(0, header);
    if (typeof payload === 'string') frame.write(payload, header + 4, 'utf8');
    else payload.copy(frame, header + 4);
    this.socket!.write(frame);
  }
}

function upgradeRequest(host: string, port: number): string {
  return (
    'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n' +
    `Host: ${host}:${port}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
    'Sec-WebSocket-Version: 13\r\n\r\n'
  );
}

export function startsWith(buffer: Buffer, prefix: Buffer, at = 0): boolean {
  if (buffer.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i += 1) if (buffer[at + i] !== prefix[i]) return false;
  return true;
}
