/**
 * Reads typed values out of an environment map and collects every problem instead of stopping
 * at the first, so a bad deployment learns about all its bad variables at once.
 * Values of secret variables are never echoed back.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  readonly problems: string[] = [];

  constructor(
    private readonly env: Env,
    private readonly secrets: ReadonlySet<string> = new Set(),
  ) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string): string | undefined;
  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number;
  int(name: string, fallback: undefined, min: number, max: number): number | undefined;
  int(name: string, fallback: number | undefined, min: number, max: number): number | undefined {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problem(name, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problem(name, 'must be true or false');
    return fallback;
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    this.problem(name, `must be one of ${choices.join(', ')}`);
    return fallback;
  }

  list(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }

  problem(name: string, why: string): void {
    const value = this.raw(name);
    const shown = value === undefined || this.secrets.has(name) ? '' : ` (got "${value.slice(0, 80)}")`;
    this.problems.push(`${name} ${why}${shown}`);
  }
}
