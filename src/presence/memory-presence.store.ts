import { Injectable } from '@nestjs/common';
import type { User } from '../contract.js';
import {
  type ConnectResult,
  type DisconnectResult,
  newOfflineToken,
  PresenceStore,
  type RoomSummary,
  type UserPage,
  type UserPageQuery,
  type UserSummary,
} from './presence-store.js';
import { SortedIds } from './sorted-ids.js';

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
  /** Ids of usersById in order, for paging. */
  private readonly userIds = new SortedIds();
  /** user id -> token of the user's pending offline; only users without a connection have one. */
  private readonly pendingOffline = new Map<string, string>();

  async connect(socketId: string, user: User): Promise<ConnectResult> {
    if (this.sockets.has(socketId)) return { firstConnection: false, resumed: false };
    this.sockets.set(socketId, { user, rooms: new Set() });
    let entry = this.usersById.get(user.id);
    if (!entry) {
      entry = { user, sockets: new Set(), rooms: new Map() };
      this.usersById.set(user.id, entry);
      this.userIds.add(user.id);
    }
    entry.sockets.add(socketId);
    const firstConnection = entry.sockets.size === 1;
    const resumed = firstConnection && this.pendingOffline.delete(user.id);
    return { firstConnection, resumed };
  }

  async disconnect(socketId: string, offlineGraceMs = 0): Promise<DisconnectResult | undefined> {
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
    if (!lastConnection) return { user: socket.user, lastConnection, leftRooms };
    this.usersById.delete(socket.user.id);
    this.userIds.delete(socket.user.id);
    if (offlineGraceMs <= 0) return { user: socket.user, lastConnection, leftRooms };
    const pendingOffline = newOfflineToken();
    this.pendingOffline.set(socket.user.id, pendingOffline);
    return { user: socket.user, lastConnection, leftRooms, pendingOffline };
  }

  async settleOffline(userId: string, token: string): Promise<boolean> {
    if (this.pendingOffline.get(userId) !== token) return false;
    this.pendingOffline.delete(userId);
    return !this.usersById.has(userId);
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

  async leaveRoomEverywhere(userId: string, room: string): Promise<{ wasIn: boolean }> {
    const entry = this.usersById.get(userId);
    if (!entry?.rooms.has(room)) return { wasIn: false };
    for (const socketId of entry.sockets) {
      const socket = this.sockets.get(socketId);
      if (socket?.rooms.has(room)) this.removeFromRoom(socket, room);
    }
    return { wasIn: true };
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

  async users({ after, limit }: UserPageQuery): Promise<UserPage> {
    const { ids, more } = this.userIds.page(after, limit);
    const users = ids.flatMap((id) => {
      const entry = this.usersById.get(id);
      return entry ? [summarize(entry)] : [];
    });
    return { users, next: more ? ids[ids.length - 1]! : null };
  }

  async user(id: string): Promise<UserSummary | undefined> {
    const entry = this.usersById.get(id);
    return entry ? summarize(entry) : undefined;
  }

  async connectionCount(userId: string): Promise<number> {
    return this.usersById.get(userId)?.sockets.size ?? 0;
  }

  async online(userIds: readonly string[]): Promise<boolean[]> {
    return userIds.map((id) => this.usersById.has(id));
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
