/**
 * createGateway: the server-side front of the CC-Messaging API. One request, in this order:
 *
 *   path (exact, 404) → origin (403) → preflight → method (404) → client address: requests and
 *   uploads in flight (429), rate limit (429) → content type (415) → declared size (413) →
 *   identify (401) → the customer's requests in flight (429) → user rate limit (429) →
 *   sealed token (401) → poll: open polls per address (429), the customer's older poll ended →
 *   body: deadline (408), size (413), nesting (400), JSON (400) → binding to the caller
 *   (400/403), file ids tagged for the caller (403; downloads: "not found") → upstream
 *   (x-app-key, Authorization and the real ccmessaging-token added here; one retry after a 403;
 *   polls on a pool of their own) → answer: rotation header re-sealed, file ids tagged for the
 *   caller, secrets scrubbed, only allow-listed headers.
 *
 * Nothing is forwarded that the gateway did not build itself: upstream request headers and the
 * browser's response headers are allow-lists, the JSON body is re-serialised after parsing and
 * the poll query is rebuilt. The gateway keeps no per-user state beyond what its store holds
 * (rate-limit counters, each customer's open poll: this process, or Redis for a fleet); the
 * sealed token and the file-id tags carry their own binding. Requests in flight are counted per
 * process (inFlight.ts says why).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Http2ServerRequest } from 'node:http2';
import axios from 'axios';
import { AiccError } from '../client/errors.js';
import type { GatewayRefusalReason } from '../client/gatewayReasons.js';
import { createAiccClient } from '../client/client.js';
import { akSkGatewayHeaders } from '../client/providers.js';
import {
  API_PATHS,
  DownloadResultCode,
  HEADERS,
  LIMITS,
  ResultCode,
  ResultDesc,
  type DownloadFileRequest,
  type PollResponse,
  type QueryHistoryResponse,
  type UploadFileResponse,
  type WireFields,
} from '../client/protocol.js';
import type { GatewayHeaders, GatewayHeadersProvider } from '../client/types.js';
import { clientAddress } from './address.js';
import { createFileTagger, tagMessages, untagFileId, untagMessageContent } from './files.js';
import { nestedDeeperThan } from './json.js';
import { createFleet, DEFAULT_STORE_RETRY_MS, DEFAULT_STORE_TIMEOUT_MS } from './fleet.js';
import { createInFlightCounter, type InFlightCounter } from './inFlight.js';
import { createPollRule } from './polls.js';
import { createRateLimiter } from './rateLimit.js';
import { checkBody, checkPollQuery, findRoute, validIdentity, type RouteSpec } from './routes.js';
import { createTokenSealer, tokenKeys, type SealedClaims, type TokenRefusal } from './sealing.js';
import type {
  ForwardedApi,
  Gateway,
  GatewayIdentity,
  GatewayLogEntry,
  GatewayLogLevel,
  GatewayOptions,
  GatewayRequest,
  GatewayResponse,
  GatewayRoute,
} from './types.js';
import { createAgents, upstreamRequest, type UpstreamResult } from './upstream.js';

export const DEFAULT_JSON_BODY_BYTES = 64 * 1024;
export const DEFAULT_UPLOAD_BODY_BYTES = 3 * 1024 * 1024;
export const DEFAULT_RESPONSE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_TOKEN_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** `limits.jsonDepth`: deepest nesting of a JSON request body (the body object is level 1). */
export const DEFAULT_JSON_DEPTH = 32;
/** `limits.bodyTimeoutMs`: from a request's arrival until its JSON body is in. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
/** `limits.uploadTimeoutMs`: the same for uploadFileStream. */
export const DEFAULT_UPLOAD_TIMEOUT_MS = 60_000;
/** `limits.pollsPerAddress`: long polls open per client address, over the instances sharing a store. */
export const DEFAULT_POLLS_PER_ADDRESS = 256;
/** `limits.inFlightPerCustomer`: a customer's requests in flight in this process, every route but poll. */
export const DEFAULT_IN_FLIGHT_PER_CUSTOMER = 64;
/** `limits.inFlightPerAddress`: a client address's requests in flight in this process, every route but poll. */
export const DEFAULT_IN_FLIGHT_PER_ADDRESS = 256;
/** `limits.uploadsPerAddress`: a client address's uploadFileStream requests in flight in this process. */
export const DEFAULT_UPLOADS_PER_ADDRESS = 16;
/** Retry-After for a request refused by an in-flight cap: a slot frees as soon as one of the others is answered. */
const IN_FLIGHT_RETRY_AFTER = '1';
/** Longest wait of a newer poll for the instance holding the customer's older poll to end it. */
export const POLL_REPLACE_WAIT_MS = 2000;
const DEFAULT_UPSTREAM_TIMEOUT_MS = 15_000;
/** Upstream answers nested deeper than this are not ours to handle (502). */
const ANSWER_MAX_DEPTH = 64;
/** Retry-After for a refused poll: by then one of the caller's polls has usually ended. */
const POLL_RETRY_AFTER_MAX_SECONDS = 60;
const POLL_TIMEOUT_MARGIN_MS = 10_000;
/** Request headers a browser may send (besides CORS-safelisted ones). */
const BASE_ALLOWED_HEADERS = ['content-type', HEADERS.ccmessagingToken] as const;
/** Response headers a browser script may read: only what the client needs. */
const EXPOSED_HEADERS = `${HEADERS.ccmessagingToken}, retry-after`;
const REDACTED = '[redacted]';
const EMPTY_POLL_ANSWER = JSON.stringify({ resultCode: ResultCode.SUCCESS, resultDesc: ResultDesc.pollSuccess, downlinkMessages: [] });
/** How long / how much of a refused body is discarded before the connection is cut. */
const LINGER_MAX_MS = 1000;
const LINGER_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Why a request was refused, by reason: the text goes into the log and the answer's
 * `exceptionInfo`, the reason itself into its `reason`
 * (`{ "errorCode": "<HTTP status>", "exceptionInfo": <text>, "reason": <key> }`), which the
 * package's client keeps as `AiccError.gatewayReason`. Typed against the one list of reasons
 * (GATEWAY_REFUSAL_REASONS) the client shares.
 */
export const GATEWAY_REASONS: Readonly<Record<GatewayRefusalReason, string>> = {
  noRoute: 'no such route',
  origin: 'origin not allowed',
  preflight: 'preflight not allowed',
  contentType: 'content-type must be application/json',
  tooLarge: 'request body too large',
  unidentified: 'caller not identified',
  identifyFailed: 'identify failed',
  badIdentity: 'identify returned an invalid identity',
  rateLimited: 'rate limit exceeded',
  rateLimitedAddress: 'rate limit exceeded for this client address',
  pollsPerAddress: 'too many polls in flight from this client address',
  inFlight: 'too many requests in flight for this customer',
  inFlightAddress: 'too many requests in flight from this client address',
  uploadsPerAddress: 'too many uploads in flight from this client address',
  bodyTimeout: 'request body too slow',
  tooDeep: 'request body nested too deeply',
  badJson: 'request body must be a JSON object',
  badField: 'a request field is missing or malformed',
  notCaller: 'a request field names someone other than the caller',
  foreignFile: 'file does not belong to the caller',
  noToken: 'ccmessaging-token missing',
  badToken: 'ccmessaging-token not issued to this caller',
  oldToken: 'ccmessaging-token too old',
  unknownKey: 'ccmessaging-token sealed with a key this gateway does not hold',
  legacyToken: 'ccmessaging-token in the retired v1 format: ask /token for a new one',
  unexpectedBody: 'this route takes no request body',
  unexpectedQuery: 'this route takes no query string',
  consumed: 'request body already consumed: mount the gateway before any body parser',
  upstreamAuth: 'upstream refused the gateway credentials',
  upstreamTimeout: 'upstream timeout',
  upstreamNetwork: 'upstream unreachable',
  upstreamTooLarge: 'upstream answer too large',
  upstreamNotJson: 'upstream answered with a non-JSON body',
  upstreamRedirect: 'upstream answered with a redirect',
  upstreamTooDeep: 'upstream answer nested too deeply',
  upstreamBusy: 'upstream connections busy',
  upstreamStatus: 'upstream answered an error without a JSON body',
  applyTokenFailed: 'applyToken failed',
  internal: 'internal error',
};
const Reason = GATEWAY_REASONS;

/** The 401 reason for each way a presented token fails to open. */
const REFUSED_TOKEN: Readonly<Record<TokenRefusal, GatewayRefusalReason>> = {
  malformed: 'badToken',
  invalid: 'badToken',
  'unknown-key': 'unknownKey',
  'legacy-format': 'legacyToken',
  expired: 'oldToken',
};

type Status = number;

/**
 * The origin refusal, naming the origin and the option that allows it: behind a dev-server
 * proxy (Vite's `server.proxy`, webpack's devServer.proxy) the browser calls its own origin, the
 * proxy passes that Origin on unchanged (`changeOrigin` only rewrites Host), and the gateway
 * sees the dev server's origin. Only an origin-shaped value is echoed.
 */
function originRefusal(origin: string): string {
  if (origin.length > 200 || !/^https?:\/\/[A-Za-z0-9.[\]:-]+$/.test(origin)) return GATEWAY_REASONS.origin;
  return `${GATEWAY_REASONS.origin}: add ${origin} to allowedOrigins (behind a dev-server proxy too: the browser's Origin is passed on unchanged)`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * A body follows the headers. HTTP/1.1 says so in Content-Length or Transfer-Encoding; an HTTP/2
 * request may send DATA frames without either, and ends after its headers only when it has none.
 */
function bodyFollows(req: IncomingMessage): boolean {
  if (req instanceof Http2ServerRequest) return !req.stream.endAfterHeaders;
  return (header(req, 'content-length') ?? '0') !== '0' || header(req, 'transfer-encoding') !== undefined;
}

function isJsonContentType(value: string | undefined): boolean {
  return (value ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

function validateOptions(options: GatewayOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('createGateway: options are required');
  if (typeof options.upstream !== 'string' || !/^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(options.upstream)) {
    throw new TypeError('createGateway: upstream must be an http(s) base URL without query or fragment');
  }
  if (typeof options.appKey !== 'string' || options.appKey === '') throw new TypeError('createGateway: appKey is required');
  if (typeof options.appSecret !== 'string' || options.appSecret === '') throw new TypeError('createGateway: appSecret is required');
  if (typeof options.identify !== 'function') throw new TypeError('createGateway: identify must be a function');
  const seconds = options.accessTokenSeconds;
  if (seconds !== undefined && !(Number.isInteger(seconds) && seconds >= 1 && seconds <= LIMITS.accessTokenMaxSeconds)) {
    throw new TypeError(`createGateway: accessTokenSeconds must be an integer in 1..${LIMITS.accessTokenMaxSeconds}`);
  }
  const basePath = options.basePath ?? '';
  if (basePath !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) {
    throw new TypeError('createGateway: basePath must be "" or like "/aicc" (no trailing slash)');
  }
  for (const origin of options.allowedOrigins ?? []) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) {
      throw new TypeError(`createGateway: allowedOrigins must be exact origins like https://shop.example.com (got ${JSON.stringify(origin)})`);
    }
  }
  for (const [name, value] of Object.entries({
    tokenMaxAgeMs: options.tokenMaxAgeMs,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    longPollWindowMs: options.longPollWindowMs,
    pollTimeoutMs: options.pollTimeoutMs,
    jsonBodyBytes: options.limits?.jsonBodyBytes,
    uploadBodyBytes: options.limits?.uploadBodyBytes,
    responseBytes: options.limits?.responseBytes,
    jsonDepth: options.limits?.jsonDepth,
    bodyTimeoutMs: options.limits?.bodyTimeoutMs,
    uploadTimeoutMs: options.limits?.uploadTimeoutMs,
    storeTimeoutMs: options.storeTimeoutMs,
    storeRetryMs: options.storeRetryMs,
  })) {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new TypeError(`createGateway: ${name} must be a positive integer`);
  }
  const store = options.store;
  if (store !== undefined && (store === null || ['hit', 'claimPoll', 'releasePoll', 'endPoll', 'listen'].some((m) => typeof (store as unknown as Record<string, unknown>)[m] !== 'function'))) {
    throw new TypeError('createGateway: store must implement GatewayStore (hit, claimPoll, releasePoll, endPoll, listen)');
  }
  for (const [name, value] of Object.entries({
    pollsPerAddress: options.limits?.pollsPerAddress,
    inFlightPerCustomer: options.limits?.inFlightPerCustomer,
    inFlightPerAddress: options.limits?.inFlightPerAddress,
    uploadsPerAddress: options.limits?.uploadsPerAddress,
    upstreamSockets: options.limits?.upstreamSockets,
    pollSockets: options.limits?.pollSockets,
  })) {
    if (value !== undefined && !((Number.isInteger(value) && value > 0) || value === Infinity)) {
      throw new TypeError(`createGateway: ${name} must be a positive integer or Infinity`);
    }
  }
  const hops = options.trustProxyHops;
  if (hops !== undefined && !(Number.isInteger(hops) && hops >= 0)) throw new TypeError('createGateway: trustProxyHops must be an integer >= 0');
  if (options.front !== undefined && options.front !== 'connection-per-customer' && options.front !== 'multiplexed') {
    throw new TypeError("createGateway: front must be 'connection-per-customer' or 'multiplexed'");
  }
}

/**
 * An HTTP/2 stream the client reset (RST_STREAM, e.g. CANCEL). node:http2's compatibility request
 * then ends its body as if it were complete (and counts itself complete): only the stream's reset
 * code tells a cut body from a whole one.
 */
function resetByClient(req: IncomingMessage): boolean {
  return req instanceof Http2ServerRequest && (req.aborted || (req.stream.rstCode ?? 0) !== 0);
}

type BodyRead = { kind: 'body'; bytes: Buffer } | { kind: 'too-large' } | { kind: 'aborted' } | { kind: 'timeout' };

/** Reads at most `limit` bytes within `timeoutMs`; stops listening as soon as either is passed. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const timer = setTimeout(() => finish({ kind: 'timeout' }), Math.max(0, timeoutMs));
    const finish = (result: BodyRead): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish({ kind: 'too-large' });
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(resetByClient(req) ? { kind: 'aborted' } : { kind: 'body', bytes: Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ kind: 'aborted' });
    const onClose = (): void => {
      if (!req.complete || resetByClient(req)) finish({ kind: 'aborted' });
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

/**
 * After answering without reading the request body (401, 413, ...): discard, never buffer, what
 * the client still sends for a short while, then cut the connection. Closing at once would turn
 * the unread bytes into a TCP reset that can make the client lose the answer; draining to the
 * end (what Node does by default) would let anyone stream gigabytes at us.
 */
function linger(req: IncomingMessage, res: ServerResponse): void {
  let discarded = 0;
  const cut = (): void => {
    stop();
    if (req.complete) return;
    if (res.writableFinished) req.socket.destroy();
    else res.once('finish', () => req.socket.destroy());
  };
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) cut();
  };
  const stop = (): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', stop);
  };
  const timer = setTimeout(cut, LINGER_MAX_MS);
  timer.unref();
  req.on('data', onData);
  req.once('end', stop);
  req.resume();
}

/** Replaces every occurrence of a secret (8+ characters) with [redacted]. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

function secretVariants(value: string): string[] {
  const variants = [value];
  try {
    const decoded = decodeURIComponent(value);
    if (decoded !== value) variants.push(decoded);
  } catch {
    // not URL-encoded
  }
  return variants;
}

export function createGateway(options: GatewayOptions): Gateway {
  validateOptions(options);
  const now = options.now ?? Date.now;
  const upstreamBase = options.upstream.replace(/\/+$/, '');
  const basePath = options.basePath ?? '';
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const allowedHeaders = [...new Set([...BASE_ALLOWED_HEADERS, ...(options.corsAllowHeaders ?? []).map((h) => h.toLowerCase())])];
  const corsMaxAge = String(options.corsMaxAgeSeconds ?? 600);
  const jsonLimit = options.limits?.jsonBodyBytes ?? DEFAULT_JSON_BODY_BYTES;
  const uploadLimit = options.limits?.uploadBodyBytes ?? DEFAULT_UPLOAD_BODY_BYTES;
  const responseLimit = options.limits?.responseBytes ?? DEFAULT_RESPONSE_BYTES;
  const jsonDepth = options.limits?.jsonDepth ?? DEFAULT_JSON_DEPTH;
  const bodyTimeout = options.limits?.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const uploadTimeout = options.limits?.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  const pollsPerAddress = options.limits?.pollsPerAddress ?? DEFAULT_POLLS_PER_ADDRESS;
  const inFlightPerCustomer = options.limits?.inFlightPerCustomer ?? DEFAULT_IN_FLIGHT_PER_CUSTOMER;
  const inFlightPerAddress = options.limits?.inFlightPerAddress ?? DEFAULT_IN_FLIGHT_PER_ADDRESS;
  const uploadsPerAddress = options.limits?.uploadsPerAddress ?? DEFAULT_UPLOADS_PER_ADDRESS;
  const trustProxyHops = options.trustProxyHops ?? 0;
  const tokenMaxAge = options.tokenMaxAgeMs ?? DEFAULT_TOKEN_MAX_AGE_MS;
  const upstreamTimeout = options.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS;
  const pollTimeout = options.pollTimeoutMs ?? (options.longPollWindowMs ?? LIMITS.longPollWindowMs) + POLL_TIMEOUT_MARGIN_MS;
  const pollRetryAfter = String(Math.min(POLL_RETRY_AFTER_MAX_SECONDS, Math.max(1, Math.ceil((options.longPollWindowMs ?? LIMITS.longPollWindowMs) / 1000))));
  const keys = tokenKeys(options.tokenSecret);
  const sealer = createTokenSealer(keys, { maxAgeMs: tokenMaxAge, now });
  const files = createFileTagger(keys, now);
  const log = options.logger ?? (() => {});
  /** A log line; a throwing logger must not break the gateway or the request. */
  const logSafely = (entry: GatewayLogEntry): void => {
    try {
      log(entry);
    } catch {
      // ignored
    }
  };
  /** A log line of the gateway itself, not of one request. */
  const logGateway = (level: GatewayLogLevel, msg: string): void => logSafely({ level, msg });
  const fleet = createFleet({
    store: options.store,
    now,
    timeoutMs: options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
    retryMs: options.storeRetryMs ?? DEFAULT_STORE_RETRY_MS,
    log: logGateway,
  });
  const limiter = createRateLimiter(options.rateLimit, now, fleet);
  const polls = createPollRule({
    fleet,
    maxPerAddress: pollsPerAddress,
    // A poll is answered within pollTimeout (504 otherwise) after it waited for its predecessor.
    ttlMs: pollTimeout + POLL_REPLACE_WAIT_MS + POLL_TIMEOUT_MARGIN_MS,
    replaceWaitMs: POLL_REPLACE_WAIT_MS,
    log: logGateway,
  });
  const staticSecrets = [options.appSecret, options.appKey];

  // tokenByAkSk and applyToken carry the app secret and the AccessToken: never follow a redirect
  // (a 307 would replay the secret to wherever it points).
  const noRedirects = () => axios.create({ maxRedirects: 0 });
  const sharedHeaders = akSkGatewayHeaders({
    baseUrl: upstreamBase,
    appKey: options.appKey,
    appSecret: options.appSecret,
    client: createAiccClient({ baseUrl: upstreamBase, axios: noRedirects(), timeoutMs: upstreamTimeout }),
    ...(options.accessTokenSeconds !== undefined ? { expiresInSeconds: options.accessTokenSeconds } : {}),
  });
  // One renewal serves every waiting request: it must not die because the browser that happened
  // to start it went away, so no request's AbortSignal is passed down.
  const gatewayHeaders: GatewayHeadersProvider = ({ forceRefresh }) => sharedHeaders({ forceRefresh });
  const tokenClient = createAiccClient({ baseUrl: upstreamBase, gatewayHeaders, axios: noRedirects(), timeoutMs: upstreamTimeout });
  const agents = createAgents({
    ...(options.limits?.upstreamSockets !== undefined ? { api: options.limits.upstreamSockets } : {}),
    ...(options.limits?.pollSockets !== undefined ? { poll: options.limits.pollSockets } : {}),
    ...(options.front !== undefined ? { front: options.front } : {}),
  });
  const inFlight = new Set<AbortController>();
  /** Requests in flight in this process: per customer, per client address, uploads per client address. */
  const byCustomer = createInFlightCounter();
  const byAddress = createInFlightCounter();
  const uploadsByAddress = createInFlightCounter();

  /**
   * Per HTTP/1.1 connection, what to call when it closes: one 'close' listener per socket however
   * many requests it carries. A response queued behind another on a pipelined connection gets no
   * 'close' of its own when that connection closes (Node 20), so its exchange would never end.
   */
  const connectionWatchers = new WeakMap<Socket, Set<() => void>>();
  function whenConnectionCloses(req: IncomingMessage, onClose: () => void): () => void {
    // An HTTP/2 stream's response closes with its stream; the session's socket is not the request's.
    if (req instanceof Http2ServerRequest) return () => {};
    const socket = req.socket;
    if (socket.destroyed) {
      queueMicrotask(onClose);
      return () => {};
    }
    let watchers = connectionWatchers.get(socket);
    if (!watchers) {
      const set = new Set<() => void>();
      connectionWatchers.set(socket, set);
      socket.once('close', () => {
        connectionWatchers.delete(socket);
        for (const watcher of set) watcher();
      });
      watchers = set;
    }
    const own = watchers;
    own.add(onClose);
    return () => own.delete(onClose);
  }

  /** Per-request state: CORS headers to add, what to log. */
  class Exchange {
    readonly started = performance.now();
    cors: Record<string, string> = {};
    route: GatewayRoute | undefined;
    userId: string | undefined;
    /** The client address the per-address limits count (address.ts). */
    address = '';
    /** The request body was not read to its end: linger, then cut the connection. */
    bodyPending = true;
    /** Resolves when the exchange is over: answered, or the browser went away. */
    readonly over: Promise<void>;
    /** The connection (HTTP/2: the stream) closed; nothing more can be written. */
    closed = false;
    /** Gives back the in-flight slots this exchange holds (`hold`). */
    private readonly slots: Array<() => void> = [];
    /** The answer is written out or the connection closed: no slot is held any more. */
    private released = false;

    constructor(
      readonly req: IncomingMessage,
      readonly res: ServerResponse,
    ) {
      this.over = new Promise((resolve) => {
        let forget = (): void => {};
        const end = (): void => {
          if (this.closed) return;
          this.closed = true;
          forget();
          this.release();
          resolve();
        };
        res.once('close', end);
        forget = whenConnectionCloses(req, end);
      });
      // Written out (handed to the OS): what the exchange still buffers is gone.
      res.once('finish', () => this.release());
    }

    /**
     * Takes a slot under `key` of `counter` until the exchange is over: its answer written out, or
     * its connection (HTTP/2: stream) closed, whichever comes first. False: `key` holds `max`.
     */
    hold(counter: InFlightCounter, key: string, max: number): boolean {
      if (this.released) return true;
      const give = counter.take(key, max);
      if (!give) return false;
      this.slots.push(give);
      return true;
    }

    private release(): void {
      this.released = true;
      for (const give of this.slots.splice(0)) give();
    }

    entry(level: GatewayLogLevel, msg: string, status?: Status): GatewayLogEntry {
      const entry: GatewayLogEntry = { level, msg, ms: Math.round(performance.now() - this.started) };
      if (this.userId !== undefined) entry.userId = this.userId;
      if (this.route !== undefined) entry.api = this.route;
      if (status !== undefined) entry.status = status;
      return entry;
    }

    log(level: GatewayLogLevel, msg: string, status?: Status): void {
      logSafely(this.entry(level, msg, status));
    }

    send(status: Status, text: string, extra: Record<string, string> = {}): void {
      const { res } = this;
      // (node:http2's compatibility response has no `destroyed`: `closed` covers it.)
      if (res.headersSent || res.destroyed || this.closed) return;
      const headers: Record<string, string | number> = {
        'content-type': 'application/json;charset=UTF-8',
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        vary: 'Origin',
        ...this.cors,
        ...extra,
      };
      res.writeHead(status, headers);
      res.end(text);
      if (this.bodyPending && !this.req.complete) linger(this.req, res);
    }

    /**
     * A refusal: gateway error body with its reason, one log line. `text` replaces the reason's
     * own text when there is more to say (which field, which origin).
     */
    refuse(status: Status, reason: GatewayRefusalReason, extra: Record<string, string> = {}, text = GATEWAY_REASONS[reason]): void {
      this.send(status, JSON.stringify({ errorCode: String(status), exceptionInfo: text, reason }), extra);
      this.log(status >= 500 ? 'error' : 'warn', `${this.req.method ?? '?'} ${this.route ?? 'unmatched'} refused: ${text}`, status);
    }
  }

  async function handle(x: Exchange): Promise<void> {
    const { req } = x;
    const method = req.method ?? '';
    const rawUrl = req.url ?? '';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const search = q < 0 ? null : rawUrl.slice(q + 1);

    // Path: exact bytes, below basePath. No decoding, no normalisation, case-sensitive.
    let spec: RouteSpec | undefined;
    if (path.startsWith(basePath)) spec = findRoute(path.slice(basePath.length));

    // Origin: browsers send it on every cross-origin and every same-origin POST request.
    const origin = header(req, 'origin');
    if (origin !== undefined) {
      if (!allowedOrigins.has(origin)) return x.refuse(403, 'origin', {}, originRefusal(origin));
      x.cors = { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', 'access-control-expose-headers': EXPOSED_HEADERS };
    }

    if (method === 'OPTIONS' && origin !== undefined && header(req, 'access-control-request-method') !== undefined) {
      if (!spec) return x.refuse(404, 'noRoute');
      x.route = spec.route;
      return preflight(x, spec);
    }
    if (!spec || method !== spec.method) return x.refuse(404, 'noRoute');
    x.route = spec.route;

    // Per client address, before anything costs: unidentified requests count too. Polls have their
    // own cap (pollsPerAddress, below); uploads, whose bodies are the large ones, a smaller one too.
    x.address = clientAddress(req, trustProxyHops);
    if (spec.route !== 'poll') {
      if (!x.hold(byAddress, x.address, inFlightPerAddress)) return x.refuse(429, 'inFlightAddress', { 'retry-after': IN_FLIGHT_RETRY_AFTER });
      if (spec.body === 'upload' && !x.hold(uploadsByAddress, x.address, uploadsPerAddress)) {
        return x.refuse(429, 'uploadsPerAddress', { 'retry-after': IN_FLIGHT_RETRY_AFTER });
      }
    }
    if (limiter) {
      try {
        const decision = await limiter.checkAddress(x.address);
        if (!decision.allowed) return x.refuse(429, 'rateLimitedAddress', { 'retry-after': String(decision.retryAfterSeconds) });
      } catch {
        x.log('error', 'rate-limit store failed; request let through');
      }
    }

    if (req.readableEnded) return x.refuse(500, 'consumed');
    if (spec.method === 'POST') {
      if (!isJsonContentType(header(req, 'content-type'))) return x.refuse(415, 'contentType');
      if (search !== null) return x.refuse(400, 'unexpectedQuery');
      const limit = spec.body === 'upload' ? uploadLimit : jsonLimit;
      const declared = Number(header(req, 'content-length'));
      if (Number.isFinite(declared) && declared > limit) return x.refuse(413, 'tooLarge');
    } else if (bodyFollows(req)) {
      return x.refuse(400, 'unexpectedBody');
    } else {
      x.bodyPending = false;
    }

    // Identity: the host application's decision.
    let who: GatewayIdentity | null;
    try {
      who = await options.identify(req);
    } catch {
      return x.refuse(500, 'identifyFailed');
    }
    if (who === null || who === undefined) return x.refuse(401, 'unidentified');
    if (!validIdentity(who)) return x.refuse(500, 'badIdentity');
    who = { userId: who.userId, userName: who.userName, channelId: who.channelId, locale: who.locale };
    x.userId = who.userId;
    if (spec.route !== 'poll' && !x.hold(byCustomer, who.userId, inFlightPerCustomer)) return x.refuse(429, 'inFlight', { 'retry-after': IN_FLIGHT_RETRY_AFTER });

    if (limiter) {
      try {
        const decision = await limiter.check(who.userId, spec.route);
        if (!decision.allowed) return x.refuse(429, 'rateLimited', { 'retry-after': String(decision.retryAfterSeconds) });
      } catch {
        // Fail open: a broken counter store must not take the chat down (logged).
        x.log('error', 'rate-limit store failed; request let through');
      }
    }

    if (spec.route === 'token') return issueToken(x, who);
    return forward(x, spec, spec.route, who, search ?? '');
  }

  function preflight(x: Exchange, spec: RouteSpec): void {
    const requestedMethod = header(x.req, 'access-control-request-method');
    const requestedHeaders = (header(x.req, 'access-control-request-headers') ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== '');
    if (requestedMethod !== spec.method || requestedHeaders.some((h) => !allowedHeaders.includes(h))) {
      x.cors = {};
      return x.refuse(403, 'preflight');
    }
    x.bodyPending = false;
    x.res.writeHead(204, {
      ...x.cors,
      'access-control-allow-methods': spec.method,
      'access-control-allow-headers': allowedHeaders.join(', '),
      'access-control-max-age': corsMaxAge,
      'cache-control': 'no-store',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    });
    x.res.end();
    x.log('debug', `OPTIONS ${spec.route} preflight`, 204);
  }

  /**
   * Reads and parses the JSON body; answers the refusal itself and returns null on failure. The
   * body must have arrived `timeoutMs` after the request did.
   */
  async function readJson(x: Exchange, limit: number, allowEmpty: boolean, timeoutMs = bodyTimeout): Promise<Record<string, unknown> | null> {
    const read = await readBody(x.req, limit, x.started + timeoutMs - performance.now());
    if (read.kind === 'too-large') {
      x.refuse(413, 'tooLarge');
      return null;
    }
    if (read.kind === 'timeout') {
      // Answered, then whatever still trickles in is discarded briefly and the connection cut (linger).
      x.refuse(408, 'bodyTimeout');
      return null;
    }
    if (read.kind === 'aborted') {
      x.log('info', `${x.req.method ?? '?'} ${x.route ?? 'unmatched'}: the browser went away`, 499);
      return null;
    }
    x.bodyPending = false;
    const text = read.bytes.toString('utf8');
    if (allowEmpty && text.trim() === '') return {};
    if (nestedDeeperThan(text, jsonDepth)) {
      x.refuse(400, 'tooDeep');
      return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      x.refuse(400, 'badJson');
      return null;
    }
    return parsed as Record<string, unknown>;
  }

  /** Aborted when the browser goes away before the answer is written, or the gateway closes. */
  function abortOnDisconnect(x: Exchange): AbortController {
    const controller = new AbortController();
    inFlight.add(controller);
    // `over`, not the response's 'close': a pipelined request's response has none of its own.
    void x.over.then(() => {
      inFlight.delete(controller);
      // writableEnded: the gateway wrote its answer. (Not writableFinished: node:http2's
      // compatibility response reports a stream reset by the client as finished.)
      if (!x.res.writableEnded) controller.abort();
    });
    return controller;
  }

  async function issueToken(x: Exchange, who: GatewayIdentity): Promise<void> {
    // The body carries nothing; it is read (bounded) so the connection stays usable.
    if ((await readJson(x, 1024, true)) === null) return;
    const controller = abortOnDisconnect(x);
    let upstreamToken: string;
    try {
      upstreamToken = (await tokenClient.applyToken(who, { signal: controller.signal })).token;
    } catch (error) {
      if (error instanceof AiccError) {
        if (error.kind === 'aborted') return x.log('info', 'POST token: the browser went away', 499);
        if (error.kind === 'validation') return x.refuse(500, 'badIdentity');
        if (error.kind === 'timeout') return x.refuse(504, 'upstreamTimeout');
        const detail = error.kind === 'business' ? ` (resultCode ${error.resultCode ?? '?'})` : error.status ? ` (HTTP ${error.status})` : '';
        x.log('error', `applyToken failed: ${error.kind}${detail}`);
      }
      return x.refuse(502, 'applyTokenFailed');
    }
    const token = await sealer.seal({ token: upstreamToken, userId: who.userId, channelId: who.channelId, issuedAt: now() });
    x.send(200, JSON.stringify({ resultCode: '0', token }));
    x.log('info', 'POST token issued', 200);
  }

  async function forward(x: Exchange, spec: RouteSpec, api: ForwardedApi, who: GatewayIdentity, search: string): Promise<void> {
    // The sealed token must be ours, for this user and channel, and not expired.
    const presented = header(x.req, HEADERS.ccmessagingToken);
    if (!presented) return x.refuse(401, 'noToken');
    const opened = await sealer.open(presented);
    if (!opened.ok) return x.refuse(401, REFUSED_TOKEN[opened.refusal]);
    const { claims } = opened;
    if (claims.userId !== who.userId || claims.channelId !== who.channelId) return x.refuse(401, 'badToken');

    let body: Buffer | undefined;
    let query = '';
    if (spec.method === 'GET') {
      const checked = checkPollQuery(search, who);
      if (!checked.ok) return x.refuse(checked.status, checked.reason, {}, checked.text);
      query = `?${checked.query}`;
    } else {
      const upload = spec.body === 'upload';
      const parsed = await readJson(x, upload ? uploadLimit : jsonLimit, false, upload ? uploadTimeout : bodyTimeout);
      if (parsed === null) return;
      const checked = checkBody(api, parsed, who);
      if (!checked.ok) return x.refuse(checked.status, checked.reason, {}, checked.text);
      // File ids: only those tagged for this caller, sent upstream without the tag.
      if ((api === 'send' || api === 'sendAsync') && !untagMessageContent(parsed, who, files)) return x.refuse(403, 'foreignFile');
      if (api === 'downloadFileStream') {
        const request: WireFields<DownloadFileRequest> = parsed;
        const fileId = untagFileId(Object.hasOwn(request, 'fileId') ? request['fileId'] : undefined, who, files);
        // Someone else's file, a raw or tampered id: exactly what upstream answers for a file
        // that is not there, and upstream is not asked, so nothing tells whether it exists.
        if (fileId === null) return fileNotFound(x);
        request['fileId'] = fileId;
      }
      // Re-serialised: one value per key whatever the upstream parser would have picked.
      body = Buffer.from(JSON.stringify(parsed), 'utf8');
    }

    // One open poll per customer: this one replaces (ends) the older, here or on another instance.
    let replaced: AbortSignal | undefined;
    if (api === 'poll') {
      const poll = await polls.open(who.userId, x.address, x.over);
      if (!poll) return x.refuse(429, 'pollsPerAddress', { 'retry-after': pollRetryAfter });
      replaced = poll.replaced;
    }
    const controller = abortOnDisconnect(x);
    replaced?.addEventListener('abort', () => controller.abort(), { once: true });
    if (replaced?.aborted) return answerReplacedPoll(x);
    const url = new URL(upstreamBase + API_PATHS[api] + query);
    const pool = api === 'poll' ? agents.poll : agents.api;
    const timeoutMs = api === 'poll' ? pollTimeout : upstreamTimeout;
    const secrets = [...staticSecrets, ...secretVariants(claims.token)];
    let result: UpstreamResult | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      let credentials: GatewayHeaders;
      try {
        credentials = await gatewayHeaders({ forceRefresh: attempt > 0 });
      } catch (error) {
        x.log('error', `tokenByAkSk failed: ${error instanceof AiccError ? error.kind : 'error'}`);
        return x.refuse(502, 'upstreamAuth');
      }
      const headers: Record<string, string | number> = { accept: 'application/json' };
      for (const [name, value] of Object.entries(credentials)) {
        headers[name.toLowerCase()] = value;
        secrets.push(...secretVariants(value), value.replace(/^Bearer /, ''));
      }
      headers[HEADERS.ccmessagingToken] = claims.token;
      if (body !== undefined) {
        headers['content-type'] = 'application/json; charset=UTF-8';
        headers['content-length'] = body.length;
      }
      result = await upstreamRequest(
        { method: spec.method, url, headers, ...(body !== undefined ? { body } : {}), timeoutMs, signal: controller.signal, maxResponseBytes: responseLimit },
        pool,
      );
      // 403: the API Fabric AccessToken expired or was revoked. Renew once and retry.
      if (result.kind === 'response' && result.status === 403 && attempt === 0) {
        x.log('info', `${api}: upstream 403, renewing the AccessToken`);
        continue;
      }
      break;
    }
    if (!result) return x.refuse(500, 'internal');
    // Replaced while upstream: empty, unless upstream had already answered with a batch.
    if (replaced?.aborted && !(result.kind === 'response' && result.status >= 200 && result.status < 300)) return answerReplacedPoll(x);
    await answer(x, api, result, claims, secrets, who);
  }

  /** A poll a newer poll of the same customer replaced: an empty batch, as upstream answers a poll with nothing to deliver. */
  function answerReplacedPoll(x: Exchange): void {
    x.send(200, EMPTY_POLL_ANSWER);
    x.log('info', 'GET poll answered empty: replaced by a newer poll of the same customer', 200);
  }

  /** downloadFileStream's own answer for a file that does not exist (the simulator's, byte for byte). */
  function fileNotFound(x: Exchange): void {
    x.send(200, JSON.stringify({ resultCode: DownloadResultCode.FAILED, resultDesc: ResultDesc.downloadFailed }));
    x.log('warn', `POST downloadFileStream refused: ${Reason.foreignFile} (answered as not found)`, 200);
  }

  /** Tags the file ids of a (parsed) answer going to `who`; the text to send (unchanged when nothing was tagged). */
  function tagAnswer(api: ForwardedApi, text: string, parsed: unknown, who: GatewayIdentity): string {
    if (api !== 'poll' && api !== 'queryHistoryChatMessage' && api !== 'uploadFileStream') return text;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return text;
    const answer = parsed as WireFields<PollResponse & QueryHistoryResponse & UploadFileResponse>;
    let changed = false;
    if (api === 'poll') changed = tagMessages(answer['downlinkMessages'], who, files);
    else if (api === 'queryHistoryChatMessage') changed = tagMessages(answer['messageList'], who, files);
    else if (typeof answer['objectKey'] === 'string' && answer['objectKey'] !== '') {
      answer['objectKey'] = files.tag(who, answer['objectKey']);
      changed = true;
    }
    return changed ? JSON.stringify(answer) : text;
  }

  async function answer(x: Exchange, api: ForwardedApi, result: UpstreamResult, claims: SealedClaims, secrets: string[], who: GatewayIdentity): Promise<void> {
    switch (result.kind) {
      case 'aborted':
        return x.log('info', `${api}: the browser went away; upstream request aborted`, 499);
      case 'timeout':
        return x.refuse(504, 'upstreamTimeout');
      case 'busy':
        return x.refuse(503, 'upstreamBusy', { 'retry-after': '1' });
      case 'too-large':
        return x.refuse(502, 'upstreamTooLarge');
      case 'network':
        x.log('error', `${api}: upstream network error ${result.code}`);
        return x.refuse(502, 'upstreamNetwork');
      case 'response':
        break;
    }
    if (result.status === 403) return x.refuse(502, 'upstreamAuth');
    // Redirects are never followed nor passed on (the Location would point the browser elsewhere).
    if (result.status < 200 || (result.status >= 300 && result.status < 400) || result.status > 599) {
      return x.refuse(502, 'upstreamRedirect');
    }

    const extra: Record<string, string> = {};
    const rotatedRaw = result.headers[HEADERS.ccmessagingToken];
    const rotated = Array.isArray(rotatedRaw) ? rotatedRaw[0] : rotatedRaw;
    if (typeof rotated === 'string' && rotated !== '' && rotated !== claims.token) {
      secrets.push(...secretVariants(rotated));
      extra[HEADERS.ccmessagingToken] = await sealer.seal({ token: rotated, userId: claims.userId, channelId: claims.channelId, issuedAt: now() });
    }

    let text = result.body.toString('utf8');
    if (nestedDeeperThan(text, ANSWER_MAX_DEPTH)) return x.refuse(502, 'upstreamTooDeep', extra);
    let json = true;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      json = text.trim() === '' && result.status >= 400;
    }
    const ok = result.status >= 200 && result.status < 300;
    if (!json || (ok && text.trim() === '')) {
      return ok ? x.refuse(502, 'upstreamNotJson', extra) : x.refuse(result.status, 'upstreamStatus', extra, `upstream HTTP ${result.status}`);
    }
    if (ok) text = tagAnswer(api, text, parsed, who);
    const out =
      text.trim() === '' ? JSON.stringify({ errorCode: String(result.status), exceptionInfo: `upstream HTTP ${result.status}`, reason: 'upstreamStatus' }) : scrub(text, secrets);
    x.send(result.status, out, extra);
    const rotation = extra[HEADERS.ccmessagingToken] ? ' (token rotated)' : '';
    x.log(ok ? 'info' : 'warn', `${x.req.method ?? '?'} ${api} → ${result.status}${rotation}`, result.status);
  }

  return {
    deployment: {
      trustProxyHops,
      front: options.front ?? 'connection-per-customer',
      log: logSafely,
    },
    async handler(request: GatewayRequest, response: GatewayResponse): Promise<void> {
      // node:http2's compatibility objects have every member the gateway uses (headers, method,
      // url, socket.remoteAddress and destroy — the stream's, complete, readableEnded, the
      // data/end/error/close events; writeHead, end, headersSent, writableFinished, 'close' when
      // the stream closes): test/gateway/http2.test.ts runs every path on them.
      const req = request as IncomingMessage;
      const res = response as ServerResponse;
      const x = new Exchange(req, res);
      try {
        await handle(x);
      } catch {
        // Never leave a request hanging, never echo the error (it might hold anything).
        if (!res.headersSent) x.refuse(500, 'internal');
        else res.destroy();
      }
    },
    async close(): Promise<void> {
      for (const controller of inFlight) controller.abort();
      inFlight.clear();
      agents.destroy();
      await polls.close();
    },
  };
}
