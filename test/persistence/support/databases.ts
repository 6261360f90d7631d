import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from '@jest/globals';
import { describePostgres, TestSchema } from './postgres.js';

/** A durable database for one test file: a DATABASE_URL plus a way to inspect it. */
export interface DurableDatabase {
  /** A fresh, empty database URL (a new file or a new schema) for each call. */
  freshUrl(): Promise<string>;
}

/**
 * Runs `body` once against a SQLite file and once against PostgreSQL (own schema per file,
 * dropped at the end; skipped with its reason without a server, failing on CI).
 */
export function describeEachDurableDatabase(title: string, body: (database: DurableDatabase) => void): void {
  describe(`${title} (SQLite file)`, () => {
    let dir: string;
    let count = 0;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'chat-e2e-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    body({ freshUrl: async () => `sqlite:${join(dir, `db-${(count += 1)}`, 'chat.db')}` });
  });

  describePostgres(`${title} (PostgreSQL)`, () => {
    const schemas: TestSchema[] = [];
    afterAll(async () => {
      for (const schema of schemas) await schema.drop();
    });
    body({
      freshUrl: async () => {
        const schema = await TestSchema.create('e2e');
        schemas.push(schema);
        return schema.url;
      },
    });
  });
}
