import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { MessagePage, Message } from '../../src/contract.js';
import { connect } from '../support/clients.js';
import { GatewayProcess, type MemorySample } from '../support/gateway-process.js';
import { eventually } from '../support/suite.js';
import { RawPoller, type StalledPoll } from './support/raw-polling.js';

const MiB = 1024 * 1024;
/** MAX_BUFFERED_BYTES's default, which the first server keeps. */
const DEFAULT_MAX_BUFFERED_BYTES = 1 * MiB;
const ROOM = 'archive';
/** Twenty 1 MB messages of random text (HTTP compression cannot shrink it): a page of history is a 20 MB reply. */
const MESSAGES = 20;
const MESSAGE_CHARS = 1_000_000;
/**
 * The env every server here gets: messages, packets and replies that large, no rate limit in the
 * way. The reply budget (MAX_REPLY_BYTES) would cut each page to 512 KiB; raised to its maximum so
 * that what is tested is the buffer bound alone, against replies far larger than it.
 */
const BIG_MESSAGES: Record<string, string> = {
  MAX_MESSAGE_LENGTH: String(MESSAGE_CHARS),
  MAX_REPLY_BYTES: String(64 * MiB),
  MAX_PAYLOAD_BYTES: String(2 * MiB),
  RATE_LIMIT_PER_SECOND: '100000',
  RATE_LIMIT_BURST: '100000',
};
/** Uncompressed responses, or gzipped ones as browsers ask for (engine.io then compresses large responses). */
const IDENTITY = { 'Accept-Encoding': 'identity' };
const GZIP = { 'Accept-Encoding': 'gzip' };
/** Uncompressed polls, each opened as soon as the previous one is answered: replies pile up in several. */
const REPOLLING: AttackOptions = { replies: 4, headers: IDENTITY, repoll: true };
/** How long the attacker waits for a poll to be answered before it stops polling. */
const POLL_PATIENCE_MS = 3000;

/**
 * Heap, external and ArrayBuffer memory: what a socket has not written yet sits in an ArrayBuffer
 * that, depending on how it was allocated, shows in `arrayBuffers` only. Counting a buffer twice
 * only makes the bound stricter.
 */
function retained(memory: MemorySample): number {
  return memory.heapUsed + memory.external + memory.arrayBuffers;
}

/** Stores the archive; returns the length of one page as a reply packet carries it. */
async function fillArchive(server: GatewayProcess): Promise<number> {
  const writer = await connect(server.url, 'archivist');
  try {
    await writer.ok('room:join', { room: ROOM, historyLimit: 0 });
    // One at a time: each ack carries the 1 MB message back, and the writer reads as it goes.
    for (let i = 0; i < MESSAGES; i++)
      await writer.ok('message:send', { room: ROOM, text: randomBytes((MESSAGE_CHARS / 4) * 3).toString('base64') });
    const page = await writer.ok<MessagePage<Message>>('room:history', { room: ROOM, limit: MESSAGES }, 20_000);
    expect(page.messages).toHaveLength(MESSAGES);
    return JSON.stringify([{ ok: true, data: page }]).length;
  } finally {
    writer.close();
  }
}

interface Attack {
  poller: RawPoller;
  /** Every poll the attacker opened: answered, never read past the first chunk. */
  polls: StalledPoll[];
}

interface AttackOptions {
  /** Pages of history asked for in one POST. */
  replies: number;
  /** Headers of its polls (Accept-Encoding). */
  headers: Record<string, string>;
  /** Open the next poll as soon as the previous one is answered (else keep just the first). */
  repoll: boolean;
}

/**
 * A long-polling client that asks for pages of history in one POST and never reads the answers:
 * it keeps a poll open and, when repolling, opens the next one as soon as the previous one is
 * answered, until the server ends the session or has nothing more to send.
 */
async function neverReadingPoller(server: GatewayProcess, username: string, options: AttackOptions): Promise<Attack> {
  const poller = await RawPoller.open(server.url);
  expect(await poller.send(`40${JSON.stringify({ username })}`)).toBe(200);
  await poller.collect((p) => p.startsWith('42["session"'), 1, 'the session event');
  const polls = [poller.stalledPoll(options.headers)];
  const requests = Array.from(
    { length: options.replies },
    (_, i) => `42${i}["room:history",${JSON.stringify({ room: ROOM, limit: MESSAGES })}]`,
  );
  expect(await poller.send(...requests)).toBe(200);
  for (;;) {
    const poll = polls[polls.length - 1]!;
    const answered = await poll.answered(POLL_PATIENCE_MS);
    // "1" alone is engine.io's close packet: the server ended the session.
    if (!options.repoll || !answered || poll.status !== 200 || poll.bodyStart === '1') break;
    polls.push(poller.stalledPoll(options.headers));
  }
  return { poller, polls };
}

/** Asked with a POST (a noop packet): a GET would overlap the attacker's open poll and end the session itself. */
async function sessionGone(poller: RawPoller): Promise<boolean> {
  return (await poller.send('6')) === 400;
}

/** The attacker lets go of its connections. */
function hangUp(attack: Attack): void {
  for (const poll of attack.polls) poll.destroy();
}

describe('a long-polling client that never reads (server process)', () => {
  let server: GatewayProcess;
  let replyChars = 0;
  const attacks: Attack[] = [];

  afterEach(() => attacks.splice(0).forEach(hangUp));

  describe('with MAX_BUFFERED_BYTES at its default (1 MiB)', () => {
    beforeAll(async () => {
      server = await GatewayProcess.start(BIG_MESSAGES, { probe: true });
      replyChars = await fillArchive(server);
    }, 60_000);
    afterAll(() => server?.stop());

    it('is closed at the first reply past the limit, and the server keeps no more than the limit + 1 MiB for it', async () => {
      // A first round makes the baseline that of a warm process (same code paths, same caches).
      const warmUp = await neverReadingPoller(server, 'warm-up-poller', REPOLLING);
      await eventually(() => sessionGone(warmUp.poller), 'the warm-up session to be closed');
      hangUp(warmUp);
      const before = retained(await server.memory());

      const attack = await neverReadingPoller(server, 'never-reads', REPOLLING);
      attacks.push(attack);
      expect(attack.polls[0]!.head).not.toMatch(/^content-encoding:/im);
      await eventually(() => sessionGone(attack.poller), 'the never-reading session to be closed');
      // Measured while the attacker still holds every connection open, unread.
      const after = retained(await server.memory());
      expect(after - before).toBeLessThan(DEFAULT_MAX_BUFFERED_BYTES + 1 * MiB);

      // The server's own measure when it closed the sessions: at most the limit plus one reply.
      const closings = server.entries.filter((e) => e.msg === 'closing the connection of a slow consumer');
      expect(closings).toHaveLength(2);
      for (const closing of closings) {
        expect(Number(closing.bufferedBytes) - Number(closing.packetBytes)).toBeLessThanOrEqual(DEFAULT_MAX_BUFFERED_BYTES + replyChars);
      }
      await request(server.url).get('/health').expect(200);
      expect(server.alive).toBe(true);
    }, 60_000);
  });

  describe('with POLLING_WRITE_TIMEOUT_MS', () => {
    beforeAll(async () => {
      // A limit far above one reply: only the write timeout can end this session.
      server = await GatewayProcess.start(
        { ...BIG_MESSAGES, MAX_BUFFERED_BYTES: String(256 * MiB), POLLING_WRITE_TIMEOUT_MS: '1000' },
        { probe: true },
      );
      await fillArchive(server);
    }, 60_000);
    afterAll(() => server?.stop());

    const writeTimeouts = (): number =>
      server.entries.filter((e) => e.msg === 'closing a long-polling session whose response is not being read').length;

    // Gzipped, the payload waits in the compressor, out of the response's sight; and engine.io
    // takes no other poll until a gzipped one is finished, so the client keeps just this one.
    it.each<[string, Record<string, string>]>([
      ['uncompressed', IDENTITY],
      ['gzipped', GZIP],
    ])(
      'closes the session whose %s response is not taken in time, and lets go of what it held',
      async (name, headers) => {
        const warmUp = await neverReadingPoller(server, `warm-up-${name}`, { replies: 1, headers, repoll: false });
        await eventually(() => sessionGone(warmUp.poller), 'the warm-up session to be closed', 10_000);
        hangUp(warmUp);
        const before = retained(await server.memory());
        const closedBefore = writeTimeouts();

        const attack = await neverReadingPoller(server, `never-reads-${name}`, { replies: 1, headers, repoll: false });
        attacks.push(attack);
        expect(attack.polls[0]!.head.includes('Content-Encoding: gzip')).toBe(headers === GZIP);
        // Pings alone would end it only after PING_INTERVAL_MS + PING_TIMEOUT_MS (45 s).
        await eventually(() => sessionGone(attack.poller), 'the write timeout to close the session', 10_000);
        const after = retained(await server.memory());
        expect(after - before).toBeLessThan(1 * MiB);
        expect(writeTimeouts()).toBe(closedBefore + 1);
        await request(server.url).get('/health').expect(200);
      },
      60_000,
    );
  });
});
