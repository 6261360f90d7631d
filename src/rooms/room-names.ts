import { AppError } from '../common/app-error.js';
import type { ChatClient } from '../common/chat-client.js';
import type { SocketData } from '../contract.js';

export const ROOM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
export const ROOM_RULE = {
  message: 'room must be 1-64 characters of letters, digits, _ . : - starting with a letter or digit',
};
const RESERVED_PREFIXES = ['user:', 'system:'] as const;

export function isReservedRoom(room: string): boolean {
  return RESERVED_PREFIXES.some((prefix) => room.startsWith(prefix));
}

/** User and system rooms are not chat rooms: no client may join, read, send to or leave them. */
export function assertNotReserved(room: string): void {
  if (isReservedRoom(room)) throw AppError.forbidden(`${room} is a reserved room name`);
}

export const CHAT_ROOM_PREFIX = 'room:';

/**
 * The socket.io room behind a chat room. socket.io also puts each socket in a room named by its
 * id; without a prefix, joining a chat room named like another socket's id would deliver into that
 * socket. Socket ids never contain ':', user rooms start with 'user:'.
 */
export function chatRoom(room: string): string {
  return CHAT_ROOM_PREFIX + room;
}

/** Every socket of a user sits in this room, so the user is addressed without walking sockets. */
export function userRoom(userId: string): string {
  return `user:${userId}`;
}

/** `rooms` claim entries are exact names or prefixes ending in `*`. */
export function isRoomAllowed(identity: Pick<SocketData, 'allowedRooms'>, room: string): boolean {
  if (isReservedRoom(room)) return false;
  const allowed = identity.allowedRooms;
  if (allowed === undefined) return true;
  return allowed.some((entry) => (entry.endsWith('*') ? room.startsWith(entry.slice(0, -1)) : entry === room));
}

/** Refuses a reserved room, and one outside the identity's `rooms` claim. */
export function assertAccessible(identity: Pick<SocketData, 'allowedRooms'>, room: string): void {
  assertNotReserved(room);
  if (!isRoomAllowed(identity, room)) throw AppError.forbidden(`not allowed to access room ${room}`);
}

/**
 * Refuses unless the socket joined the room with room:join. Every socket also sits in its
 * reserved user room, which must not count as joined: sending or typing there is FORBIDDEN.
 */
export function assertJoined(client: Pick<ChatClient, 'rooms'>, room: string, action: string): void {
  assertNotReserved(room);
  if (!client.rooms.has(chatRoom(room))) throw AppError.forbidden(`join ${room} before ${action}`);
}
