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
