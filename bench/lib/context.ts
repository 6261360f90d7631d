import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_MODULE_ENV } from './gateway-module-env.js';
import type { BenchOptions } from './options.js';
import { ADMIN_API_KEY, gatewayEnv, gatewayRootOf, type ServerKind, ServerProcess, freePort } from './servers.js';

const GATEWAY_MODULES_URL = new URL('./gateway-modules.js', import.meta.url).href;

interface Preload {
  env: Record<string, string>;
  nodeFlags: string[];
}
const NO_PRELOAD: Preload = { env: {}, nodeFlags: [] };

/** What every scenario needs: the options, a scratch directory and a progress printer. */
export class RunContext {
  readonly startedAt = new Date();
  readonly stamp = this.startedAt.toISOString().replace(/[:.]/g, '-').replace('Z', '');
  readonly tmpDir: string;
  readonly notes: string[] = [];
  private readonly t0 = performance.now();

  constructor(readonly options: BenchOptions) {
    this.tmpDir = join(options.outDir, 'tmp', this.stamp);
    mkdirSync(this.tmpDir, { recursive: true });
  }

  /** Progress goes to stdout as the run goes: long runs must show where they are. */
  say(message: string): void {
    const seconds = ((performance.now() - this.t0) / 1000).toFixed(0).padStart(5);
    process.stdout.write(`[bench ${seconds}s] ${message}\n`);
  }

  note(message: string): void {
    if (!this.notes.includes(message)) this.notes.push(message);
  }

  /** Starts a fresh server (fresh database for the gateway) on a free port. */
  async startServer(kind: ServerKind, name: string, extraEnv: Record<string, string> = {}): Promise<ServerProcess> {
    const port = await freePort(this.options.listenHost);
    name = name.replace(/[^A-Za-z0-9_.-]+/g, '-');
    const dataDir = mkdtempSync(join(this.tmpDir, `${name}-`));
    const preload = kind === 'reference' ? this.referencePreload() : NO_PRELOAD;
    const env =
      kind === 'gateway'
        ? { ...gatewayEnv(dataDir), ...this.options.gatewayEnv, ...extraEnv }
        : { NODE_ENV: 'production', ADMIN_API_KEY, ...preload.env, ...extraEnv };
    return ServerProcess.start({
      kind,
      name,
      port,
      host: this.options.listenHost,
      env,
      logDir: this.tmpDir,
      gatewayEntry: this.options.gatewayEntry,
      nodeFlags: preload.nodeFlags,
    });
  }

  /** `--reference-with-gateway-modules`: the preload and the gateway module file it imports. */
  private referencePreload(): Preload {
    if (!this.options.referenceWithGatewayModules) return NO_PRELOAD;
    const appModule = join(gatewayRootOf(this.options.gatewayEntry), 'dist', 'app.module.js');
    return { env: { [GATEWAY_MODULE_ENV]: appModule }, nodeFlags: ['--import', GATEWAY_MODULES_URL] };
  }

  /** Destination address for the n-th connection: 127.0.0.1 .. 127.0.0.N round-robin. */
  destination(n: number): string {
    return `127.0.0.${1 + (n % this.options.destinations)}`;
  }

  /** Gateway first on odd repetitions, reference first on even ones, so drift cancels out. */
  order(repetition: number): ServerKind[] {
    return repetition % 2 === 1 ? ['gateway', 'reference'] : ['reference', 'gateway'];
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function workersFor(options: BenchOptions, connections: number): number {
  return Math.max(options.minWorkers, Math.ceil(connections / options.maxPerWorker));
}
