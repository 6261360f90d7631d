export const MAX_DISPLAY_NAME_LENGTH = 64;

/**
 * Characters a display name may not hold, because they change how the text around the name is
 * shown: control characters (C0, DEL, C1) and line or paragraph separators, which break a line in
 * a log or a chat list; the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069), which reorder what follows so a name can make another user's text read
 * differently; and lone surrogates, which are not text at all.
 */
const FORBIDDEN_IN_NAME = /[\p{Cc}\p{Zl}\p{Zp}\u202A-\u202E\u2066-\u2069\p{Cs}]/u;

export const DISPLAY_NAME_RULE = `1-${MAX_DISPLAY_NAME_LENGTH} characters without control characters or bidirectional overrides`;

/** True for a string of 1-64 characters (code points) free of FORBIDDEN_IN_NAME. */
export function isDisplayName(name: unknown): name is string {
  if (typeof name !== 'string' || name.length === 0) return false;
  // Each code point is one or two UTF-16 units: this bound settles most names without counting.
  if (name.length > MAX_DISPLAY_NAME_LENGTH * 2) return false;
  if (name.length > MAX_DISPLAY_NAME_LENGTH && [...name].length > MAX_DISPLAY_NAME_LENGTH) return false;
  return !FORBIDDEN_IN_NAME.test(name);
}
