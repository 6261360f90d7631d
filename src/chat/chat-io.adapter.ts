import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions, Socket } from 'socket.io';
import { AppError } from '../common/app-error.js';
import { ErrorCode } from '../common/error-code.js';
import { isThenable } from '../common/is-thenable.js';
import { type AckFn, replyWithError } from '../common/ws-reply.js';
import type { Ack, ErrorBody } from '../contract.js';
import type { CompiledGateway } from './compiled-gateway.js';

/**
 * What the policy is told instead of an event name the gateway has no handler for: names come
 * from the client, and a policy that keys anything on them (metric labels) must not grow per name.
 */
export const UNKNOWN_EVENT_LABEL = '(unknown)';

/**
 * Decides, per inbound event, whether it runs (rate limits) and learns how it ended (metrics).
 * `event` is always a handler name of the gateway or UNKNOWN_EVENT_LABEL.
 */
export interface InboundEventPolicy {
  /** undefined: run it; 'drop': answer ok without running; an ErrorBody: refuse with it. */
  admit(socket: Socket, event: string): ErrorBody | 'drop' | undefined;
  settled(event: string, outcome: 'ok' | ErrorCode, startedAt: number): void;
}

const INTERNAL_ERROR: ErrorBody = { code: ErrorCode.INTERNAL, message: 'Internal server error' };
const EXTRA_ARGUMENTS: ErrorBody = AppError.validation('send one payload object and an optional ack callback', [
  { field: '(arguments)', messages: ['expected exactly one payload argument'] },
]).toBody();
/**
 * Event names of the contract are short words; an unknown name is echoed back cut to this, so a
 * client cannot make the server send a message-sized name back (and into its logs) per event.
 */
const MAX_ECHOED_EVENT_NAME = 64;

function echoedEventName(event: string): string {
  return event.length <= MAX_ECHOED_EVENT_NAME ? event : `${event.slice(0, MAX_ECHOED_EVENT_NAME)}...`;
}

/**
 * The socket.io adapter for the chat gateway.
 *
 * NestJS's IoAdapter subscribes one RxJS pipeline per handler per socket. This adapter dispatches
 * every inbound event from one shared `onAny` listener instead: one lookup per event, and one
 * place that answers unknown events, extra arguments and rate limits with the ack envelope.
 * Handlers run through the direct calls compiled from the gateway's event table (see
 * compileGateway), built once when Nest creates the server, so a table Nest's injector cannot
 * serve fails start-up. The handler list Nest builds for each socket is not kept.
 *
 * socket.io's `socket.use()` middleware runs inside the socket's own dispatch, after any-listeners
 * such as this one have been called: it cannot stop an event from reaching a handler here. Checks
 * per event belong in the InboundEventPolicy (admitted or refused before the handler runs) or in
 * the services the handlers call.
 */
export class ChatIoAdapter extends IoAdapter {
  private handlers?: CompiledGateway;

  constructor(
    app: INestApplicationContext,
    private readonly serverOptions: Partial<ServerOptions>,
    private readonly policy: InboundEventPolicy | undefined,
    private readonly compileGateway: () => CompiledGateway,
  ) {
    super(app);
  }

  /** Nest calls this while the application initializes: compiling here makes a bad table fail start-up. */
  override createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    this.handlers ??= this.compileGateway();
    return super.createIOServer(port, { ...options, ...this.serverOptions } as ServerOptions);
  }

  override bindMessageHandlers(socket: Socket): void {
    socket.onAny(this.dispatch);
  }

  /** Shared by every socket: socket.io calls any-listeners with the socket as `this`. */
  private readonly dispatch = ((adapter: ChatIoAdapter) =>
    // socket.io also accepts numeric event names from the wire; answers always name a string.
    function onEvent(this: Socket, event: string | number, ...args: unknown[]): void {
      adapter.handle(this, String(event), args);
    })(this);

  private handle(socket: Socket, event: string, args: unknown[]): void {
    const startedAt = performance.now();
    const clientAck = typeof args[args.length - 1] === 'function' ? (args.pop() as AckFn) : undefined;
    const handler = this.handlers?.get(event);
    const known = handler !== undefined;
    const label = known ? event : UNKNOWN_EVENT_LABEL;
    let answered = false;
    // Handlers and the exception filter answer through this; it reaches the client's ack, or
    // `exception` when the client sent none, exactly once, and records the outcome.
    const reply: AckFn = (response) => {
      if (answered) return;
      answered = true;
      if (response.ok) clientAck?.(response);
      else replyWithError(socket, known ? event : echoedEventName(event), clientAck, response.error);
      this.policy?.settled(label, response.ok ? 'ok' : response.error.code, startedAt);
    };
    const refusal = this.policy?.admit(socket, label);
    if (refusal === 'drop') return reply({ ok: true, data: {} });
    if (refusal) return reply({ ok: false, error: refusal });
    if (!known) {
      return reply({ ok: false, error: { code: ErrorCode.UNKNOWN_EVENT, message: `unknown event ${echoedEventName(event)}` } });
    }
    if (args.length > 1) return reply({ ok: false, error: EXTRA_ARGUMENTS });
    let response: unknown;
    try {
      response = handler(socket, args[0], reply, event);
    } catch (error) {
      return this.escaped(error, event, reply);
    }
    // undefined: the exception filter has already answered through `reply`.
    if (!isThenable(response)) {
      if (response !== undefined) reply(response as Ack<unknown>);
      return;
    }
    response.then(
      (settled) => {
        if (settled !== undefined) reply(settled as Ack<unknown>);
      },
      (error: unknown) => this.escaped(error, event, reply),
    );
  }

  private escaped(error: unknown, event: string, reply: AckFn): void {
    this.logger.error({ err: error, event }, 'event handler escaped the exception filter');
    reply({ ok: false, error: INTERNAL_ERROR });
  }
}
