import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { within } from '../../support/clients.js';

/** Separates engine.io packets in one long-polling payload. */
export const RECORD_SEPARATOR = '\x1e';

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One HTTP request on a connection of its own, read to the end. */
function exchange(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
  return within(
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = request(url, { method, headers: { ...headers, 'Content-Type': 'text/plain;charset=UTF-8' }, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    }),
    `${method} ${url}`,
    30_000,
  );
}

/**
 * A poll that reads the first chunk of its response (so the client knows the server answered)
 * and then never reads again: the rest stays in the kernel's buffers, then in the server's.
 */
export class StalledPoll {
  readonly socket: Socket;
  private firstChunk = '';
  private readonly started: Promise<void>;

  constructor(baseUrl: string, path: string, headers: Record<string, string> = {}) {
    const { hostname, port } = new URL(baseUrl);
    this.socket = connect(Number(port), hostname);
    this.socket.on('error', () => this.socket.destroy());
    const lines = [`GET ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, 'Connection: keep-alive'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    this.started = new Promise<void>((resolve) => {
      this.socket.once('data', (data: Buffer) => {
        this.socket.pause();
        this.firstChunk = data.toString('latin1');
        resolve();
      });
      this.socket.once('close', () => resolve());
    });
  }

  /** Whether the response started within waitMs (false: still waiting for something to send). */
  async answered(waitMs: number): Promise<boolean> {
    try {
      await within(this.started, 'the first bytes of a poll', waitMs);
      return this.firstChunk !== '';
    } catch {
      return false;
    }
  }

  get status(): number {
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.firstChunk)?.[1] ?? 0);
  }

  /** The status line and headers (as far as the first chunk carried them). */
  get head(): string {
    const end = this.firstChunk.indexOf('\r\n\r\n');
    return end < 0 ? this.firstChunk : this.firstChunk.slice(0, end);
  }

  /** The part of the body that came with the first chunk. */
  get bodyStart(): string {
    const end = this.firstChunk.indexOf('\r\n\r\n');
    return end < 0 ? '' : this.firstChunk.slice(end + 4);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * An engine.io v4 long-polling client written by hand: one HTTP connection per request, packets
 * joined with the record separator, so a test can put many packets in one POST.
 */
export class RawPoller {
  private constructor(
    readonly baseUrl: string,
    readonly sid: string,
    private readonly headers: Record<string, string>,
  ) {}

  /** Opens a session (the handshake GET) and returns its poller. */
  static async open(baseUrl: string, headers: Record<string, string> = {}): Promise<RawPoller> {
    const answer = await exchange(`${baseUrl}/socket.io/?EIO=4&transport=polling`, 'GET', headers);
    if (answer.status !== 200 || !answer.body.startsWith('0{')) throw new Error(`handshake refused: ${answer.status} ${answer.body}`);
    const { sid } = JSON.parse(answer.body.slice(1)) as { sid: string };
    return new RawPoller(baseUrl, sid, headers);
  }

  get path(): string {
    return `/socket.io/?EIO=4&transport=polling&sid=${encodeURIComponent(this.sid)}`;
  }

  /** POSTs engine.io packets in one payload; resolves with the status (200 when taken). */
  async send(...packets: string[]): Promise<number> {
    return (await exchange(`${this.baseUrl}${this.path}`, 'POST', this.headers, packets.join(RECORD_SEPARATOR))).status;
  }

  /** One poll, read to the end: its status and packets. Pings are answered. */
  async poll(): Promise<{ status: number; packets: string[] }> {
    const answer = await exchange(`${this.baseUrl}${this.path}`, 'GET', this.headers);
    const packets = answer.status === 200 ? answer.body.split(RECORD_SEPARATOR) : [];
    if (packets.includes('2')) await this.send('3');
    return { status: answer.status, packets };
  }

  /** Polls until `count` packets matching `match` have arrived; returns every packet received. */
  async collect(match: (packet: string) => boolean, count: number, what: string): Promise<string[]> {
    const received: string[] = [];
    await within(
      (async () => {
        while (received.filter(match).length < count) {
          const { status, packets } = await this.poll();
          if (status !== 200) throw new Error(`poll answered ${status} before ${what}`);
          received.push(...packets);
        }
      })(),
      what,
    );
    return received;
  }

  /** Starts a poll that will never be read past the first chunk of its response. */
  stalledPoll(headers: Record<string, string> = {}): StalledPoll {
    return new StalledPoll(this.baseUrl, this.path, { ...this.headers, ...headers });
  }
}
