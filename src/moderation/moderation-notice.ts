import type { RoomRestriction } from '../contract.js';
import type { RestrictionKind, SessionRevocation } from './moderation-store.js';

/**
 * What one node tells the others after a moderation change is committed: each applies it to its
 * in-memory copy and to its own sockets, then acknowledges (see ModerationSync).
 */
export type ModerationNotice =
  | { type: 'restrict'; kind: RestrictionKind; restriction: RoomRestriction }
  | { type: 'lift'; kind: RestrictionKind; room: string; userId: string }
  | { type: 'revoke'; revocation: SessionRevocation };
