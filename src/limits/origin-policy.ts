import type { IncomingHttpHeaders } from 'node:http';

const LOCAL_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostnameOf(origin: string): string | undefined {
  try {
    return new URL(origin).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Which browser origins may talk to the gateway. A request without an Origin header is not a
 * browser page and is let through (it still needs credentials). `allowed` undefined means the
 * default: the page's own origin and localhost.
 */
export function isOriginAllowed(headers: IncomingHttpHeaders, allowed: readonly string[] | undefined): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (allowed !== undefined) return allowed.includes('*') || allowed.includes(origin);
  const hostname = hostnameOf(origin);
  if (hostname === undefined) return false;
  if (LOCAL_HOSTNAMES.has(hostname)) return true;
  const host = headers.host;
  return host !== undefined && new URL(origin).host === host;
}
