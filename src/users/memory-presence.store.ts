import { Injectable } from '@nestjs/common';
import type { User } from '../contract.js';
import {
  type ConnectResult,
  type DisconnectResult,
  PresenceStore,
  type RoomSummary,
  type UserSummary,
} from './presence-store.js';

interface SocketEntry {
  user: User;
  rooms: Set<string>;
}

interface UserEntry {
  user: User;
  sockets: Set<string>;
  /** room -> how many of this user's sockets are in it */
  rooms: Map<string, number>;
}

/** Presence for a single node: plain maps, no expiry needed since the process owns every socket. */
@Injectable()
export class MemoryPresenceStore extends PresenceStore {
  private readonly sockets = new Map<string, SocketEntry>();
  private readonly usersById = new Map<string, UserEntry>();
  /** room -> user id -> sockets of that user in the room */
  private readonly roomMembersByRoom = new Map<string, Map<string, number>>();

  async connect(socketId: string, user: User): Promise<ConnectResult> {
    if (this.sockets.has(socketId)) return { firstConnection: false };
    this.sockets.set(socketId, { user, rooms: new Set() });
    let entry = this.usersById.get(user.id);
    if (!entry) {
      entry = { user, sockets: new Set(), rooms: new Map() };
      this.usersById.set(user.id, entry);
    }
    entry.sockets.add(socketId);
    return { firstConnection: entry.sockets.size === 1 };
  }

  async disconnect(socketId: string): Promise<DisconnectResult | undefined> {
    const socket = this.sockets.get(socketId);
    if (!socket) return undefined;
    const leftRooms: string[] = [];
    for (const room of socket.rooms) {
      if (this.removeFromRoom(socket, room)) leftRooms.push(room);
    }
    this.sockets.delete(socketId);
    const entry = this.usersById.get(socket.user.id);
    entry?.sockets.delete(socketId);
    const lastConnection = !entry || entry.sockets.size === 0;
    if (lastConnection) this.usersById.delete(socket.user.id);
    return { user: socket.user, lastConnection, leftRooms };
  }

  async join(socketId: string, room: string): Promise<{ firstForUser: boolean }> {
    const socket = this.sockets.get(socketId);
    if (!socket || socket.rooms.has(room)) return { firstForUser: false };
    socket.rooms.add(room);
    const userId = socket.user.id;
    const entry = this.usersById.get(userId);
    entry?.rooms.set(room, (entry.rooms.get(room) ?? 0) + 1);
    let members = this.roomMembersByRoom.get(room);
    if (!members) {
      members = new Map();
      this.roomMembersByRoom.set(room, members);
    }
    const count = (members.get(userId) ?? 0) + 1;
    members.set(userId, count);
    return { firstForUser: count === 1 };
  }

  async leave(socketId: string, room: string): Promise<{ lastForUser: boolean }> {
    const socket = this.sockets.get(socketId);
    if (!socket || !socket.rooms.has(room)) return { lastForUser: false };
    return { lastForUser: this.removeFromRoom(socket, room) };
  }

  async roomMembers(room: string): Promise<User[]> {
    const members = this.roomMembersByRoom.get(room);
    if (!members) return [];
    return [...members.keys()].sort().flatMap((id) => {
      const entry = this.usersById.get(id);
      return entry ? [entry.user] : [];
    });
  }

  async rooms(): Promise<RoomSummary[]> {
    return [...this.roomMembersByRoom.entries()]
      .map(([name, members]) => ({ name, memberCount: members.size }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async users(): Promise<UserSummary[]> {
    return [...this.usersById.values()].map(summarize).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async user(id: string): Promise<UserSummary | undefined> {
    const entry = this.usersById.get(id);
    return entry ? summarize(entry) : undefined;
  }

  async connectionCount(userId: string): Promise<number> {
    return this.usersById.get(userId)?.sockets.size ?? 0;
  }

  async connectedName(userId: string): Promise<string | undefined> {
    return this.usersById.get(userId)?.user.name;
  }

  onExpired(): void {
    // A single process owns all its sockets: nothing can expire behind its back.
  }

  async ping(): Promise<void> {}

  /** Returns true when this was the user's last socket in the room. */
  private removeFromRoom(socket: SocketEntry, room: string): boolean {
    socket.rooms.delete(room);
    const userId = socket.user.id;
    const entry = this.usersById.get(userId);
    if (entry) {
      const left = (entry.rooms.get(room) ?? 1) - 1;
      if (left > 0) entry.rooms.set(room, left);
      else entry.rooms.delete(room);
    }
    const members = this.roomMembersByRoom.get(room);
    if (!members) return true;
    const remaining = (members.get(userId) ?? 1) - 1;
    if (remaining > 0) {
      members.set(userId, remaining);
      return false;
    }
    members.delete(userId);
    if (members.size === 0) this.roomMembersByRoom.delete(room);
    return true;
  }
}

function summarize(entry: UserEntry): UserSummary {
  return {
    id: entry.user.id,
    name: entry.user.name,
    connections: entry.sockets.size,
    rooms: [...entry.rooms.keys()].sort(),
  };
}
