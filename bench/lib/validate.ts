import { io, type Socket } from 'socket.io-client';
import { eventually, WAIT_MS, within } from '../../test/support/wait.js';
import { SioClient } from './raw-client.js';

/**
 * Correctness before speed: the same short conversation is played against a server once with
 * socket.io-client and once with the raw load client, and against both servers. The raw client
 * must see exactly what socket.io-client sees, and the hot path must look the same on the
 * gateway and the reference, or the figures would not compare like with like.
 */

/** One client's view: every event and ack in arrival order, volatile values blanked. */
export type Transcript = Record<string, string[]>;

export interface ServerValidation {
  url: string;
  socketIoClient: Transcript;
  raw: Transcript;
  rawMatchesSocketIoClient: boolean;
  mismatches: string[];
}

export interface Validation {
  passed: boolean;
  gateway: ServerValidation;
  reference: ServerValidation;
  /** Hot-path lines that differ between the servers (a failure). */
  hotPathDifferences: string[];
  /** Events only one server sends, outside the hot path (informational). */
  extraEvents: string[];
}

const HOT_EVENTS = new Set(['session', 'message:new', 'message:direct', 'ack:room:join', 'ack:message:send', 'ack:message:direct']);
const VOLATILE_KEYS = new Set(['id', 'sentAt', 'socketId']);

/** Minimal driver interface both client kinds implement for the script below. */
interface Driver {
  request(event: string, payload: unknown): Promise<unknown>;
  close(): void;
}

function normalize(value: unknown, key?: string): unknown {
  if (key !== undefined && VOLATILE_KEYS.has(key) && typeof value === 'string') return `<${key}>`;
  if (Array.isArray(value)) return value.map((v) => normalize(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, normalize((value as Record<string, unknown>)[k], k)]),
    );
  }
  return value;
}

function line(kind: string, payload: unknown): string {
  return `${kind} ${JSON.stringify(normalize(payload))}`;
}

async function socketIoDriver(url: string, username: string, log: string[]): Promise<Driver> {
  const socket: Socket = io(url, { auth: { username }, transports: ['websocket'], reconnection: false, forceNew: true });
  socket.onAny((event: string, payload: unknown) => log.push(line(event, payload)));
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once('session', () => resolve());
      socket.once('connect_error', reject);
    }),
    `validation: session of ${username}`,
  );
  return {
    async request(event, payload) {
      const ack: unknown = await within(socket.timeout(WAIT_MS).emitWithAck(event, payload), `validation: ack of ${event}`);
      log.push(line(`ack:${event}`, ack));
      return ack;
    },
    close: () => socket.disconnect(),
  };
}

async function rawDriver(url: string, username: string, log: string[]): Promise<Driver> {
  const { hostname, port } = new URL(url);
  const client = new SioClient(0, {
    onEvent: (_c, packet) => {
      const [event, payload] = JSON.parse(packet.toString('utf8')) as [string, unknown];
      log.push(line(event, payload));
    },
    onAck: () => undefined,
    onDrop: () => undefined,
  });
  await client.open({ host: hostname, port: Number(port), auth: { username }, timeoutMs: WAIT_MS, keepSession: true });
  const [event, session] = JSON.parse(client.sessionPacket!.toString('utf8')) as [string, unknown];
  log.push(line(event, session));
  return {
    async request(event, payload) {
      const body = await client.request(event, JSON.stringify(payload), WAIT_MS);
      const [ack] = JSON.parse(body.toString('utf8')) as [unknown];
      log.push(line(`ack:${event}`, ack));
      return ack;
    },
    close: () => client.close(),
  };
}

type DriverFactory = (url: string, username: string, log: string[]) => Promise<Driver>;

/** The scripted conversation: three users, one room message, one direct message, barriers. */
async function conversation(url: string, driver: DriverFactory): Promise<Transcript> {
  const names = ['va', 'vb', 'vc'] as const;
  const logs: Record<string, string[]> = { va: [], vb: [], vc: [] };
  const clients: Driver[] = [];
  try {
    for (const name of names) clients.push(await driver(url, name, logs[name]!));
    const [a, b, c] = clients as [Driver, Driver, Driver];
    for (const client of clients) await client.request('room:join', { room: 'validation' });
    await a.request('message:send', { room: 'validation', text: 'hello room' });
    await waitForLine(logs.vb!, 'message:new');
    await waitForLine(logs.vc!, 'message:new');
    await a.request('message:direct', { to: 'vb', text: 'hello bob' });
    await waitForLine(logs.vb!, 'message:direct');
    // Barriers: a round trip on each connection proves nothing else was still on its way.
    for (const client of [a, b, c]) await client.request('room:join', { room: 'barrier' });
    return logs;
  } finally {
    for (const client of clients) client.close();
  }
}

async function waitForLine(log: string[], event: string): Promise<void> {
  await eventually(() => log.some((l) => l.startsWith(`${event} `)), `validation: ${event} arrived`);
}

/** The barrier room's member list depends on join timing; it is not part of the contract check. */
function comparable(transcript: Transcript, hotOnly: boolean): Transcript {
  return Object.fromEntries(
    Object.entries(transcript).map(([who, lines]) => [
      who,
      lines.filter((l) => !l.includes('"room":"barrier"') && (!hotOnly || HOT_EVENTS.has(l.slice(0, l.indexOf(' '))))),
    ]),
  );
}

function diff(left: Transcript, right: Transcript, leftName: string, rightName: string): string[] {
  const problems: string[] = [];
  for (const who of new Set([...Object.keys(left), ...Object.keys(right)])) {
    const l = left[who] ?? [];
    const r = right[who] ?? [];
    for (let i = 0; i < Math.max(l.length, r.length); i += 1) {
      if (l[i] !== r[i]) problems.push(`${who} #${i}: ${leftName}=${l[i] ?? '(none)'} ${rightName}=${r[i] ?? '(none)'}`);
    }
  }
  return problems;
}

/** A server started for one conversation only, so both clients meet the same fresh state. */
export interface FreshServer {
  url: string;
  stop(): Promise<void>;
}

async function onFreshServer(start: () => Promise<FreshServer>, driver: DriverFactory): Promise<{ url: string; transcript: Transcript }> {
  const server = await start();
  try {
    return { url: server.url, transcript: await conversation(server.url, driver) };
  } finally {
    await server.stop();
  }
}

async function validateServer(start: () => Promise<FreshServer>): Promise<ServerValidation> {
  const { url, transcript: socketIoClient } = await onFreshServer(start, socketIoDriver);
  const { transcript: raw } = await onFreshServer(start, rawDriver);
  const mismatches = diff(comparable(socketIoClient, false), comparable(raw, false), 'socket.io-client', 'raw');
  return { url, socketIoClient, raw, rawMatchesSocketIoClient: mismatches.length === 0, mismatches };
}

export async function validate(startGateway: () => Promise<FreshServer>, startReference: () => Promise<FreshServer>): Promise<Validation> {
  const gateway = await validateServer(startGateway);
  const reference = await validateServer(startReference);
  const hotPathDifferences = diff(
    comparable(gateway.socketIoClient, true),
    comparable(reference.socketIoClient, true),
    'gateway',
    'reference',
  );
  const events = (t: Transcript): Set<string> => new Set(Object.values(t).flatMap((lines) => lines.map((l) => l.slice(0, l.indexOf(' ')))));
  const gatewayEvents = events(gateway.socketIoClient);
  const referenceEvents = events(reference.socketIoClient);
  const extraEvents = [
    ...[...gatewayEvents].filter((e) => !referenceEvents.has(e)).map((e) => `gateway only: ${e}`),
    ...[...referenceEvents].filter((e) => !gatewayEvents.has(e)).map((e) => `reference only: ${e}`),
  ];
  return {
    passed: gateway.rawMatchesSocketIoClient && reference.rawMatchesSocketIoClient && hotPathDifferences.length === 0,
    gateway,
    reference,
    hotPathDifferences,
    extraEvents,
  };
}
