import type { LoadPool } from './load-pool.js';
import { machineCpu, mainThreadCpuSeconds, processCpuSeconds, processCpuTimes } from './proc.js';

/** CPU time of everything taking part in a measurement window, to attribute and to spot noise. */
export interface CpuMark {
  wall: number;
  server: number;
  serverSystem: number;
  serverMainThread: number;
  bystanders: number;
  clients: number;
  harness: number;
  machineBusy: number;
}

export interface CpuUsage {
  wallSeconds: number;
  /** CPU seconds of the measured server process (utime + stime). */
  serverSeconds: number;
  /** Share of the server's CPU spent in the kernel (loopback TCP is charged to the sender). */
  serverSystemShare: number;
  /** Share of the server's CPU spent on its main (JavaScript) thread; the rest is GC helpers and workers. */
  serverMainThreadShare: number;
  /** Cores busy on average during the window. */
  serverCores: number;
  clientCores: number;
  /** Everything else on the machine (other servers idle in the run excluded): noise. */
  otherCores: number;
}

export interface Measured {
  pid: number;
}

export function cpuMark(server: Measured, bystanders: Measured[], pool: LoadPool): CpuMark {
  const harness = process.cpuUsage();
  const times = processCpuTimes(server.pid);
  return {
    wall: performance.now() / 1000,
    server: times.user + times.system,
    serverSystem: times.system,
    serverMainThread: mainThreadCpuSeconds(server.pid),
    bystanders: bystanders.reduce((s, b) => s + processCpuSeconds(b.pid), 0),
    clients: pool.cpuSeconds(),
    harness: (harness.user + harness.system) / 1e6,
    machineBusy: machineCpu().busy,
  };
}

export function cpuSince(start: CpuMark, server: Measured, bystanders: Measured[], pool: LoadPool): CpuUsage {
  const end = cpuMark(server, bystanders, pool);
  const wallSeconds = end.wall - start.wall;
  const serverSeconds = end.server - start.server;
  const clientSeconds = end.clients - start.clients;
  const known = serverSeconds + clientSeconds + (end.bystanders - start.bystanders) + (end.harness - start.harness);
  const other = Math.max(0, end.machineBusy - start.machineBusy - known);
  return {
    wallSeconds,
    serverSeconds,
    serverSystemShare: serverSeconds > 0 ? (end.serverSystem - start.serverSystem) / serverSeconds : 0,
    serverMainThreadShare: serverSeconds > 0 ? (end.serverMainThread - start.serverMainThread) / serverSeconds : 0,
    serverCores: serverSeconds / wallSeconds,
    clientCores: clientSeconds / wallSeconds,
    otherCores: other / wallSeconds,
  };
}
