import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, GatewayProcess, type MemorySample } from '../../test/support/gateway-process.js';
import { TEST_LIMITS } from '../../test/support/test-limits.js';
import { processCpuSeconds, processRssBytes } from './proc.js';

/**
 * The benchmark's servers, each in its own process. Starting one, its log, the ready wait, the
 * probe (memory, CPU profiles, heap snapshots) and stopping are test/support/gateway-process.ts,
 * the helper every test suite uses too (bench/tsconfig.json compiles it from there); this adapter
 * adds what only the benchmark needs: which server, its name and port, and CPU time from /proc.
 */

export type ServerKind = 'gateway' | 'reference';
export type { MemorySample };
export { freePort };

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../..');
const REFERENCE_ENTRY = fileURLToPath(new URL('../reference-server.js', import.meta.url));
export const GATEWAY_ENTRY = join(REPO_ROOT, 'dist', 'main.js');
export const ADMIN_API_KEY = 'bench-admin-key';

/** The checkout a gateway build belongs to: `<root>/dist/main.js`. */
export function gatewayRootOf(entry: string): string {
  return dirname(dirname(entry));
}

/** Settings every benchmark gateway gets; the limits are the tests' (TEST_LIMITS), so they never shape the load. */
export function gatewayEnv(dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: `sqlite:${join(dataDir, 'chat.db')}`,
    ADMIN_API_KEY,
    ...TEST_LIMITS,
    // presence:online goes to every socket: O(n^2) while thousands connect, which the reference
    // does not do. Switched off so the figures compare the messaging path; see docs/benchmarks.md.
    PRESENCE_BROADCAST: 'false',
    SHUTDOWN_GRACE_MS: '0',
  };
}

export interface StartOptions {
  kind: ServerKind;
  /** The gateway build to run (another checkout's dist/main.js to compare branches). */
  gatewayEntry?: string;
  name: string;
  port: number;
  host: string;
  env: Record<string, string>;
  logDir: string;
  /** Extra node flags, e.g. --max-old-space-size. */
  nodeFlags?: string[];
  readyTimeoutMs?: number;
}

/** A server under test in its own process, with the probe preloaded for memory and profiles. */
export class ServerProcess {
  private constructor(
    readonly options: StartOptions,
    private readonly server: GatewayProcess,
  ) {}

  static async start(options: StartOptions): Promise<ServerProcess> {
    mkdirSync(options.logDir, { recursive: true });
    const entry = options.kind === 'gateway' ? (options.gatewayEntry ?? GATEWAY_ENTRY) : REFERENCE_ENTRY;
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (npm run bench:build)`);
    const server = await GatewayProcess.start(
      { ...options.env, PORT: String(options.port), HOST: options.host },
      {
        baseEnv: 'inherit',
        entry,
        cwd: options.kind === 'gateway' ? gatewayRootOf(entry) : REPO_ROOT,
        nodeFlags: options.nodeFlags,
        probe: true,
        // The reference server logs no listening line, and the gateway logs at warn here.
        ready: 'http',
        readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
        logFile: join(options.logDir, `${options.name}.log`),
        capture: false,
        name: options.name,
      },
    );
    return new ServerProcess(options, server);
  }

  get pid(): number {
    return this.server.pid;
  }

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  get alive(): boolean {
    return this.server.alive;
  }

  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  /** 0 once the process is gone. */
  rssBytes(): number {
    return processRssBytes(this.pid);
  }

  /** Memory after a full GC, as the process itself sees it. */
  memory(): Promise<MemorySample> {
    return this.server.memory();
  }

  startProfile(intervalMicros = 200): Promise<void> {
    return this.server.startProfile(intervalMicros);
  }

  stopProfile(path: string): Promise<void> {
    return this.server.stopProfile(path);
  }

  heapSnapshot(path: string): Promise<void> {
    return this.server.heapSnapshot(path);
  }

  /** The last lines the server wrote to stderr, for error messages. */
  get stderr(): string {
    return this.server.stderrTail;
  }

  stop(): Promise<void> {
    return this.server.stop(8000);
  }
}

/**
 * Load workers that must not outlive the runner, even when it is interrupted. (The servers have
 * their own guard in GatewayProcess.)
 */
export const liveChildren = new Set<ChildProcess>();

export function killLiveChildren(): void {
  for (const child of liveChildren) child.kill('SIGKILL');
}
