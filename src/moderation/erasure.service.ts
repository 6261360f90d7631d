import { setImmediate as nextTurn } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { ChatEmitter } from '../chat/chat-emitter.js';
import type { ErasureResult } from '../contract.js';
import { AuditService } from './audit.service.js';
import { ModerationStore } from './moderation-store.js';

/**
 * DELETE /users/:id/messages: every room message and direct message the user sent becomes a
 * tombstone, as a deletion makes one (text erased in the row, deletedAt set; a room message takes
 * its room's next rev and goes out as message:updated to the sockets in its room).
 *
 * The store works in bounded steps (ModerationStore.eraseStep) and this loop yields to the event
 * loop between them, so sends, deliveries and other requests run in between and the erasure never
 * holds the loop for longer than one step. The call answers when the last step is done.
 *
 * A send still in flight when its part of the history is passed is not erased by this call: an
 * admin who needs the account silent bans or revokes it first, and a second call (which finds
 * only what is left, so it is cheap, and answers 0/0 when nothing is) erases late sends.
 */
@Injectable()
export class ErasureService {
  constructor(
    private readonly store: ModerationStore,
    private readonly emitter: ChatEmitter,
    private readonly audit: AuditService,
  ) {}

  async erase(userId: string, actor: string): Promise<ErasureResult> {
    const deletedAt = new Date().toISOString();
    const result: ErasureResult = { roomMessages: 0, directMessages: 0 };
    let cursor: string | undefined;
    do {
      const step = await this.store.eraseStep({ userId, deletedAt, cursor });
      for (const message of step.roomMessages) this.emitter.messageUpdated(message);
      result.roomMessages += step.roomMessages.length;
      result.directMessages += step.directMessages;
      cursor = step.cursor;
      if (cursor !== undefined) await nextTurn();
    } while (cursor !== undefined);
    // Written once the erasure is complete: an interrupted one is not listed, and is finished by calling again.
    await this.audit.record({ actor, action: 'erase', userId, room: null, details: { ...result } });
    return result;
  }
}
