import { type StoreMembers, storeGuard } from '../common/store-guard.js';
import type { MembershipSummary, User } from '../contract.js';

/** One stored membership: the user joined the room once and has not forgotten it. */
export interface Membership {
  room: string;
  user: User;
  /** ISO-8601 UTC of the first join. */
  joinedAt: string;
  readSeq: number;
}

export interface NewMembership {
  room: string;
  user: User;
  joinedAt: string;
  /** The user's memberships may not go beyond this many (MAX_MEMBERSHIPS_PER_USER). */
  maxMemberships: number;
}

/**
 * created: stored now. existing: the user already was a member (membership as stored, name not
 * updated). limit: the user already has maxMemberships memberships; nothing written.
 */
export type MembershipJoin =
  { outcome: 'created'; membership: Membership } | { outcome: 'existing'; membership: Membership } | { outcome: 'limit' };

/** A membership with the room's counters, read together (one query on PostgreSQL). */
export interface MembershipState {
  membership: Membership;
  lastSeq: number;
  rev: number;
}

export interface RoomMembersQuery {
  room: string;
  /** Only user ids > after (the cursor of the previous page). */
  after?: string;
  limit: number;
}

export interface MarkerMove {
  room: string;
  userId: string;
  readSeq: number;
}

/**
 * Memberships and read markers, in the same database as the messages (the engine that stores
 * messages implements this too: a send moves the sender's marker in its own transaction).
 * Contract (checked by the shared chat-state suite):
 * - join is atomic with its cap check: concurrent joins of one user never pass maxMemberships.
 * - A marker only moves forward: moveMarkers never lowers read_seq, and ignores users who are no
 *   longer members (a forget is never undone by a late marker write).
 * - forget deletes the membership and its marker; forgetting a non-membership is not an error.
 */
export abstract class MembershipStore {
  abstract join(input: NewMembership): Promise<MembershipJoin>;
  abstract forget(room: string, userId: string): Promise<boolean>;
  /** The membership and the room's lastSeq and rev, or undefined when not a member. */
  abstract membershipState(room: string, userId: string): Promise<MembershipState | undefined>;
  /** All the user's memberships with their rooms' counters, in the rooms:list order. */
  abstract userRooms(userId: string): Promise<MembershipSummary[]>;
  /** Ordered by user id; at most `limit`. */
  abstract roomMembers(query: RoomMembersQuery): Promise<Membership[]>;
  /** Forward only; all moves in one transaction. */
  abstract moveMarkers(moves: readonly MarkerMove[]): Promise<void>;
}

export const MEMBERSHIP_STORE_MEMBERS: StoreMembers<MembershipStore> = {
  join: 'async',
  forget: 'async',
  membershipState: 'async',
  userRooms: 'async',
  roomMembers: 'async',
  moveMarkers: 'async',
};

/** What MembershipStore is provided as: the engine behind the UNAVAILABLE guard (see storeGuard). */
export const guardMembershipStore = storeGuard(MembershipStore, 'membership store', MEMBERSHIP_STORE_MEMBERS);

/** rooms:list order: newest lastMessageAt first; rooms without messages last, newest joinedAt first. */
export function compareMembershipSummaries(a: MembershipSummary, b: MembershipSummary): number {
  if (a.lastMessageAt !== b.lastMessageAt) {
    if (a.lastMessageAt === null) return 1;
    if (b.lastMessageAt === null) return -1;
    return a.lastMessageAt < b.lastMessageAt ? 1 : -1;
  }
  if (a.joinedAt !== b.joinedAt) return a.joinedAt < b.joinedAt ? 1 : -1;
  return a.room < b.room ? -1 : a.room > b.room ? 1 : 0;
}
