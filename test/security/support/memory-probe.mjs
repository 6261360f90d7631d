// Preloaded into a server process under test (node --expose-gc --import <this file>) when the test
// starts it with an IPC channel: answers "memory" with the process's own figures after full GCs,
// so a test can tell what the server still holds without counting allocator slack (RSS).
if (process.send) {
  process.on('message', (message) => {
    if (message !== 'memory') return;
    // Twice: the first pass can leave garbage that only finalizers released.
    globalThis.gc();
    globalThis.gc();
    const { heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send({ heapUsed, external, arrayBuffers });
  });
  // The channel must not keep a server alive that is asked to stop.
  process.channel?.unref();
}
