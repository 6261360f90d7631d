/** Open-mode usernames: what a person may pick at the handshake. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Any user id the gateway may meet: open-mode usernames and JWT `sub` values (which may be
 * e-mail-like or carry an issuer prefix). Kept narrow so ids are safe in room names and logs.
 */
export const USER_ID_PATTERN = /^[A-Za-z0-9_.@:|-]{1,64}$/;
export const USER_ID_RULE = { message: 'user id must be 1-64 characters of letters, digits, _ . - @ : |' };
