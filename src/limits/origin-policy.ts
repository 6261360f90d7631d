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
 * browser page and is let through (it still needs credentials). With a list, exactly the listed
 * origins (or any, with `*`). Without one, in development, the page's own origin and localhost
 * on any port; in production nothing is inferred: a DNS-rebinding page has Host equal to its
 * Origin, and any local program can serve a localhost page.
 */
export function isOriginAllowed(headers: IncomingHttpHeaders, allowed: readonly string[] | undefined, production = false): boolean {
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (allowed !== undefined) return allowed.includes('*') || allowed.includes(origin);
  if (production) return false;
  const hostname = hostnameOf(origin);
  if (hostname === undefined) return false;
  if (LOCAL_HOSTNAMES.has(hostname)) return true;
  const host = headers.host;
  return host !== undefined && new URL(origin).host === host;
}
