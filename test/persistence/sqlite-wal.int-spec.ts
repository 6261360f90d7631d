import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteMessageStore } from '../../src/messages/sqlite-message.store.js';

Logger.overrideLogger(false);
const ada = { id: 'ada', name: 'Ada' };

describe('SQLite file store: WAL housekeeping', () => {
  let dir: string;
  let file: string;
  let store: SqliteMessageStore | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'chat-wal-'));
    file = join(dir, 'nested', 'chat.db');
  });
  afterEach(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function send(count: number): Promise<void> {
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        store!.appendRoomMessage({
          id: randomUUID(),
          room: `r${i % 7}`,
          from: ada,
          text: 'x'.repeat(200),
          sentAt: new Date().toISOString(),
          clientMsgId: randomUUID(),
        }),
      ),
    );
  }

  it('runs in WAL mode with synchronous=NORMAL', () => {
    store = new SqliteMessageStore({ location: file });
    store.open();
    const db = new BetterSqlite3(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('loses and repeats nothing while the checkpoint worker keeps pausing the writer to restart the WAL', async () => {
    // A tiny restart threshold: the writer is paused and resumed many times during this test.
    store = new SqliteMessageStore({ location: file }, { intervalMs: 2, restartPages: 32 });
    store.open();
    const total = 3000;
    for (let written = 0; written < total; written += 50) await send(50);
    await store.close();
    store = new SqliteMessageStore({ location: file });
    store.open();
    const rooms = [0, 1, 2, 3, 4, 5, 6].map((r) => `r${r}`);
    const lastSeqs = await Promise.all(rooms.map((room) => store!.lastSeq(room)));
    expect(lastSeqs.reduce((a, b) => a + b, 0)).toBe(total);
    for (const [i, room] of rooms.entries()) {
      const page = await store.roomPage({ room, limit: 1000 });
      expect(page.messages.map((m) => m.seq)).toEqual(Array.from({ length: lastSeqs[i]! }, (_, n) => n + 1));
    }
  });
});
