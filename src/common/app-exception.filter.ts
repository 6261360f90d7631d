import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { Response } from 'express';
import type { Socket } from 'socket.io';
import type { SocketData } from '../contract.js';
import { ErrorCode } from './error-code.js';
import { mapError } from './error-mapper.js';
import { type AckFn, replyWithError } from './ws-reply.js';

/** Gateway logs carry the event, the socket and the user (never the payload). */
function socketContext(host: ArgumentsHost): Record<string, unknown> {
  const ws = host.switchToWs();
  const socket = ws.getClient<Socket>();
  return { event: ws.getPattern(), socketId: socket.id, userId: (socket.data as Partial<SocketData> | undefined)?.user?.id };
}

/**
 * The one place where failures become answers: the ack envelope for socket events and
 * `{ statusCode, code, message, details? }` for REST, with the same codes.
 */
@Catch()
export class AppExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(AppExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const { body, status, unexpected } = mapError(exception);
    const context = host.getType() === 'ws' ? socketContext(host) : {};
    if (unexpected) this.logger.error({ err: exception, ...context }, 'request failed');
    else if (body.code === ErrorCode.UNAVAILABLE) this.logger.warn({ ...context, reason: body.message }, 'dependency unavailable');

    if (host.getType() === 'ws') {
      const ws = host.switchToWs();
      // Handler args are [socket, payload, reply, pattern]: the chat adapter always passes a
      // reply function that routes to the client's ack or to `exception`.
      const reply: unknown = host.getArgByIndex(2);
      if (typeof reply === 'function') (reply as AckFn)({ ok: false, error: body });
      else replyWithError(ws.getClient<Socket>(), ws.getPattern(), undefined, body);
      return;
    }
    const response = host.switchToHttp().getResponse<Response>();
    if (body.retryAfterMs !== undefined) response.setHeader('Retry-After', Math.ceil(body.retryAfterMs / 1000));
    response.status(status).json({ statusCode: status, ...body });
  }
}
