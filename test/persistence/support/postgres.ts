import { randomBytes } from 'node:crypto';
import { describe, it } from '@jest/globals';
import pg from 'pg';

/** The development and CI machines run PostgreSQL here with trust auth (.ci/run starts it). */
export const POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** undefined when PostgreSQL answers; otherwise why not. */
async function unreachableReason(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return `no PostgreSQL at ${POSTGRES_URL}: ${error instanceof Error ? error.message || String((error as { code?: unknown }).code) : String(error)}`;
  } finally {
    await client.end().catch((error: unknown) => error);
  }
}

const unavailable = await unreachableReason();

/**
 * describe() for a PostgreSQL leg. Without a server it is skipped, with the reason in its title;
 * on CI (CI=true) a missing server is a failure instead, so the leg cannot silently not run.
 */
export function describePostgres(title: string, body: () => void): void {
  if (unavailable === undefined) {
    describe(title, body);
  } else if (process.env.CI === 'true') {
    describe(title, () => {
      it('needs PostgreSQL on CI', () => {
        throw new Error(`PostgreSQL is required when CI=true: ${unavailable}`);
      });
    });
  } else {
    describe.skip(`${title} [skipped: ${unavailable}]`, body);
  }
}

/** A fresh schema with a random name, so test files and parallel runs never share tables. */
export class TestSchema {
  private constructor(
    readonly name: string,
    private readonly admin: pg.Client,
  ) {}

  static async create(label = 'chat'): Promise<TestSchema> {
    const name = `${label}_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${name}`);
    return new TestSchema(name, admin);
  }

  /** DATABASE_URL for the app or a store: same database, this schema first on search_path. */
  get url(): string {
    return withSearchPath(POSTGRES_URL, this.name);
  }

  /** Runs SQL in this schema as the admin connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<R[]> {
    await this.admin.query(`SET search_path TO ${this.name}`);
    return (await this.admin.query<R>(sql, values)).rows;
  }

  /** Empties the message and membership tables (migrations stay applied). */
  async truncate(): Promise<void> {
    await this.query('TRUNCATE room_seqs, room_messages, direct_messages, room_members RESTART IDENTITY');
  }

  async drop(): Promise<void> {
    try {
      await this.admin.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`);
    } finally {
      await this.admin.end();
    }
  }
}

export function withSearchPath(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}
