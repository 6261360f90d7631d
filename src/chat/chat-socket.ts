import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from '../contract.js';
import type { ModerationNotice } from '../moderation/moderation-notice.js';

/** Events nodes send each other (socket.io's serverSideEmit), each answered once handled. */
export interface InterServerEvents {
  moderation: (notice: ModerationNotice, ack: (handled: boolean) => void) => void;
}

export type ChatServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type ChatSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
