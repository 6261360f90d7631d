import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppError } from './app-error.js';

/**
 * Deepest nesting of objects and arrays a request body may have. The API's bodies are flat (one
 * level); JSON.parse itself copes with any depth, but the validation that follows walks the value
 * recursively, so a deeply nested body of a few KB would overflow the stack and answer 500.
 */
export const MAX_BODY_DEPTH = 32;

/** Whether a parsed body nests objects or arrays deeper than `max`; walks it without recursion. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
    }
  }
  return false;
}

function refuseDeepBodies(request: Request, _response: Response, next: NextFunction): void {
  if (nestsDeeperThan(request.body, MAX_BODY_DEPTH)) {
    next(AppError.validation(`request body nests deeper than ${MAX_BODY_DEPTH} levels`));
  } else {
    next();
  }
}

/**
 * A JSON syntax error's message quotes the body ("Unexpected token ... "secret..." is not valid
 * JSON"), so it is answered with a constant; body-parser names the failure in `type`. Other
 * parser errors (too large, bad charset) say nothing of the body and keep their status.
 */
function hideParseErrors(error: unknown, _request: Request, _response: Response, next: NextFunction): void {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  next(type === 'entity.parse.failed' ? AppError.validation('request body is not valid JSON') : error);
}

/**
 * Nest's own body parsers (json, urlencoded) with the same options, registered here (create the
 * app with `bodyParser: false`) so the depth limit and the error masking follow them directly.
 */
export function useBodyParsers(app: NestExpressApplication): void {
  app.useBodyParser('json');
  app.useBodyParser('urlencoded', { extended: true });
  app.use(refuseDeepBodies);
  app.use(hideParseErrors);
}
