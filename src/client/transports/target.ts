/**
 * A request URL as node:http options (protocol, hostname, port, path), each origin parsed once.
 * Used by the node transport (node.ts); transport-net (net.ts) shares `isPlainPath`.
 */
import type { RequestOptions } from 'node:http';

/** Host, port and protocol of an origin. */
interface Origin {
  protocol: string;
  hostname: string;
  port: string;
}
/** The origins seen (a client has one; bounded all the same). */
const origins = new Map<string, Origin | null>();
/**
 * A path and query the URL parser leaves unchanged, so Node sends them as they are (no `'`: it
 * is escaped in a query).
 */
const PLAIN_PATH = /^\/[\w\-.~!$&()*+,;=:@/?%]*$/;
const DOT_SEGMENT = /\/\.\.?(?:[/?]|$)/;

/** `path` (and query) goes on the request line as it is: the URL parser would not change it. */
export const isPlainPath = (path: string): boolean => PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path);

/**
 * Writes `url`'s protocol, hostname, port and path into `options` (http.request options); false,
 * leaving them alone, when Node should parse the URL itself. Node's own parse of a URL string
 * (`new URL` + `urlToHttpOptions`) was a visible share of a long poll's CPU and allocations at
 * 10 000 sessions (docs/performance.md); a client's requests share one origin, parsed once. A URL
 * with credentials, or a path the parser would rewrite (dot segments, characters it escapes),
 * takes Node's way, so both ways send the same request.
 */
export function applyTarget(options: RequestOptions, url: string): boolean {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  if (slash < 0) return false;
  const origin = url.slice(0, slash);
  let parsed = origins.get(origin);
  if (parsed === undefined) {
    parsed = parseOrigin(origin);
    if (origins.size < 64) origins.set(origin, parsed);
  }
  if (parsed === null) return false;
  const path = url.slice(slash);
  if (!isPlainPath(path)) return false;
  options.protocol = parsed.protocol;
  options.hostname = parsed.hostname;
  options.port = parsed.port;
  options.path = path;
  return true;
}

function parseOrigin(origin: string): Origin | null {
  try {
    const url = new URL(origin);
    if (url.username !== '' || url.password !== '' || url.origin !== origin.toLowerCase()) return null;
    // An IPv6 literal is given to net.connect without its brackets, as urlToHttpOptions does.
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    return { protocol: url.protocol, hostname, port: url.port };
  } catch {
    return null;
  }
}
