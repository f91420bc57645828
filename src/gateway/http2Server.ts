/**
 * The gateway over HTTP/2 (issue 17.1). What a load balancer speaks to its backends when it
 * multiplexes (Envoy, HAProxy, Caddy, Traefik): many customers' requests as streams of a few
 * connections. An open long poll then holds one descriptor in the gateway (its upstream socket)
 * instead of two, and 10 000 customers fit in a limit of 20 000 descriptors.
 *
 * Without `tls`: h2c with prior knowledge (cleartext HTTP/2 only, as balancers speak to backends
 * on a private network). With `tls`: h2 and HTTP/1.1 by ALPN, the latter with the same time
 * limits as createGatewayServer.
 *
 * What is per connection on HTTP/1.1 is per stream here: a cancelled stream (RST_STREAM) ends its
 * exchange (a poll is aborted upstream), a refused body's stream is reset, not the connection. The
 * gateway's per-address limits count requests and polls, not connections, so they hold as before;
 * behind a balancer they count the address it names (`trustProxyHops`). The cap on connections
 * per peer address (`connectionsPerAddress`) is off by default there (see connections.ts).
 */
import { createServer, createSecureServer, type Http2SecureServer, type Http2Server, type Http2Session, type SecureServerOptions, type Settings } from 'node:http2';
import { capConnectionsPerAddress, connectionsPerAddressFor, type ServedGateway } from './connections.js';
import { DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, type GatewayServerOptions } from './server.js';

/**
 * Streams open at once on one connection. A balancer opens another connection beyond it; one
 * client cannot hold more polls than `limits.pollsPerAddress` anyway.
 */
export const DEFAULT_HTTP2_MAX_STREAMS = 4096;
/** A connection with no stream open this long is closed (GOAWAY): one that never sends a request does not hold a descriptor. */
export const DEFAULT_HTTP2_IDLE_TIMEOUT_MS = 60_000;
/**
 * Memory one connection may use for its streams' frames and headers before new streams are
 * refused, in MB (Node's default is 10). A balancer's connection carries thousands of customers.
 */
export const DEFAULT_HTTP2_SESSION_MEMORY_MB = 64;

/** node:http's keepAliveTimeout default, for the HTTP/1.1 side of the TLS server. */
const NODE_KEEP_ALIVE_TIMEOUT_MS = 5000;

/**
 * createGatewayServer's options apply to the HTTP/1.1 connections of the TLS server (h2c has
 * none); `maxHeaderSize` also bounds an HTTP/2 request's headers (SETTINGS_MAX_HEADER_LIST_SIZE).
 */
export interface GatewayHttp2Options extends GatewayServerOptions {
  /**
   * Certificate and key (node:tls options): serves h2 and HTTP/1.1 by ALPN (`allowHTTP1`), the
   * HTTP/1.1 connections with `headersTimeout`, `requestTimeout`, `connectionsCheckingInterval`,
   * `keepAliveTimeout` as createGatewayServer sets them. Without: h2c only (no HTTP/1.1, no TLS).
   */
  tls?: Omit<SecureServerOptions, 'allowHTTP1' | 'settings' | 'maxSessionMemory'>;
  /** SETTINGS_MAX_CONCURRENT_STREAMS per connection. Default DEFAULT_HTTP2_MAX_STREAMS. */
  maxConcurrentStreams?: number;
  /** Close a connection that has had no stream open for this long. Default DEFAULT_HTTP2_IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number;
  /** Per-connection memory for frames and headers, in MB. Default DEFAULT_HTTP2_SESSION_MEMORY_MB. */
  maxSessionMemory?: number;
}

/** Closes `session` once it has had no stream open for `idleMs`. */
function closeWhenIdle(session: Http2Session, idleMs: number): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => session.close(), idleMs);
    timer.unref();
  };
  session.on('stream', (stream) => {
    open += 1;
    clearTimeout(timer);
    stream.once('close', () => {
      open -= 1;
      if (open === 0 && !session.closed && !session.destroyed) arm();
    });
  });
  session.once('close', () => clearTimeout(timer));
  arm();
}

/** The h2c server: cleartext HTTP/2 with prior knowledge (behind a balancer). */
export function createGatewayHttp2Server(gateway: ServedGateway, options?: Omit<GatewayHttp2Options, 'tls'>): Http2Server;
/** The TLS server: h2 and HTTP/1.1 by ALPN. */
export function createGatewayHttp2Server(gateway: ServedGateway, options: GatewayHttp2Options & { tls: NonNullable<GatewayHttp2Options['tls']> }): Http2SecureServer;
/**
 * `http2.createServer` (h2c) or, with `tls`, `http2.createSecureServer({ allowHTTP1: true })`
 * with the gateway as the handler and deliberate limits.
 */
export function createGatewayHttp2Server(gateway: ServedGateway, options: GatewayHttp2Options = {}): Http2Server | Http2SecureServer {
  const { tls, maxConcurrentStreams, idleTimeoutMs, maxSessionMemory, keepAliveTimeout, headersTimeout, requestTimeout, connectionsCheckingInterval, maxHeaderSize, connectionsPerAddress } = options;
  const maxConnections = connectionsPerAddressFor(gateway, connectionsPerAddress, 'createGatewayHttp2Server');
  const common: { settings: Settings; maxSessionMemory: number } = {
    settings: { maxConcurrentStreams: maxConcurrentStreams ?? DEFAULT_HTTP2_MAX_STREAMS },
    maxSessionMemory: maxSessionMemory ?? DEFAULT_HTTP2_SESSION_MEMORY_MB,
  };
  if (maxHeaderSize !== undefined) common.settings = { ...common.settings, maxHeaderListSize: maxHeaderSize };
  const onRequest: Parameters<typeof createServer>[1] = (req, res) => void gateway.handler(req, res);
  const server = tls ? createSecureServer({ ...tls, ...common, allowHTTP1: true }, onRequest) : createServer(common, onRequest);
  if (tls) {
    // The HTTP/1.1 side (Node's http server logic on the same listener): createGatewayServer's limits.
    // Node reads these fields of the listening server for its HTTP/1.1 connections; it sets the first
    // three (to its own defaults) but not keepAliveTimeout, without which an idle connection stays open.
    const http1 = server as Http2SecureServer & Required<Pick<GatewayServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval' | 'keepAliveTimeout'>> & Pick<GatewayServerOptions, 'maxHeaderSize'>;
    http1.headersTimeout = headersTimeout ?? DEFAULT_HEADERS_TIMEOUT_MS;
    http1.requestTimeout = requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
    http1.connectionsCheckingInterval = connectionsCheckingInterval ?? DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS;
    http1.keepAliveTimeout = keepAliveTimeout ?? NODE_KEEP_ALIVE_TIMEOUT_MS;
    if (maxHeaderSize !== undefined) http1.maxHeaderSize = maxHeaderSize;
  }
  const idleMs = idleTimeoutMs ?? DEFAULT_HTTP2_IDLE_TIMEOUT_MS;
  server.on('session', (session: Http2Session) => closeWhenIdle(session, idleMs));
  // TCP connections, before TLS: h2 sessions and HTTP/1.1 connections alike.
  capConnectionsPerAddress(server, maxConnections, gateway);
  return server;
}
