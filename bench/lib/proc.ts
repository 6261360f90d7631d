import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Readers for /proc: CPU time and memory of a process, and the machine-wide CPU split. */

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // getconf is missing on some minimal images; Linux has used 100 for decades.
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface CpuTimes {
  user: number;
  system: number;
}

/** utime and stime of the process in seconds; zeros once it is gone. */
export function processCpuTimes(pid: number): CpuTimes {
  return cpuTimesAt(`/proc/${pid}/stat`);
}

/**
 * utime + stime of the process's main thread (the one running JavaScript) in seconds. The rest
 * of the process's CPU is V8's GC helpers, libuv's pool and worker threads.
 */
export function mainThreadCpuSeconds(pid: number): number {
  const { user, system } = cpuTimesAt(`/proc/${pid}/task/${pid}/stat`);
  return user + system;
}

function cpuTimesAt(path: string): CpuTimes {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name may contain spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / clockTicksPerSecond(), system: Number(fields[12]) / clockTicksPerSecond() };
  } catch {
    // The process has exited: it uses no more CPU.
    return { user: 0, system: 0 };
  }
}

/** utime + stime of the process in seconds; 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  const { user, system } = processCpuTimes(pid);
  return user + system;
}

/** Resident set size in bytes (VmRSS); 0 once the process is gone. */
export function processRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface MachineCpu {
  busy: number;
  total: number;
}

/** Machine-wide CPU jiffies (all cores) from /proc/stat, to tell how busy everything else was. */
export function machineCpu(): MachineCpu {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.reduce((s, v) => s + v, 0);
    return { busy: (total - idle) / clockTicksPerSecond(), total: total / clockTicksPerSecond() };
  } catch {
    return { busy: 0, total: 0 };
  }
}
