/**
 * The client address the per-address limits count (issue 17.2). By default the TCP peer: a
 * client cannot choose it. Behind reverse proxies, `trustProxyHops` says how many of them append
 * to `X-Forwarded-For`; the address the outermost trusted proxy saw is used, so whatever a
 * client writes into the header itself is ignored. IPv6 addresses count per /64 (one customer
 * line usually holds a whole /64).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Expands an IPv6 address to 8 groups of 4 hex digits; undefined if it is not one. */
function ipv6Groups(address: string): string[] | undefined {
  const [head = '', tail, ...rest] = address.toLowerCase().split('::');
  if (rest.length > 0) return undefined;
  const parse = (part: string): string[] => (part === '' ? [] : part.split(':'));
  let left = parse(head);
  let right = tail === undefined ? [] : parse(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const last = (right.length > 0 ? right : left).at(-1);
  if (last !== undefined && last.includes('.')) {
    const octets = last.split('.').map(Number);
    const v4 = [((octets[0] ?? 0) << 8) | (octets[1] ?? 0), ((octets[2] ?? 0) << 8) | (octets[3] ?? 0)].map((n) => n.toString(16));
    if (right.length > 0) right = [...right.slice(0, -1), ...v4];
    else left = [...left.slice(0, -1), ...v4];
  }
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return undefined;
  return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right].map((g) => g.padStart(4, '0'));
}

/** The key an address counts under: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 per /64. */
export function addressKey(address: string): string {
  const trimmed = address.trim();
  const kind = isIP(trimmed);
  if (kind === 4) return trimmed;
  if (kind === 6) {
    const groups = ipv6Groups(trimmed.split('%')[0] ?? trimmed);
    if (!groups) return trimmed;
    if (groups.slice(0, 5).every((g) => g === '0000') && groups[5] === 'ffff') {
      const n = parseInt(`${groups[6]}${groups[7]}`, 16);
      return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    }
    return `${groups.slice(0, 4).join(':')}::/64`;
  }
  // Not an IP (a trusted proxy wrote something else): counted as written, bounded.
  return trimmed.slice(0, 64) || 'unknown';
}

/**
 * The client address of a request: the TCP peer, or with `trustProxyHops` = n > 0 the n-th
 * address from the right of [X-Forwarded-For..., peer] (the furthest one when there are fewer).
 */
export function clientAddress(req: IncomingMessage, trustProxyHops: number): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (trustProxyHops <= 0) return addressKey(peer);
  const forwarded = req.headers['x-forwarded-for'];
  const list = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const chain = [...list, peer];
  const index = Math.max(0, chain.length - 1 - trustProxyHops);
  return addressKey(chain[index] ?? peer);
}
