import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Compose-style interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$. */
export function interpolate(value: string, env: Readonly<Record<string, string>>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g, (match, name, colon, op, word) => {
    if (match === '$$') return '$';
    const set = name in env && !(colon && env[name] === '');
    if (op === '?' && !set) throw new Error(`${name} is required: ${word}`);
    return set ? env[name]! : op === '-' ? word : '';
  });
}

/** Names of every ${VAR} a text refers to. */
export function referencedVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!));
}

/** KEY=VALUE lines of an env file; comments and blank lines skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!.trim();
  }
  return env;
}

/**
 * Every environment variable the configuration reads: the first argument of each env.xxx('NAME')
 * or helper(env, 'NAME') call and each source.NAME access in src/config/.
 */
export function configVariables(configDir: string): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(configDir).filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))) {
    const code = readFileSync(join(configDir, file), 'utf8');
    for (const match of code.matchAll(/\(\s*(?:env,\s*)?'([A-Z][A-Z0-9_]*)'/g)) names.add(match[1]!);
    for (const match of code.matchAll(/\bsource\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1]!);
  }
  return names;
}

export interface NginxDirective {
  name: string;
  args: string[];
  block?: NginxDirective[];
}

/** Parses nginx configuration syntax into nested directives. */
export function parseNginx(text: string): NginxDirective[] {
  const tokens = [...text.replace(/#[^\n]*/g, '').matchAll(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[{};]|[^\s{};]+/g)].map((m) => m[0]);
  let position = 0;
  const readBlock = (): NginxDirective[] => {
    const directives: NginxDirective[] = [];
    while (position < tokens.length && tokens[position] !== '}') {
      const words: string[] = [];
      while (position < tokens.length && !['{', ';', '}'].includes(tokens[position]!)) words.push(tokens[position++]!);
      const end = tokens[position++];
      const [name, ...args] = words;
      if (!name) throw new Error(`empty directive near token ${position}`);
      if (end === '{') {
        directives.push({ name, args, block: readBlock() });
        if (tokens[position++] !== '}') throw new Error(`unclosed block ${name}`);
      } else if (end === ';') directives.push({ name, args });
      else throw new Error(`directive ${name} is not terminated`);
    }
    return directives;
  };
  const directives = readBlock();
  if (position < tokens.length) throw new Error('unbalanced }');
  return directives;
}

export function find(directives: NginxDirective[] | undefined, name: string, firstArg?: string): NginxDirective[] {
  return (directives ?? []).filter((d) => d.name === name && (firstArg === undefined || d.args[0] === firstArg));
}

/** nginx time value ("75s", "2m", "500ms", "60") in milliseconds. */
export function nginxTimeMs(value: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(value);
  if (!match) throw new Error(`not an nginx time: ${value}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
