import type { User } from '../contract.js';

/** Open-mode usernames: what a person may pick at the handshake. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Any user id the gateway may meet: open-mode usernames and JWT `sub` values (which may be
 * e-mail-like or carry an issuer prefix). Kept narrow so ids are safe in room names and logs.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.@:|-]{1,64}$/;
export const USER_ID_RULE = { message: 'user id must be 1-64 characters of letters, digits, _ . - @ : |' };

/**
 * Ids no client may take: `system` is the sender of admin REST messages and announcements, so a
 * user under that id (in any letter case, which reads the same on screen) could pass for the
 * server. Refused as an open-mode username and as a JWT `sub`.
 */
export const RESERVED_USER_IDS: readonly string[] = Object.freeze(['system']);

/** The sender of admin REST messages and announcements. */
export const SYSTEM_USER: User = Object.freeze({ id: 'system', name: 'system' });

export function isReservedUserId(id: string): boolean {
  return RESERVED_USER_IDS.includes(id.toLowerCase());
}
