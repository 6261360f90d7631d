import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { within } from '../../support/clients.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

export interface FloodReport {
  sent: number;
  /** retryAfterMs of every RATE_LIMITED answer. */
  retryAfterMs: number[];
  /** Disconnects the server initiated ('io server disconnect'). */
  cutOffs: number;
}

/**
 * The flooding client runs in its own process, so the test process measuring delivery times for
 * everyone else is not the one busy sending 1000 events per second. It reconnects whenever it is
 * cut off, like a determined attacker, until it receives "stop" on stdin, then prints a report.
 */
const SCRIPT = `
import { io } from 'socket.io-client';
const [url, token, perSecond] = process.argv.slice(1);
const report = { sent: 0, retryAfterMs: [], cutOffs: 0 };
let stopping = false;
let socket;
function start() {
  socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  let timer;
  socket.on('connect', () => {
    process.stdout.write('connected\\n');
    timer = setInterval(() => {
      for (let i = 0; i < Number(perSecond) / 100; i++) {
        report.sent += 1;
        socket.emit('room:history', { room: 'flood', limit: 1 }, (ack) => {
          if (!ack.ok && ack.error.code === 'RATE_LIMITED') report.retryAfterMs.push(ack.error.retryAfterMs);
        });
      }
    }, 10);
  });
  socket.on('disconnect', (reason) => {
    clearInterval(timer);
    if (reason === 'io server disconnect') report.cutOffs += 1;
    if (stopping) finish(); else start();
  });
  socket.on('connect_error', () => (stopping ? finish() : setTimeout(start, 50)));
}
function finish() {
  process.stdout.write('REPORT ' + JSON.stringify(report) + '\\n');
  process.exit(0);
}
process.stdin.on('data', () => {
  stopping = true;
  // Keep flooding until the server cuts this socket off once more, then report.
  if (!socket.connected) finish();
});
start();
`;

export interface Flooder {
  /** Resolves once the first connection is up and flooding. */
  started: Promise<void>;
  /** Asks it to stop after its next cut-off; resolves with its report. */
  stop(): Promise<FloodReport>;
}

export function startFlooder(url: string, token: string, perSecond = 1000): Flooder {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SCRIPT, url, token, String(perSecond)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const lines = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('connected\n')) resolve();
    });
  });
  const report = new Promise<FloodReport>((resolve, reject) => {
    child.once('exit', () => {
      const line = output.split('\n').find((l) => l.startsWith('REPORT '));
      if (line) resolve(JSON.parse(line.slice('REPORT '.length)) as FloodReport);
      else reject(new Error(`flooder exited without a report:\n${output}`));
    });
  });
  return {
    started: within(lines, 'the flooder to connect', 10_000),
    stop: async () => {
      child.stdin.write('stop\n');
      try {
        return await within(report, 'the flooder to be cut off once more and report', 10_000);
      } finally {
        child.kill('SIGKILL');
      }
    },
  };
}
