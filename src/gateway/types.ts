/**
 * Public types of the server-side gateway (`aicc-chat-machine/gateway`, Node only).
 * The gateway holds the tenant's AK/SK and API Fabric AccessToken, decides who the caller is
 * (`identify`), and forwards the customer's CC-Messaging calls to AICC bound to that user.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { ApiName } from '../client/protocol.js';
import type { TokenSecret } from './sealing.js';

/** The 12 customer APIs the gateway forwards (applyToken is called by the gateway itself). */
export type ForwardedApi = Exclude<ApiName, 'tokenByAkSk' | 'applyToken'>;

/** Every route the gateway answers: the 12 forwarded APIs plus `POST {basePath}/token`. */
export type GatewayRoute = ForwardedApi | 'token';

/**
 * Who the caller is, as the host application decides it (session cookie, JWT, ...). The gateway
 * calls applyToken with exactly these values and binds every forwarded call to them.
 */
export interface GatewayIdentity {
  /** 1–24 characters (the shortest documented limit, docs/protocol.md#26-identifiers). */
  userId: string;
  userName: string;
  /** The WEB channel configuration id this user chats on. */
  channelId: string;
  /** zh, zh_CN, en, en_US, ... */
  locale: string;
}

/**
 * A request as the gateway's handler receives it: node:http's, or node:http2's compatibility
 * request (createGatewayHttp2Server). Both have `headers` (HTTP/2 adds the pseudo-headers and
 * has `:authority` instead of `host`), `method`, `url` and `socket.remoteAddress` (over HTTP/2
 * the connection's peer: behind a balancer, the balancer; see `trustProxyHops`).
 */
export type GatewayRequest = IncomingMessage | Http2ServerRequest;
/** The response the gateway's handler writes: node:http's, or node:http2's compatibility response. */
export type GatewayResponse = ServerResponse | Http2ServerResponse;

/**
 * Decides who sent the request; `null` → 401. Called for every request the gateway routes
 * (never for 404s or preflights). It may read cookies or an Authorization header of your own:
 * the gateway never forwards either upstream.
 */
export type IdentifyFn = (request: GatewayRequest) => Promise<GatewayIdentity | null> | GatewayIdentity | null;

export type GatewayLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One log line. Never holds a token, the AccessToken, the app key or the app secret. */
export interface GatewayLogEntry {
  level: GatewayLogLevel;
  msg: string;
  userId?: string;
  api?: GatewayRoute;
  /** HTTP status answered to the browser (499: the browser went away first). */
  status?: number;
  /** Time spent on the request, ms. */
  ms?: number;
}

export type GatewayLogger = (entry: GatewayLogEntry) => void;

/** A long poll one gateway instance holds open, as the store records it. */
export interface PollLease {
  /** Unique in the fleet. */
  id: string;
  /** The gateway instance holding it: the name it `listen`s under. */
  instance: string;
  userId: string;
  /** The client address the per-address cap counts (see `trustProxyHops`). */
  address: string;
}

/** `claimed: false`: the address already holds its maximum of open polls; nothing changed. */
export type PollClaim = { claimed: true; replaced: PollLease | null } | { claimed: false };

/** `gone`: no instance listens under the lease's instance name any more (it stopped or died). */
export type EndPollOutcome = 'ended' | 'gone' | 'timeout';

/**
 * Where the gateway keeps its state beyond one request: rate-limit counters, each customer's one
 * open long poll and the open polls per client address. One store shared by every instance
 * (`redisGatewayStore`) makes those limits hold across a fleet; the default
 * (`memoryGatewayStore`) is this process's own.
 *
 * Any method may reject (the store is unreachable): the gateway then falls back to a store of
 * its own process for a while and logs it (docs/security.md, "When Redis is down").
 */
export interface GatewayStore {
  /**
   * Increments the counter under `key` and resolves with its new value. The key is already
   * specific to one window, so `windowMs` is only the time after which the store may forget it.
   */
  hit(key: string, windowMs: number): Promise<number>;
  /**
   * Atomically: unless `lease.address` already holds `maxPerAddress` open polls (the user's own
   * poll being replaced not counted), makes `lease` its user's one open poll and counts it for
   * its address, and answers the lease it replaced. A lease is forgotten `ttlMs` after its claim
   * unless released first (its instance died).
   */
  claimPoll(lease: PollLease, limits: { maxPerAddress: number; ttlMs: number }): Promise<PollClaim>;
  /** The poll ended: it no longer counts for its address, nor is it its user's poll (if it still was). */
  releasePoll(lease: PollLease): Promise<void>;
  /**
   * Asks the instance holding `lease` to end that poll now (the handler it gave `listen`) and
   * resolves once it has, or when no instance listens under that name, or after `timeoutMs`.
   */
  endPoll(lease: PollLease, timeoutMs: number): Promise<EndPollOutcome>;
  /**
   * Registers a gateway instance: `onEnd(leaseId)` ends one of its polls and resolves once its
   * upstream request is over and its browser has the answer. Resolves with a function that
   * unregisters it. Keeps the registration across reconnects.
   */
  listen(instance: string, onEnd: (leaseId: string) => Promise<void>): Promise<() => Promise<void>>;
}

export interface RateLimitOptions {
  /** Window length in ms. Default 60 000. */
  windowMs?: number;
  /** Requests per user and window over all routes without their own limit. Default 300. */
  max?: number;
  /**
   * Routes with their own counter and limit per user and window. Default
   * `{ token: 20, uploadFileStream: 20 }` (replaced, not merged, when given).
   */
  perRoute?: Partial<Record<GatewayRoute, number>>;
  /**
   * Requests per client address and window, over all routes, counted before `identify` runs (so
   * unidentified requests count too, and a flood of fresh identities from one address is
   * limited). Default 1200. What an address is: see `trustProxyHops`.
   */
  perAddress?: number;
}

export interface GatewayLimits {
  /** Largest JSON request body in bytes. Default 64 KiB. */
  jsonBodyBytes?: number;
  /** Largest uploadFileStream body in bytes. Default 3 MiB (a 2 MiB file in Base64 plus JSON). */
  uploadBodyBytes?: number;
  /** Largest upstream answer in bytes (downloadFileStream carries Base64 files). Default 8 MiB. */
  responseBytes?: number;
  /** Deepest nesting of objects and arrays in a JSON request body (the body itself is level 1). Default 32; deeper → 400. */
  jsonDepth?: number;
  /**
   * Time from the request's arrival until its JSON body (every route but uploadFileStream) has
   * arrived. Default 10 000 ms; later → 408 and the connection is closed.
   */
  bodyTimeoutMs?: number;
  /** The same for uploadFileStream bodies. Default 60 000 ms. */
  uploadTimeoutMs?: number;
  /**
   * Long polls open from one client address, over every instance sharing the `store`. Default
   * 256; more → 429. (Per user there is always one: a newer poll replaces the older.)
   */
  pollsPerAddress?: number;
  /**
   * Requests of one customer (identified user) in flight at once in this process, on every route
   * but poll (which has its own rule: one per customer), from the request's arrival until its
   * answer is written out or its connection (HTTP/2: stream) closes. Default 64; one more → 429
   * `inFlight` + `Retry-After`, before its body is read. The package's client has at most one
   * CHAT send, a typing notice, a read receipt, a queue or history query and a survey call in
   * flight, plus one request per file it is uploading or downloading, which it starts side by
   * side: a page that fetches every file of a 50-message history at once over HTTP/2 (as
   * examples/react does after a reload) reaches about 58. Over HTTP/1.1 a browser sends at most 6
   * at once to one host anyway.
   *
   * Per process on purpose, like `inFlightPerAddress` and `uploadsPerAddress`: they bound the
   * sockets and buffered bodies of the process that holds them; a count over a fleet would let
   * one client put its whole share on one instance. `Infinity` turns it off.
   */
  inFlightPerCustomer?: number;
  /**
   * Requests from one client address (see `trustProxyHops`) in flight at once in this process, on
   * every route but poll (`pollsPerAddress` caps those), counted before `identify` runs, so
   * unidentified requests count too. Default 256, as many as `pollsPerAddress` lets one address
   * poll for, each with a call in flight; one more → 429 `inFlightAddress` + `Retry-After`, before
   * its body is read. With the 64 KiB JSON limit that bounds one address to 16 MiB of request
   * bodies being received. `Infinity` turns it off.
   */
  inFlightPerAddress?: number;
  /**
   * uploadFileStream requests from one client address in flight at once in this process (they also
   * count for `inFlightPerAddress`). Default 16; one more → 429 `uploadsPerAddress` + `Retry-After`,
   * before its body is read. An upload body is buffered whole (up to `uploadBodyBytes`, 3 MiB) and
   * may take `uploadTimeoutMs` (60 s) to arrive: 16 bound one address to 48 MiB of them. `Infinity`
   * turns it off.
   */
  uploadsPerAddress?: number;
  /**
   * Upstream sockets for every API but poll (kept alive). Default 256; a request waits at most
   * its timeout for one (→ 503), then its timeout starts.
   */
  upstreamSockets?: number;
  /**
   * Upstream sockets for long polls, a pool of their own (kept alive). An open poll holds two
   * descriptors (the browser's connection, this socket), so by default the pool is what the
   * process's open-file limit leaves at two a poll, after the API pool and 128 descriptors for
   * the rest: (limit − 2 × upstreamSockets − 128) / 2, 9 680 under a limit of 20 000; unbounded
   * where the limit cannot be read (not Linux). Further polls wait for a socket (503 after
   * `pollTimeoutMs`), and other calls can still connect. With `front: 'multiplexed'` (customers
   * only through a balancer speaking HTTP/2 to createGatewayHttp2Server) a poll holds one
   * descriptor, and the default is limit − upstreamSockets − 128 (19 616 under 20 000).
   */
  pollSockets?: number;
}

/**
 * How customers' requests reach the gateway, for sizing the default poll pool (`limits.pollSockets`):
 * - `'connection-per-customer'` (default): each customer (browser, or a balancer's HTTP/1.1
 *   upstream connection per request) holds a connection of their own; an open poll costs two
 *   descriptors.
 * - `'multiplexed'`: only through a balancer that speaks HTTP/2 to the gateway
 *   (createGatewayHttp2Server), many customers as streams of a few connections; an open poll
 *   costs one descriptor (its upstream socket).
 */
export type GatewayFront = 'connection-per-customer' | 'multiplexed';

export interface GatewayOptions {
  /** Tenant base URL, `https://{domain}` (or the simulator's `sim.url`). */
  upstream: string;
  /** API Fabric app key (x-app-key). Server side only. */
  appKey: string;
  /** API Fabric app secret. Server side only. */
  appSecret: string;
  /** Requested AccessToken lifetime, 1..3600 s. Default 600. */
  accessTokenSeconds?: number;
  /**
   * Who is calling; null → 401. Over HTTP/2 it receives node:http2's compatibility request.
   * Declared as a method so that an identify written for node:http alone,
   * `(req: IncomingMessage) => …`, still type-checks (it reads `headers`, which both have).
   */
  identify(request: GatewayRequest): ReturnType<IdentifyFn>;
  /**
   * Keys sealing the ccmessaging-token handed to the browser (compact JWE, `A256KW` + `A256GCM`;
   * each AES key is derived with HKDF-SHA256 from its secret), and tagging file ids. The same on
   * every instance. One secret of at least 32 characters (its key id is a fingerprint of it), or
   * keys by id, newest first, for rotation: the first whose `sealFrom` has come seals, every
   * listed key opens, a token naming an unlisted key id is refused (401).
   */
  tokenSecret: TokenSecret;
  /** A sealed token older than this is refused with 401 (the client then asks for a new one); it is also the token's `exp`. Default 24 h. */
  tokenMaxAgeMs?: number;
  /**
   * Path prefix the handler sees in `req.url`, e.g. `/aicc` with plain node:http or a Fastify
   * route. Leave it '' (default) when the framework strips the mount path (Express `app.use`,
   * @fastify/middie `fastify.use`).
   */
  basePath?: string;
  /** Exact origins (`https://shop.example.com`) allowed to call from a browser. Default none. */
  allowedOrigins?: readonly string[];
  /** Extra request headers browsers may send, e.g. `authorization` when `identify` reads a bearer token. */
  corsAllowHeaders?: readonly string[];
  /** Preflight cache time. Default 600 s. */
  corsMaxAgeSeconds?: number;
  limits?: GatewayLimits;
  /** Rate limits per user and per client address; `false` turns both off. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Where rate-limit counters and open polls are kept. Default: this process only
   * (`memoryGatewayStore()`). Give every instance behind a load balancer the same shared store
   * (`redisGatewayStore({ url })`) so that the limits and the one-poll rule hold across them.
   */
  store?: GatewayStore;
  /**
   * How long a call to a shared `store` may take before this instance stops waiting and uses its
   * own counters instead (then again after `storeRetryMs`). Default 1000 ms.
   */
  storeTimeoutMs?: number;
  /** After the shared store failed, how long to use this instance's own counters before trying it again. Default 1000 ms. */
  storeRetryMs?: number;
  /**
   * How many reverse proxies in front of the gateway append to `X-Forwarded-For` and are
   * trusted. Default 0: the TCP peer is the client address and `X-Forwarded-For` is ignored (a
   * client could write anything there). With n, the n-th address from the right of
   * [X-Forwarded-For..., peer] is the client's. Used only by the per-address limits.
   */
  trustProxyHops?: number;
  /** How customers reach the gateway (sizes the default poll pool). Default `'connection-per-customer'`. */
  front?: GatewayFront;
  /** Upstream timeout for everything but poll. Default 15 000 ms. */
  upstreamTimeoutMs?: number;
  /** The service's long-poll window. Default 5000 ms. */
  longPollWindowMs?: number;
  /** Upstream timeout for poll. Default longPollWindowMs + 10 000 ms. */
  pollTimeoutMs?: number;
  /** Where log lines go. Default: nowhere. */
  logger?: GatewayLogger;
  /** Clock (token ages and rate-limit windows). Default Date.now. */
  now?: () => number;
}

/** Express-style continuation; the gateway answers every request itself and never calls it. */
export type NextFunction = (error?: unknown) => void;

/**
 * What createGatewayServer and createGatewayHttp2Server read from the gateway they serve: how
 * customers reach it (its `trustProxyHops` and `front`, defaults applied), to choose their default
 * `connectionsPerAddress`, and its logger, to say when they refuse a connection.
 */
export interface GatewayDeployment {
  readonly trustProxyHops: number;
  readonly front: GatewayFront;
  /** Writes one line to the gateway's `logger` (a throwing logger is ignored). */
  log(entry: GatewayLogEntry): void;
}

export interface Gateway {
  /**
   * A node:http request handler: `http.createServer(gateway.handler)`, Express
   * `app.use('/aicc', gateway.handler)`, Fastify via @fastify/middie; also a node:http2
   * compatibility-API handler (`createGatewayHttp2Server`). Answers every request itself
   * (unknown paths → 404); the promise never rejects.
   */
  handler(req: GatewayRequest, res: GatewayResponse, next?: NextFunction): Promise<void>;
  /** How customers reach this gateway, for its servers (createGatewayServer, createGatewayHttp2Server). */
  readonly deployment: GatewayDeployment;
  /** Aborts requests still in flight upstream and closes kept-alive upstream sockets. */
  close(): Promise<void>;
}
