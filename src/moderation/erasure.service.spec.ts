import { describe, expect, it } from '@jest/globals';
import type { ChatEmitter } from '../chat/chat-emitter.js';
import type { Message } from '../contract.js';
import { AuditService } from './audit.service.js';
import { ErasureService } from './erasure.service.js';
import type { ErasureStep, ErasureStepInput, ModerationStore, NewAuditEntry } from './moderation-store.js';

function tombstone(room: string, seq: number, rev: number): Message {
  return {
    id: `${room}-${seq}`,
    room,
    seq,
    rev,
    from: { id: 'ada', name: 'Ada' },
    text: '',
    sentAt: '2030-01-01T00:00:00.000Z',
    deletedAt: 'x',
  };
}

/** A store answering the given steps in turn; records each input and whether the loop yielded before it. */
function harness(steps: ErasureStep[]) {
  const inputs: ErasureStepInput[] = [];
  const audits: NewAuditEntry[] = [];
  const order: string[] = [];
  let turns = 0;
  const store = {
    async eraseStep(input: ErasureStepInput) {
      inputs.push(input);
      order.push(`step after ${turns} turns`);
      // A macrotask queued now runs before the next step only if the loop yields to the event loop.
      setImmediate(() => (turns += 1));
      return steps.shift()!;
    },
    async appendAudit(entry: NewAuditEntry) {
      audits.push(entry);
      return { id: 1, ...entry };
    },
  } as unknown as ModerationStore;
  const emitted: Message[] = [];
  const emitter = { messageUpdated: (message: Message) => emitted.push(message) } as unknown as ChatEmitter;
  const service = new ErasureService(store, emitter, new AuditService(store));
  return { service, inputs, audits, emitted, order };
}

describe('ErasureService', () => {
  it('runs the steps until no cursor is left, yielding between them, and emits each room tombstone once', async () => {
    const first = [tombstone('a', 1, 7), tombstone('b', 3, 9)];
    const second = [tombstone('a', 2, 8)];
    const { service, inputs, audits, emitted, order } = harness([
      { roomMessages: first, directMessages: 0, cursor: 'c1' },
      { roomMessages: second, directMessages: 5, cursor: 'c2' },
      { roomMessages: [], directMessages: 2 },
    ]);
    await expect(service.erase('ada', 'boss')).resolves.toEqual({ roomMessages: 3, directMessages: 7 });
    expect(inputs.map((input) => input.cursor)).toEqual([undefined, 'c1', 'c2']);
    expect(new Set(inputs.map((input) => input.userId))).toEqual(new Set(['ada']));
    // One deletedAt for the whole erasure.
    expect(new Set(inputs.map((input) => input.deletedAt)).size).toBe(1);
    expect(order).toEqual(['step after 0 turns', 'step after 1 turns', 'step after 2 turns']);
    expect(emitted).toEqual([...first, ...second]);
    expect(audits).toEqual([
      {
        at: expect.any(String),
        actor: 'boss',
        action: 'erase',
        userId: 'ada',
        room: null,
        details: { roomMessages: 3, directMessages: 7 },
      },
    ]);
  });

  it('answers 0/0 and still records the call when nothing is left', async () => {
    const { service, audits, emitted } = harness([{ roomMessages: [], directMessages: 0 }]);
    await expect(service.erase('ada', 'admin-api-key')).resolves.toEqual({ roomMessages: 0, directMessages: 0 });
    expect(emitted).toEqual([]);
    expect(audits).toHaveLength(1);
    expect(audits[0]!.details).toEqual({ roomMessages: 0, directMessages: 0 });
  });

  it('records nothing when a step fails: the erasure is finished by calling again', async () => {
    const { service, audits } = harness([]);
    await expect(service.erase('ada', 'boss')).rejects.toThrow();
    expect(audits).toEqual([]);
  });
});
