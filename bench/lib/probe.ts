/**
 * Preloaded into both servers (`node --import probe.js ...`) when the runner starts them with an
 * IPC channel. It answers memory questions after a full GC and records CPU profiles or heap
 * snapshots of a chosen window, so neither server needs code of its own for the benchmark.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';
import type { ProbeReply, ProbeRequest } from './probe-protocol.js';

const session = new Session();
let profiling = false;

async function answer(request: ProbeRequest): Promise<ProbeReply> {
  switch (request.kind) {
    case 'memory': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (request.collect && gc) {
        // Twice: the first pass can leave garbage that only finalizers released.
        gc();
        gc();
      }
      const usage = process.memoryUsage();
      return { kind: 'memory', rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external };
    }
    case 'profile-start':
      if (!profiling) session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: request.intervalMicros });
      await session.post('Profiler.start');
      profiling = true;
      return { kind: 'done' };
    case 'profile-stop': {
      const { profile } = await session.post('Profiler.stop');
      await session.post('Profiler.disable');
      session.disconnect();
      profiling = false;
      writeFileSync(request.path, JSON.stringify(profile));
      return { kind: 'done' };
    }
    case 'heap-snapshot':
      writeHeapSnapshot(request.path);
      return { kind: 'done' };
  }
}

if (process.send) {
  process.on('message', (message: { seq: number; request: ProbeRequest }) => {
    answer(message.request).then(
      (reply) => process.send?.({ seq: message.seq, ok: true, reply }),
      (error: unknown) => process.send?.({ seq: message.seq, ok: false, error: String(error) }),
    );
  });
  // The channel must not keep a server alive that is asked to stop.
  process.channel?.unref();
}
