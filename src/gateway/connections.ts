/**
 * Open connections per peer address, for createGatewayServer and createGatewayHttp2Server (issue
 * 17.2). A connection costs a descriptor and memory before any request arrives (up to
 * `headersTimeout`, 10 s, without sending one), and the gateway's own caps count requests, not
 * connections. Beyond the cap a new connection is destroyed at once, before a byte is read: no
 * answer (a TLS handshake or an HTTP/2 preface would come first anyway, and a browser would not
 * let the page read an answer without CORS headers); the gateway's logger says so.
 *
 * The peer is the TCP peer: behind a balancer every connection comes from the balancer, so the
 * cap is off by default when the gateway trusts proxies (`trustProxyHops` > 0) or is told its
 * front is `'multiplexed'`.
 */
import type { Server as NetServer, Socket } from 'node:net';
import { addressKey } from './address.js';
import { createInFlightCounter } from './inFlight.js';
import type { Gateway } from './types.js';

/**
 * Connections one peer address may hold open, by default, when the gateway serves browsers
 * directly: far above a NAT'd office (a browser opens at most 6 connections to a host over
 * HTTP/1.1, one over HTTP/2), and above what `limits.pollsPerAddress` (256) and
 * `limits.inFlightPerAddress` (256) let one address use.
 */
export const DEFAULT_CONNECTIONS_PER_ADDRESS = 1024;

/** What the servers take: the gateway, or a handler of the host's own (then the default applies). */
export type ServedGateway = Pick<Gateway, 'handler'> & Partial<Pick<Gateway, 'deployment'>>;

/**
 * The cap a server uses (`connectionsPerAddress`): the option when given, else the default for
 * how the gateway is reached. `caller` names the server in the TypeError for a bad option.
 */
export function connectionsPerAddressFor(gateway: ServedGateway, option: number | undefined, caller = 'createGatewayServer'): number {
  if (option !== undefined) {
    if (!((Number.isInteger(option) && option > 0) || option === Infinity)) {
      throw new TypeError(`${caller}: connectionsPerAddress must be a positive integer or Infinity`);
    }
    return option;
  }
  const deployment = gateway.deployment;
  if (deployment && (deployment.trustProxyHops > 0 || deployment.front === 'multiplexed')) return Infinity;
  return DEFAULT_CONNECTIONS_PER_ADDRESS;
}

/** Counts `server`'s connections per peer address and destroys one beyond `max`. */
export function capConnectionsPerAddress(server: NetServer, max: number, gateway: ServedGateway): void {
  if (max === Infinity) return;
  const open = createInFlightCounter();
  // Before the server's own listener: a refused socket never gets a parser or a session.
  server.prependListener('connection', (socket: Socket) => {
    const giveBack = open.take(addressKey(socket.remoteAddress ?? 'unknown'), max);
    if (!giveBack) {
      socket.destroy();
      gateway.deployment?.log({ level: 'warn', msg: `connection closed at once: its address already holds ${max} open connections (connectionsPerAddress)` });
      return;
    }
    socket.once('close', giveBack);
  });
}
