import { describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { MessageSendResult } from '../../src/contract.js';
import { ErrorCode } from '../support/acks.js';
import { within } from '../support/clients.js';
import { ROOT } from '../support/dist.js';
import { e2eApp } from '../support/suite.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(ROOT, 'test', 'support', 'python', 'interop_client.py');

/** Why the Python client cannot run here, or undefined when it can. */
function pythonUnavailable(): string | undefined {
  const probe = spawnSync(PYTHON, ['-c', 'import socketio, websocket'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return `${PYTHON} cannot run (${probe.error.message})`;
  if (probe.status !== 0) return `python3-socketio/python3-websocket not importable: ${probe.stderr.trim().split('\n').at(-1)}`;
  return undefined;
}

interface Step {
  step: string;
  [field: string]: unknown;
}

/** Runs the Python client and hands out its JSON lines as they come. */
function runPythonClient(url: string, room: string, username: string) {
  const child = spawn(PYTHON, [SCRIPT, url, room, username], { stdio: ['ignore', 'pipe', 'pipe'] });
  const steps: Step[] = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines.filter((l) => l.trim() !== '')) steps.push(JSON.parse(line) as Step);
    for (const wake of waiters.splice(0)) wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  void exited.then(() => {
    for (const wake of waiters.splice(0)) wake();
  });

  async function step(name: string): Promise<Step> {
    const find = (): Step | undefined => steps.find((s) => s.step === name || s.step === 'error');
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (find() || child.exitCode !== null) resolve();
          else waiters.push(check);
        };
        check();
      }),
      `python step ${name}`,
      15_000,
    );
    const found = find();
    if (!found || found.step === 'error') throw new Error(`python client failed before ${name}: ${JSON.stringify(found)} ${stderr}`);
    return found;
  }

  return { child, step, exited };
}

const unavailable = pythonUnavailable();
const mustRun = process.env.CI === 'true';

describe('interop with a Python socket.io client (e2e)', () => {
  if (unavailable && !mustRun) {
    const reason = `python interop skipped: ${unavailable} (apt-get install python3-socketio python3-websocket; required when CI=true)`;
    process.stderr.write(`\n${reason}\n`);
    it.skip(reason, () => undefined);
    return;
  }
  const server = e2eApp();

  it('joins, receives a message from a Node client, answers it and gets the ack envelope', async () => {
    if (unavailable) throw new Error(`CI=true but the Python client cannot run: ${unavailable}`);
    const node = await server.connect('node-user');
    await node.ok('room:join', { room: 'interop' });
    const python = runPythonClient(server.url, 'interop', 'py-user');
    try {
      const session = await python.step('session');
      expect(session.session).toEqual({ user: { id: 'py-user', name: 'py-user' }, socketId: expect.any(String) });

      const joined = await python.step('joined');
      expect(joined.ack).toEqual({
        ok: true,
        data: {
          room: 'interop',
          members: [
            { id: 'node-user', name: 'node-user' },
            { id: 'py-user', name: 'py-user' },
          ],
          history: [],
          readSeq: 0,
          unread: 0,
          rev: 0,
        },
      });
      await expect(node.waitFor('room:member-joined')).resolves.toEqual({ room: 'interop', user: { id: 'py-user', name: 'py-user' } });

      const { message: fromNode } = await node.ok<MessageSendResult>('message:send', { room: 'interop', text: 'hello from node ✓' });
      expect((await python.step('received')).message).toEqual(fromNode);

      const sent = await python.step('sent');
      const reply = await node.waitFor('message:new');
      expect(sent.ack).toEqual({ ok: true, data: { message: reply } });
      expect(reply).toEqual({
        id: expect.any(String),
        room: 'interop',
        seq: fromNode.seq + 1,
        from: { id: 'py-user', name: 'py-user' },
        text: 'hello from python',
        sentAt: expect.any(String),
        clientMsgId: 'py-1',
        rev: fromNode.rev + 1,
      });

      const invalid = await python.step('invalid');
      expect(invalid.ack).toEqual({
        ok: false,
        error: {
          code: ErrorCode.VALIDATION_FAILED,
          message: 'payload is invalid',
          details: [{ field: 'text', messages: ['text must be a string'] }],
        },
      });

      await python.step('done');
      await expect(within(python.exited, 'the python client to exit', 15_000)).resolves.toBe(0);
      await expect(node.waitFor('room:member-left')).resolves.toEqual({ room: 'interop', user: { id: 'py-user', name: 'py-user' } });
    } finally {
      if (python.child.exitCode === null) python.child.kill('SIGKILL');
    }
  });
});
