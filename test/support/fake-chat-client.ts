import type { ChatClient } from '../../src/common/chat-client.js';
import type { SocketData, User } from '../../src/contract.js';

let nextId = 0;

/**
 * A ChatClient without a network: the room set behaves like a socket.io socket's (its own id and
 * its user room are in it from the start), so services can be unit-tested with real stores.
 */
export class FakeChatClient implements ChatClient {
  readonly id: string;
  readonly data: SocketData;
  readonly rooms: Set<string>;

  constructor(userId: string, options: { isAdmin?: boolean; allowedRooms?: string[]; id?: string } = {}) {
    nextId += 1;
    this.id = options.id ?? `socket-${nextId}`;
    const user: User = { id: userId, name: userId };
    this.data = { user, isAdmin: options.isAdmin ?? false, allowedRooms: options.allowedRooms };
    this.rooms = new Set([this.id, `user:${userId}`]);
  }

  join(room: string): void {
    this.rooms.add(room);
  }

  leave(room: string): void {
    this.rooms.delete(room);
  }
}
