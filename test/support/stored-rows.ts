import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';

/** One room message as its row holds it, read from the database itself rather than through the gateway. */
export interface StoredMessageRow {
  text: string;
  rev: number;
  edited: boolean;
  deleted: boolean;
}

interface RawRow {
  text: string;
  rev: number | string;
  edited_at: unknown;
  deleted_at: unknown;
}

const SELECT = 'SELECT text, rev, edited_at, deleted_at FROM room_messages WHERE room = $1 AND seq = $2';

/** The row of (room, seq) in the database DATABASE_URL names (a SQLite file or a PostgreSQL schema). */
export async function storedMessageRow(databaseUrl: string, room: string, seq: number): Promise<StoredMessageRow | undefined> {
  const raw = databaseUrl.startsWith('sqlite:') ? sqliteRow(databaseUrl, room, seq) : await postgresRow(databaseUrl, room, seq);
  if (!raw) return undefined;
  return { text: raw.text, rev: Number(raw.rev), edited: raw.edited_at !== null, deleted: raw.deleted_at !== null };
}

function sqliteRow(databaseUrl: string, room: string, seq: number): RawRow | undefined {
  const database = new BetterSqlite3(databaseUrl.slice('sqlite:'.length), { fileMustExist: true });
  try {
    return database.prepare(SELECT.replace('$1', '?').replace('$2', '?')).get(room, seq) as RawRow | undefined;
  } finally {
    database.close();
  }
}

async function postgresRow(databaseUrl: string, room: string, seq: number): Promise<RawRow | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<RawRow>(SELECT, [room, seq])).rows[0];
  } finally {
    await client.end();
  }
}

/**
 * The tables of the database DATABASE_URL names (every table of the SQLite file, or of the
 * PostgreSQL schema first on its search_path) with a row where some column holds `needle`:
 * proof that a text is gone from the rows themselves, whatever column or table might keep it.
 */
export async function tablesHolding(databaseUrl: string, needle: string): Promise<string[]> {
  const tables = databaseUrl.startsWith('sqlite:') ? sqliteTables(databaseUrl) : await postgresTables(databaseUrl);
  return [...tables].filter(([, rows]) => rows.some((row) => JSON.stringify(row).includes(needle))).map(([table]) => table);
}

function sqliteTables(databaseUrl: string): Map<string, unknown[]> {
  const database = new BetterSqlite3(databaseUrl.slice('sqlite:'.length), { fileMustExist: true });
  try {
    const names = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    return new Map(names.map((name) => [name, database.prepare(`SELECT * FROM "${name}"`).all()]));
  } finally {
    database.close();
  }
}

async function postgresTables(databaseUrl: string): Promise<Map<string, unknown[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows: names } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
    const tables = new Map<string, unknown[]>();
    for (const { table_name: name } of names) tables.set(name, (await client.query(`SELECT * FROM "${name}"`)).rows);
    return tables;
  } finally {
    await client.end();
  }
}
