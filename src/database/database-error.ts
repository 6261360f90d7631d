/**
 * A database that cannot be opened, reached or migrated at start. Its message is meant for the
 * operator as is: it names the database without its password and carries no stack.
 */
export class DatabaseStartError extends Error {
  constructor(location: string, cause: unknown) {
    const reason = scrubSecrets(describeCause(cause), location);
    super(`cannot open the message database ${redactDatabaseUrl(location)}: ${reason}`);
    this.name = 'DatabaseStartError';
  }
}

/** A connection string fit for logs and error messages: the password is replaced by ***. */
export function redactDatabaseUrl(location: string): string {
  const url = parseUrl(location);
  if (!url || url.password === '') return location;
  url.password = '***';
  return url.toString();
}

/** Replaces the connection string's password wherever a driver message might repeat it. */
function scrubSecrets(message: string, location: string): string {
  const password = parseUrl(location)?.password;
  if (!password) return message;
  return [password, decodeURIComponent(password)].reduce((text, secret) => text.split(secret).join('***'), message);
}

/** undefined for a SQLite path, which is not a URL and holds nothing secret. */
function parseUrl(location: string): URL | undefined {
  return URL.canParse(location) ? new URL(location) : undefined;
}

function describeCause(cause: unknown): string {
  // net.connect to a host with several addresses fails with an AggregateError and no message.
  if (cause instanceof AggregateError && cause.errors.length > 0) return describeCause(cause.errors[0]);
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  return cause.message || (typeof code === 'string' ? code : cause.name);
}
