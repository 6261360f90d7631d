// Preloaded into a server process (`node --expose-gc --import <this file> ...`) when
// test/support/gateway-process.ts starts it with an IPC channel, for the tests and the benchmark
// alike. It answers memory questions after full garbage collections (what the process still
// holds, without the allocator slack RSS counts) and records CPU profiles or heap snapshots of a
// chosen window, so no server needs code of its own for being measured. Plain JavaScript: Node
// loads it as it is, from the tests (which run TypeScript sources) and from the benchmark's build.
// The messages are ProbeRequest / ProbeMessage in gateway-process.ts.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';

const session = new Session();
let profiling = false;

async function answer(request) {
  switch (request.kind) {
    case 'memory': {
      const gc = globalThis.gc;
      if (request.collect && gc) {
        // Twice: the first pass can leave garbage that only finalizers released.
        gc();
        gc();
      }
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
      return { kind: 'memory', rss, heapUsed, heapTotal, external, arrayBuffers };
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
    default:
      throw new Error(`unknown probe request ${JSON.stringify(request)}`);
  }
}

if (process.send) {
  process.on('message', (message) => {
    answer(message.request).then(
      (reply) => process.send?.({ seq: message.seq, ok: true, reply }),
      (error) => process.send?.({ seq: message.seq, ok: false, error: String(error) }),
    );
  });
  // The channel must not keep a server alive that is asked to stop.
  process.channel?.unref();
}
