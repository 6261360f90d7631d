import type { TestClient } from '../../support/clients.js';

/** Emits without an ack (or with a hand-written one), which the typed client API does not allow. */
export function emitUntyped(client: TestClient, event: string, ...args: unknown[]): void {
  (client.socket as unknown as { emit(event: string, ...args: unknown[]): void }).emit(event, ...args);
}
