import { execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs podman and resolves with its exit code and output; rejects only when it cannot run or times out. */
export function podman(args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile('podman', args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(
          new Error(
            `podman ${args[0]} did not finish (${error.signal ?? error.code ?? error.message}) within ${timeoutMs} ms\n${tail(stderr)}`,
          ),
        );
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** Like podman, but a non-zero exit fails with the command's stderr. */
export async function podmanOk(args: string[], timeoutMs?: number): Promise<string> {
  const result = await podman(args, timeoutMs);
  if (result.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${result.code}\n${tail(result.stderr)}`);
  return result.stdout.trim();
}

/** Runs podman with its output going to a log file (a build prints thousands of lines). */
export function podmanLogged(args: string[], logPath: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = createWriteStream(logPath);
    const child = spawn('podman', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      log.end(() => {
        if (code === 0) return resolve();
        const why = signal ? `was killed (${signal}) after ${timeoutMs} ms` : `exited ${code}`;
        reject(new Error(`podman ${args[0]} ${why}; log in ${logPath}:\n${tail(readFileSync(logPath, 'utf8'))}`));
      });
    });
  });
}

export function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

export function podmanAvailable(): Promise<boolean> {
  return podman(['version', '--format', '{{.Client.Version}}']).then(
    (result) => result.code === 0,
    () => false,
  );
}

/**
 * Build arguments for the Dockerfile. Where Node's headers are installed locally, node-gyp is
 * pointed at them: an offline builder cannot download them to compile better-sqlite3.
 */
export function buildArgs(tag: string, contextDir: string): string[] {
  const args = ['build', '--network', 'host', '--pull=never', '-t', tag];
  if (existsSync('/usr/include/node/node.h')) {
    args.push('--volume', '/usr/include/node:/usr/include/node:ro', '--build-arg', 'npm_config_nodedir=/usr');
  }
  return [...args, contextDir];
}
