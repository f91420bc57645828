/**
 * A node:http server for the gateway with its time limits set on purpose (issue 17.3). Node's
 * defaults let a client take 60 s to send its headers and 300 s for the whole request; a client
 * that sends one byte now and then holds a socket that long. The gateway's own body deadlines
 * (limits.bodyTimeoutMs / uploadTimeoutMs) cut slow bodies much sooner; these limits cover what
 * happens before the gateway runs.
 */
import { createServer, type Server, type ServerOptions } from 'node:http';
import type { Gateway } from './types.js';

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

export type GatewayServerOptions = Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval' | 'keepAliveTimeout' | 'maxHeaderSize'>;

/**
 * `http.createServer` with the gateway as the handler and deliberate timeouts. Raise
 * `requestTimeout` above `limits.uploadTimeoutMs` if you raise that.
 */
export function createGatewayServer(gateway: Pick<Gateway, 'handler'>, options: GatewayServerOptions = {}): Server {
  const { keepAliveTimeout, ...rest } = options;
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
  return server;
}
