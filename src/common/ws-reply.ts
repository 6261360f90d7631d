import type { Socket } from 'socket.io';
import type { Ack, ErrorBody, ExceptionEvent } from '../contract.js';

export type AckFn = (response: Ack<unknown>) => void;

export function ok<T>(data: T): Ack<T> {
  return { ok: true, data };
}

/** Answers a failed event: through the client's ack when it sent one, else as `exception`. */
export function replyWithError(socket: Socket, event: string, ack: unknown, error: ErrorBody): void {
  if (typeof ack === 'function') {
    (ack as AckFn)({ ok: false, error });
    return;
  }
  const exception: ExceptionEvent = { event, ...error };
  socket.emit('exception', exception);
}
