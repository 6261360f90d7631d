/**
 * Most messages one ModerationStore.eraseStep turns into tombstones, room and direct together:
 * each room message of a step is a message:updated to emit, so a step is also a bounded burst of
 * emits between two event-loop turns.
 */
export const ERASURE_STEP_MAX_MESSAGES = 500;
