import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/gateway-process.js';
import { eventually } from '../support/wait.js';

export const NGINX_BIN = process.env.NGINX_BIN ?? 'nginx';

export interface RunningNginx {
  url: string;
  stop(): Promise<void>;
}

/**
 * deploy/nginx.conf as the compose cluster uses it, with only what must differ on one machine
 * rewritten: the upstream servers point at local gateways, it listens on a free loopback port and
 * keeps its pid and temp files in a directory of its own.
 */
export function localNginxConfig(
  source: string,
  options: { listenPort: number; gatewayPorts: Record<string, number>; workDir: string; transform?: (conf: string) => string },
): string {
  let conf = source.replace(/\blisten\s+8080;/, `listen 127.0.0.1:${options.listenPort};`);
  for (const [host, port] of Object.entries(options.gatewayPorts)) {
    conf = conf.replace(new RegExp(`\\bserver\\s+${host}:\\d+`), `server 127.0.0.1:${port}`);
  }
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(options.workDir, kind)};`);
  conf = conf.replace(/^http\s*\{/m, `http {\n${temp.join('\n')}`);
  conf = conf.replace(/access_log \/dev\/stdout;/, 'access_log off;');
  return options.transform ? options.transform(conf) : conf;
}

export async function startNginx(
  configPath: string,
  gatewayPorts: Record<string, number>,
  transform?: (conf: string) => string,
): Promise<RunningNginx> {
  const workDir = mkdtempSync(join(tmpdir(), 'chat-nginx-'));
  const listenPort = await freePort();
  const conf = localNginxConfig(readFileSync(configPath, 'utf8'), { listenPort, gatewayPorts, workDir, transform });
  writeFileSync(join(workDir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(
    NGINX_BIN,
    ['-p', workDir, '-c', join(workDir, 'nginx.conf'), '-e', 'stderr', '-g', `daemon off; pid ${join(workDir, 'nginx.pid')};`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${listenPort}`;
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
        return fetch(`${url}/nginx-health`).then(
          (r) => r.ok,
          () => false,
        );
      },
      'nginx answers /nginx-health',
      10_000,
      100,
    );
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    stop: async () => {
      // SIGTERM is nginx's fast shutdown: open proxied connections are closed at once.
      child.kill('SIGTERM');
      await exited;
      rmSync(workDir, { recursive: true, force: true });
    },
  };
}

export function nginxAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(NGINX_BIN, ['-v'], { stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}
