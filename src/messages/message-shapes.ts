import type { DirectMessage, Message } from '../contract.js';
import type { NewDirectMessage, NewRoomMessage } from './message-store.js';

/** Builds the public shape with a stable key order and no undefined clientMsgId. */
export function toRoomMessage(input: NewRoomMessage, seq: number, rev: number, changes?: MessageChangeTimes): Message {
  const message: Message = { id: input.id, room: input.room, seq, from: input.from, text: input.text, sentAt: input.sentAt, rev };
  if (input.clientMsgId !== undefined) message.clientMsgId = input.clientMsgId;
  if (changes?.editedAt !== undefined) message.editedAt = changes.editedAt;
  if (changes?.deletedAt !== undefined) message.deletedAt = changes.deletedAt;
  return message;
}

/** When a stored message was last edited and deleted, if ever. */
export interface MessageChangeTimes {
  editedAt?: string;
  deletedAt?: string;
}

/** deletedAt only for an erased message: v1 readers see the shape they always did otherwise. */
export function toDirectMessage(input: NewDirectMessage, deletedAt?: string): DirectMessage {
  const message: DirectMessage = { id: input.id, from: input.from, to: input.to, text: input.text, sentAt: input.sentAt };
  if (input.clientMsgId !== undefined) message.clientMsgId = input.clientMsgId;
  if (deletedAt !== undefined) message.deletedAt = deletedAt;
  return message;
}
