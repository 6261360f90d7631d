/**
 * Versioned schema changes, one entry per version, with the SQL for each database side by side
 * so the two can never drift apart. Append only: never edit or renumber an applied migration.
 * Both runners apply the missing versions in order, inside one transaction, under a lock, and
 * record each in schema_migrations, so running them on every start is idempotent.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'message history',
    sqlite: `
      CREATE TABLE room_seqs (
        room TEXT PRIMARY KEY,
        last_seq INTEGER NOT NULL
      );
      CREATE TABLE room_messages (
        room TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        text TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        client_msg_id TEXT
      );
      CREATE UNIQUE INDEX room_messages_room_seq_key ON room_messages (room, seq);
      CREATE UNIQUE INDEX room_messages_client_msg_id_key ON room_messages (sender_id, client_msg_id)
        WHERE client_msg_id IS NOT NULL;
      CREATE INDEX room_messages_sent_at_idx ON room_messages (sent_at);
      CREATE TABLE direct_messages (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        conversation TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        recipient_id TEXT NOT NULL,
        recipient_name TEXT NOT NULL,
        text TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        client_msg_id TEXT
      );
      CREATE INDEX direct_messages_conversation_idx ON direct_messages (conversation, pk);
      CREATE UNIQUE INDEX direct_messages_client_msg_id_key ON direct_messages (sender_id, client_msg_id)
        WHERE client_msg_id IS NOT NULL;
      CREATE INDEX direct_messages_sent_at_idx ON direct_messages (sent_at);
    `,
    postgres: `
      CREATE TABLE room_seqs (
        room text PRIMARY KEY,
        last_seq bigint NOT NULL
      );
      CREATE TABLE room_messages (
        room text NOT NULL,
        seq bigint NOT NULL,
        id text NOT NULL,
        sender_id text NOT NULL,
        sender_name text NOT NULL,
        text text NOT NULL,
        sent_at timestamptz NOT NULL,
        client_msg_id text,
        PRIMARY KEY (room, seq)
      );
      CREATE UNIQUE INDEX room_messages_client_msg_id_key ON room_messages (sender_id, client_msg_id)
        WHERE client_msg_id IS NOT NULL;
      CREATE INDEX room_messages_sent_at_idx ON room_messages (sent_at);
      CREATE TABLE direct_messages (
        pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        conversation text NOT NULL,
        sender_id text NOT NULL,
        sender_name text NOT NULL,
        recipient_id text NOT NULL,
        recipient_name text NOT NULL,
        text text NOT NULL,
        sent_at timestamptz NOT NULL,
        client_msg_id text
      );
      CREATE INDEX direct_messages_conversation_idx ON direct_messages (conversation, pk);
      CREATE UNIQUE INDEX direct_messages_client_msg_id_key ON direct_messages (sender_id, client_msg_id)
        WHERE client_msg_id IS NOT NULL;
      CREATE INDEX direct_messages_sent_at_idx ON direct_messages (sent_at);
    `,
  },
  {
    version: 2,
    name: 'no sent_at index in SQLite',
    // SQLite prunes in rowid order (insertion order) instead: one B-tree less to write per message.
    // PostgreSQL keeps its indexes and prunes by time.
    sqlite: `
      DROP INDEX room_messages_sent_at_idx;
      DROP INDEX direct_messages_sent_at_idx;
    `,
    postgres: `
      SELECT 1;
    `,
  },
  {
    version: 3,
    name: 'chat state: rev, edits and deletions, memberships and read markers',
    // Existing messages get rev = seq and each room's rev starts at its last seq. SQLite indexes
    // only changed messages by rev (a partial index, so a send writes no extra B-tree): a message
    // never changed has the rev it was sent with, and those grow with seq. PostgreSQL indexes all.
    sqlite: `
      ALTER TABLE room_messages ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE room_messages ADD COLUMN edited_at TEXT;
      ALTER TABLE room_messages ADD COLUMN deleted_at TEXT;
      UPDATE room_messages SET rev = seq;
      ALTER TABLE room_seqs ADD COLUMN last_rev INTEGER NOT NULL DEFAULT 0;
      UPDATE room_seqs SET last_rev = last_seq;
      CREATE INDEX room_messages_changed_idx ON room_messages (room, rev)
        WHERE edited_at IS NOT NULL OR deleted_at IS NOT NULL;
      CREATE TABLE room_members (
        room TEXT NOT NULL,
        user_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        joined_at TEXT NOT NULL,
        read_seq INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (room, user_id)
      ) WITHOUT ROWID;
      CREATE INDEX room_members_user_idx ON room_members (user_id, room);
    `,
    postgres: `
      ALTER TABLE room_messages ADD COLUMN rev bigint;
      ALTER TABLE room_messages ADD COLUMN edited_at timestamptz;
      ALTER TABLE room_messages ADD COLUMN deleted_at timestamptz;
      UPDATE room_messages SET rev = seq;
      ALTER TABLE room_messages ALTER COLUMN rev SET NOT NULL;
      ALTER TABLE room_seqs ADD COLUMN last_rev bigint NOT NULL DEFAULT 0;
      UPDATE room_seqs SET last_rev = last_seq;
      CREATE INDEX room_messages_rev_idx ON room_messages (room, rev);
      CREATE TABLE room_members (
        room text NOT NULL,
        -- Byte order, as member pages are ordered: the primary key then serves those pages.
        user_id text COLLATE "C" NOT NULL,
        user_name text NOT NULL,
        joined_at timestamptz NOT NULL,
        read_seq bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (room, user_id)
      );
      CREATE INDEX room_members_user_idx ON room_members (user_id, room);
    `,
  },
  {
    version: 4,
    name: 'moderation: bans and mutes, session revocations, audit log, erased direct messages',
    // Restrictions stay in their table after they end (until < now): readers filter them out and
    // the moderation service prunes them. Nothing here is on the send path.
    sqlite: `
      CREATE TABLE room_restrictions (
        kind TEXT NOT NULL,
        room TEXT NOT NULL,
        user_id TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        until TEXT,
        created_by TEXT NOT NULL,
        PRIMARY KEY (kind, room, user_id)
      ) WITHOUT ROWID;
      CREATE TABLE session_revocations (
        user_id TEXT PRIMARY KEY,
        revoked_at TEXT NOT NULL,
        blocked_until TEXT
      ) WITHOUT ROWID;
      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        user_id TEXT NOT NULL,
        room TEXT,
        details TEXT NOT NULL
      );
      ALTER TABLE direct_messages ADD COLUMN deleted_at TEXT;
    `,
    postgres: `
      CREATE TABLE room_restrictions (
        kind text NOT NULL,
        room text NOT NULL,
        -- Byte order, as restriction pages are ordered: the primary key then serves those pages.
        user_id text COLLATE "C" NOT NULL,
        reason text,
        created_at timestamptz NOT NULL,
        until timestamptz,
        created_by text NOT NULL,
        PRIMARY KEY (kind, room, user_id)
      );
      CREATE TABLE session_revocations (
        user_id text PRIMARY KEY,
        revoked_at timestamptz NOT NULL,
        blocked_until timestamptz
      );
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        user_id text NOT NULL,
        room text,
        details jsonb NOT NULL
      );
      ALTER TABLE direct_messages ADD COLUMN deleted_at timestamptz;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The migrations a database at these versions still needs; refuses a schema newer than this build. */
export function pendingMigrations(applied: ReadonlySet<number>): Migration[] {
  const newest = Math.max(0, ...applied);
  if (newest > LATEST_SCHEMA_VERSION) {
    throw new Error(
      `database schema is at version ${newest} but this build only knows up to ${LATEST_SCHEMA_VERSION}; upgrade the gateway`,
    );
  }
  return MIGRATIONS.filter((migration) => !applied.has(migration.version));
}
