import type { ChatEmitter, EventPayload, NodeNoticeHandler } from '../../src/chat/chat-emitter.js';
import type { ModerationNotice } from '../../src/moderation/moderation-notice.js';

/** One emit as the fake recorded it: the method, the user it targets (when it targets one), the payload. */
export interface RecordedEmit {
  method: string;
  userId?: string;
  event: unknown;
}

/**
 * A ChatEmitter without a socket server, for unit specs of the moderation services: records the
 * emits, holds the node-notice handler, and answers notifyNodes as told (by default: no other node).
 */
export class FakeChatEmitter {
  attached = true;
  readonly emits: RecordedEmit[] = [];
  readonly notified: ModerationNotice[] = [];
  noticeHandler?: NodeNoticeHandler;
  /** What notifyNodes does after recording the notice. */
  answerNodes: (notice: ModerationNotice) => Promise<number> = async () => 0;

  asEmitter(): ChatEmitter {
    return this as unknown as ChatEmitter;
  }

  onNodeNotice(handler: NodeNoticeHandler): void {
    this.noticeHandler = handler;
  }

  notifyNodes(notice: ModerationNotice): Promise<number> {
    this.notified.push(notice);
    return this.answerNodes(notice);
  }

  bannedHere(userId: string, event: EventPayload<'room:banned'>): void {
    this.emits.push({ method: 'bannedHere', userId, event });
  }

  mutedHere(userId: string, event: EventPayload<'room:muted'>): void {
    this.emits.push({ method: 'mutedHere', userId, event });
  }

  unmutedHere(userId: string, event: EventPayload<'room:unmuted'>): void {
    this.emits.push({ method: 'unmutedHere', userId, event });
  }

  memberLeft(event: EventPayload<'room:member-left'>): void {
    this.emits.push({ method: 'memberLeft', event });
  }

  /** The recorded emits as `method:userId:room` strings, and forgets them. */
  take(): string[] {
    const taken = this.emits.map(({ method, userId, event }) => `${method}:${userId ?? '-'}:${(event as { room: string }).room}`);
    this.emits.length = 0;
    return taken;
  }
}
