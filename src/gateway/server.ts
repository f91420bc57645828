/**
 * A node:http server for the gateway with its time limits set on purpose (issue 17.3). Node's
 * defaults let a client take 60 s to send its headers and 300 s for the whole request; a client
 * that sends one byte now and then holds a socket that long. The gateway's own body deadlines
 * (limits.bodyTimeoutMs / uploadTimeoutMs) cut slow bodies much sooner; these limits cover what
 * happens before the gateway runs.
 */
import { createServer, type Server, type ServerOptions } from 'node:http';
import { capConnectionsPerAddress, connectionsPerAddressFor, type ServedGateway } from './connections.js';

/** Time to receive the request headers (Node default 60 s). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/**
 * Time to receive the whole request, headers and body (Node default 300 s). Above the upload
 * deadline, so the gateway's own, more precise 408 comes first; a long poll is not affected
 * (its request is complete once its headers are in).
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 70_000;
/** How often Node checks those two limits (Node default 30 s, which would let them overrun by that much). */
export const DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export interface GatewayServerOptions extends Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval' | 'keepAliveTimeout' | 'maxHeaderSize'> {
  /**
   * Connections open at once from one peer address (the socket's, IPv6 per /64), counted per
   * server; one more is closed at once, unanswered, and the gateway logs it (`warn`). Default
   * DEFAULT_CONNECTIONS_PER_ADDRESS (1024), far above a NAT'd office of browsers (at most 6
   * connections each to one host), or `Infinity` (off) when the gateway trusts proxies
   * (`trustProxyHops` > 0) or its `front` is `'multiplexed'`: behind a balancer every connection
   * comes from the balancer. Per server, like the gateway's own in-flight caps per process.
   */
  connectionsPerAddress?: number;
}

/**
 * `http.createServer` with the gateway as the handler, deliberate timeouts and a cap on
 * connections per peer address. Raise `requestTimeout` above `limits.uploadTimeoutMs` if you
 * raise that.
 */
export function createGatewayServer(gateway: ServedGateway, options: GatewayServerOptions = {}): Server {
  const { keepAliveTimeout, connectionsPerAddress, ...rest } = options;
  const maxConnections = connectionsPerAddressFor(gateway, connectionsPerAddress);
  const server = createServer(
    {
      headersTimeout: DEFAULT_HEADERS_TIMEOUT_MS,
      requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS,
      ...rest,
    },
    (req, res) => void gateway.handler(req, res),
  );
  if (keepAliveTimeout !== undefined) server.keepAliveTimeout = keepAliveTimeout;
  capConnectionsPerAddress(server, maxConnections, gateway);
  return server;
}
