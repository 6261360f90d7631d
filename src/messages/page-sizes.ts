/** Messages per history page when the request names no limit (room:history, direct:history, REST). */
export const DEFAULT_PAGE_SIZE = 50;

/** A resume (room:join with sinceSeq) returns at most this many messages; the client pages on. */
export const MAX_RESUME_MESSAGES = 500;
