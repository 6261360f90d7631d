import type { SocketData } from '../contract.js';

/**
 * What the chat services need to know about one connection. A socket.io Socket satisfies it
 * as is, so handlers pass the socket without copying anything per event.
 */
export interface ChatClient {
  readonly id: string;
  readonly data: SocketData;
  /** Rooms this very socket has joined (its own id and its user room included). */
  readonly rooms: ReadonlySet<string>;
  join(room: string): Promise<void> | void;
  leave(room: string): Promise<void> | void;
}
