import type { DirectMessage, Message } from '../contract.js';
import type { NewDirectMessage, NewRoomMessage } from './message-store.js';

/** Builds the public shape with a stable key order and no undefined clientMsgId. */
export function toRoomMessage(input: NewRoomMessage, seq: number): Message {
  const message: Message = { id: input.id, room: input.room, seq, from: input.from, text: input.text, sentAt: input.sentAt };
  if (input.clientMsgId !== undefined) message.clientMsgId = input.clientMsgId;
  return message;
}

export function toDirectMessage(input: NewDirectMessage): DirectMessage {
  const message: DirectMessage = { id: input.id, from: input.from, to: input.to, text: input.text, sentAt: input.sentAt };
  if (input.clientMsgId !== undefined) message.clientMsgId = input.clientMsgId;
  return message;
}
