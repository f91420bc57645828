/**
 * `aicc-chat-machine/transport-net`: HTTP/1.1 written directly on `node:net` / `node:tls`
 * sockets, each kept alive and reused — for Node back ends that hold thousands of sessions in one
 * process (load generators, bridges serving many customers).
 *
 *   import { netTransport } from 'aicc-chat-machine/transport-net';
 *   const transport = netTransport();               // one per process, shared by every client
 *   createAiccClient({ baseUrl, token, transport });
 *
 * Why it exists: an idle long poll on node:http costs ~2.5× the CPU and promotes ~4× the heap
 * of the same poll written on a socket (docs/performance.md, "Transports"). At 10 000 sessions
 * the promoted bytes are what the major GC then stalls the process for. This transport speaks
 * only what the CC-Messaging API needs: GET and POST with a text body, answers framed by
 * Content-Length, chunked or the connection's end, no compression, no redirects, no proxies.
 * Use `transport-node` when you need an agent (a proxy, custom connection handling).
 *
 * Same behaviour as the other transports (see http.ts): one deadline for the whole exchange,
 * the caller's AbortSignal, no redirects followed, `maxResponseBytes` enforced while reading.
 *
 * @module transport-net
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { joinAbortGroup, leaveAbortGroup, type Stoppable } from './abortGroup.js';
import { writeCounted } from './countedWrite.js';
import { isPlainPath } from './target.js';
import { networkFailure, TransportError, type HttpRequest, type HttpResponse, type HttpTransport } from '../http.js';

export type { HttpRequest, HttpResponse, HttpTransport } from '../http.js';

export interface NetTransportOptions {
  /** TLS options for `https:` origins: `ca`, `cert`, `key`, `rejectUnauthorized`, `servername`... */
  tls?: ConnectionOptions;
  /**
   * An idle connection is not reused after this many ms, and is closed. Default 4000: under the
   * 5 s keep-alive timeout of Node servers and many balancers, so a request does not go out on a
   * connection the server is closing. A server's `Keep-Alive: timeout=N` shortens it to N − 1 s.
   */
  idleTimeoutMs?: number;
  /** Idle connections kept per origin; more are closed as they come free. Default 1024. */
  maxIdlePerOrigin?: number;
}

export interface NetTransport extends HttpTransport {
  readonly name: 'net';
  /** Connections open now, per origin: `busy` with an exchange, `idle` kept for the next one. */
  connections(): { origin: string; busy: number; idle: number }[];
  /** Closes every connection. Requests in flight fail with a `network` TransportError. */
  destroy(): void;
}

// Sent like axios does, so the server side sees the same kind of request whatever the transport.
const ACCEPT = 'application/json, text/plain, */*';
const DEFAULT_IDLE_TIMEOUT_MS = 4_000;
const DEFAULT_MAX_IDLE = 1024;
/** Longest status line plus headers accepted (Node's default is 16 KB). */
const MAX_HEAD_BYTES = 64 * 1024;
/** Longest chunk-size or trailer line accepted. */
const MAX_LINE_BYTES = 8 * 1024;
const CRLF_CRLF = Buffer.from('\r\n\r\n');
/** Origins kept while none of their connections is open. */
const MAX_IDLE_ORIGINS = 64;

/** A transport on raw sockets. Create one and share it: it pools the connections per origin. */
export function netTransport(options: NetTransportOptions = {}): NetTransport {
  const settings: Settings = {
    tls: options.tls,
    idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    maxIdle: options.maxIdlePerOrigin ?? DEFAULT_MAX_IDLE,
  };
  const origins = new Map<string, Origin>();
  return {
    name: 'net',
    request(request) {
      return new Promise<HttpResponse>((resolve, reject) => {
        if (request.signal?.aborted) return reject(new TransportError('aborted'));
        let target: Target;
        try {
          target = targetOf(request.url, origins, settings);
        } catch (error) {
          return reject(new TransportError('not-sent', (error as { code?: string }).code ?? 'ERR_INVALID_URL'));
        }
        const head = requestHead(request, target);
        if (typeof head !== 'string') return reject(head);
        exchange(request, target.origin, head, resolve, reject);
      });
    },
    // The key may hold `user:pass@`: not shown (connections() is for logs).
    connections: () => [...origins.values()].map((o) => ({ origin: o.key.replace(/\/\/[^/]*@/, '//'), busy: o.open.size - o.idle.length, idle: o.idle.length })),
    destroy() {
      // Settled here, not on 'close': an answer read until close would end there as complete.
      for (const origin of origins.values()) {
        for (const connection of [...origin.open]) {
          connection.exchange?.settle(networkFailure('ECONNRESET'));
          connection.socket.destroy();
        }
      }
    },
  };
}

interface Settings {
  tls: ConnectionOptions | undefined;
  idleTimeoutMs: number;
  maxIdle: number;
}

/** Where requests to one scheme, host and port go, and the connections kept for it. */
interface Origin {
  key: string;
  secure: boolean;
  /** For connect(): the host name, or an IPv6 address without brackets. */
  host: string;
  port: number;
  /** The Host header: the URL's host, port included when it is not the default. */
  hostHeader: string;
  /** Basic credentials from the URL (`user:pass@`), as Node sends them. */
  authorization: string | undefined;
  settings: Settings;
  /** Idle connections, the most recently used last (reused first: the one least likely closed). */
  idle: Connection[];
  open: Set<Connection>;
}

interface Target {
  origin: Origin;
  /** Path and query as they go on the request line. */
  path: string;
}

/** Scheme and authority: up to the first '/', '?' or '#' after `//`. */
const ORIGIN_PART = /^[^/]*\/\/[^/?#]*/;

function targetOf(url: string, origins: Map<string, Origin>, settings: Settings): Target {
  const key = ORIGIN_PART.exec(url)?.[0] ?? url;
  const path = url.length === key.length ? '/' : url.slice(key.length);
  const origin = origins.get(key) ?? addOrigin(key, origins, settings);
  if (isPlainPath(path)) return { origin, path };
  // What Node would send for it: the parser's path and query (fragment dropped, characters escaped).
  const parsed = new URL(url);
  return { origin, path: parsed.pathname + parsed.search };
}

function addOrigin(key: string, origins: Map<string, Origin>, settings: Settings): Origin {
  const url = new URL(key);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw Object.assign(new Error(url.protocol), { code: 'ERR_INVALID_PROTOCOL' });
  const secure = url.protocol === 'https:';
  const credentials = url.username !== '' || url.password !== '' ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined;
  const origin: Origin = {
    key,
    secure,
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    hostHeader: url.host,
    authorization: credentials === undefined ? undefined : `Basic ${Buffer.from(credentials).toString('base64')}`,
    settings,
    idle: [],
    open: new Set(),
  };
  // A client has one origin, a bridge one per tenant. Past 64, origins with no connection open
  // are forgotten (made again when next used), so the map holds what is in use.
  if (origins.size >= MAX_IDLE_ORIGINS) for (const [name, known] of origins) if (known.open.size === 0) origins.delete(name);
  origins.set(key, origin);
  return origin;
}

/** Request headers the transport writes itself from the body (names as the client passes them: lower case). */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);
/** RFC 9110 token (a header name); a header value without CR, LF or NUL. */
const TOKEN = /^[!#$%&'*+\-.^_`|~\w]+$/;
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** The request line and headers, or the TransportError for a header Node would refuse (nothing sent). */
function requestHead(request: HttpRequest, target: Target): string | TransportError {
  const { origin } = target;
  const { headers } = request;
  let head = `${request.method} ${target.path} HTTP/1.1\r\n`;
  // The caller's host and accept replace the transport's, as in node:http.
  if (headers.host === undefined) head += `host: ${origin.hostHeader}\r\n`;
  if (headers.accept === undefined) head += `accept: ${ACCEPT}\r\n`;
  if (origin.authorization !== undefined && headers.authorization === undefined) head += `authorization: ${origin.authorization}\r\n`;
  for (const name in headers) {
    const value = headers[name]!;
    if (!TOKEN.test(name)) return new TransportError('not-sent', 'ERR_INVALID_HTTP_TOKEN');
    // The body's framing is the transport's: it sends what it writes, one exchange after another.
    if (FRAMING.has(name)) continue;
    if (BAD_VALUE.test(value)) return new TransportError('not-sent', 'ERR_INVALID_CHAR');
    head += `${name}: ${value}\r\n`;
  }
  if (request.body !== undefined) head += `content-length: ${Buffer.byteLength(request.body)}\r\n`;
  return `${head}\r\n`;
}

/** The connection a socket belongs to, kept on the socket so its listeners can be shared functions. */
const CONNECTION = Symbol('connection');
type PooledSocket = Socket & { [CONNECTION]?: Connection };

/** One socket to an origin, and the exchange it carries now (at most one: no pipelining). */
interface Connection {
  socket: PooledSocket;
  origin: Origin;
  exchange: Exchange | undefined;
  /** When it last came free (Date.now()). */
  idleSince: number;
  /** How long it may stay idle before it is not reused: the transport's, or the server's hint. */
  idleLimitMs: number;
}

function acquire(origin: Origin): Connection {
  const now = Date.now();
  for (let connection = origin.idle.pop(); connection; connection = origin.idle.pop()) {
    if (!connection.socket.destroyed && now - connection.idleSince < connection.idleLimitMs) {
      connection.socket.ref();
      return connection;
    }
    connection.socket.destroy();
  }
  const { settings } = origin;
  const socket: PooledSocket = origin.secure
    ? tlsConnect({ host: origin.host, port: origin.port, ALPNProtocols: ['http/1.1'], ...(isIP(origin.host) ? {} : { servername: origin.host }), ...settings.tls })
    : netConnect({ host: origin.host, port: origin.port });
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 1000);
  const connection: Connection = { socket, origin, exchange: undefined, idleSince: now, idleLimitMs: settings.idleTimeoutMs };
  socket[CONNECTION] = connection;
  socket.on('data', onSocketData);
  socket.on('error', onSocketError);
  socket.on('close', onSocketClose);
  origin.open.add(connection);
  return connection;
}

/** Back to the idle list after a complete answer (or closed, when the origin keeps enough). */
function release(connection: Connection): void {
  const { origin, socket } = connection;
  connection.exchange = undefined;
  if (origin.idle.length >= origin.settings.maxIdle) {
    socket.destroy();
    return;
  }
  // An idle connection must not keep the process alive (Node's agent does the same).
  socket.unref();
  connection.idleSince = Date.now();
  origin.idle.push(connection);
  // The oldest idle one, if too old, goes now rather than when it would be picked.
  const oldest = origin.idle[0]!;
  if (connection.idleSince - oldest.idleSince >= oldest.idleLimitMs) {
    origin.idle.shift();
    oldest.socket.destroy();
  }
}

function onSocketData(this: PooledSocket, chunk: Buffer): void {
  const connection = this[CONNECTION]!;
  // Bytes with no exchange to read them: the server is not speaking HTTP/1.1 as asked.
  if (connection.exchange) connection.exchange.read(chunk);
  else this.destroy();
}

function onSocketError(this: PooledSocket, error: Error & { code?: string; errors?: { code?: string }[] }): void {
  // Happy eyeballs (autoSelectFamily) reports a refusal on every address as an AggregateError.
  this[CONNECTION]!.exchange?.settle(networkFailure(error.code ?? error.errors?.[0]?.code));
}

function onSocketClose(this: PooledSocket): void {
  const connection = this[CONNECTION]!;
  const { origin } = connection;
  origin.open.delete(connection);
  const at = origin.idle.indexOf(connection);
  if (at >= 0) origin.idle.splice(at, 1);
  connection.exchange?.closed();
}

const enum Phase {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailer,
  UntilClose,
}

/**
 * One request and the reading of its answer, as one object with shared listeners rather than a
 * closure per event: a long poll keeps all of it for its whole window (what lives that long is
 * promoted, then swept by the major GC).
 */
class Exchange implements Stoppable {
  done = false;
  timer: ReturnType<typeof setTimeout> | undefined = undefined;
  stops: Set<Stoppable> | undefined = undefined;
  phase = Phase.Head;
  /** The head's pieces so far, when it comes in more than one (readHeadPart). */
  headPieces: Buffer[] | undefined = undefined;
  /** The last bytes of those pieces (up to 3), where a CRLF CRLF split between pieces starts. */
  headTail: Buffer | undefined = undefined;
  headBytes = 0;
  /** The start of a chunk-size or trailer line that goes on in the next chunk. */
  pending: Buffer | undefined = undefined;
  status = 0;
  headers: Record<string, string | string[]> = {};
  chunks: Buffer[] = [];
  size = 0;
  /** Bytes left of the body (Content-Length) or of the current chunk. */
  remaining = 0;
  /** The connection may carry another exchange after this answer. */
  reusable = true;
  /** A counted upload is still being written: an early answer must not free the connection under it. */
  writing = false;

  constructor(
    readonly connection: Connection,
    readonly max: number | undefined,
    readonly resolve: (response: HttpResponse) => void,
    readonly reject: (error: TransportError) => void,
  ) {}

  settle(error: TransportError | undefined, response?: HttpResponse): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    leaveAbortGroup(this);
    if (error) {
      // Whatever the socket still holds of this exchange must not be read as the next one's.
      this.connection.exchange = undefined;
      this.connection.socket.destroy();
      this.reject(error);
    } else {
      // Bytes of the request still buffered (an answer before the whole body): not reusable.
      if (this.reusable && !this.writing && this.connection.socket.writableLength === 0) release(this.connection);
      else this.connection.socket.destroy();
      this.resolve(response!);
    }
  }

  stop(reason: 'aborted' | 'timeout' | 'too-large'): void {
    this.settle(new TransportError(reason));
  }

  /** The connection closed: the end of an answer read until close, else a cut-off exchange. */
  closed(): void {
    if (this.phase === Phase.UntilClose) this.complete();
    else this.settle(networkFailure('ECONNRESET'));
  }

  read(chunk: Buffer): void {
    let at = 0;
    while (!this.done && at < chunk.length) {
      switch (this.phase) {
        case Phase.Head:
          at = this.readHeadPart(chunk, at);
          if (at < 0) return;
          break;
        case Phase.Length:
          at += this.take(chunk, at);
          if (this.remaining === 0) this.complete();
          break;
        case Phase.ChunkSize:
        case Phase.ChunkEnd:
        case Phase.Trailer: {
          const newline = chunk.indexOf(10, at);
          const part = chunk.subarray(at, newline < 0 ? chunk.length : newline + 1);
          const line = this.pending ? Buffer.concat([this.pending, part]) : part;
          at += part.length;
          if (newline < 0) {
            if (line.length > MAX_LINE_BYTES) return this.settle(networkFailure('HPE_CHUNK_EXTENSIONS_OVERFLOW'));
            this.pending = line;
            break;
          }
          this.pending = undefined;
          const text = line.toString('latin1').replace(/\r?\n$/, '');
          if (!this.readLine(text)) return this.settle(networkFailure('HPE_INVALID_CHUNK_SIZE'));
          break;
        }
        case Phase.ChunkData:
          at += this.take(chunk, at);
          if (this.remaining === 0) this.phase = Phase.ChunkEnd;
          break;
        case Phase.UntilClose:
          this.body(chunk.subarray(at));
          at = chunk.length;
          break;
      }
    }
    // Bytes after the answer: nothing asked for them, so the connection cannot be trusted again.
    if (this.done && at < chunk.length) this.connection.socket.destroy();
  }

  /**
   * Head bytes from `chunk` at `at`: the offset after the head once it is complete, else -1 (the
   * head goes on in the next chunk, or the exchange failed). A head in pieces is joined once, at
   * its end; each piece is searched with the last 3 bytes before it, so a head sent byte by byte
   * costs O(its length), not O(length²).
   */
  readHeadPart(chunk: Buffer, at: number): number {
    const fresh = chunk.subarray(at);
    const tail = this.headTail;
    const window = tail ? Buffer.concat([tail, fresh]) : fresh;
    const found = window.indexOf(CRLF_CRLF);
    const headEnd = found < 0 ? window.length : found + 4;
    // A line ended by LF alone: node:http refuses it at once; waiting for CRLF CRLF would wait for the deadline.
    for (let lf = window.indexOf(10, tail ? tail.length : 0); lf >= 0 && lf < headEnd; lf = window.indexOf(10, lf + 1)) {
      if (lf === 0 || window[lf - 1] !== 13) return this.settle(networkFailure('HPE_CR_EXPECTED')), -1;
    }
    const freshInHead = headEnd - (tail ? tail.length : 0);
    this.headBytes += freshInHead;
    if (this.headBytes > MAX_HEAD_BYTES) return this.settle(networkFailure('HPE_HEADER_OVERFLOW')), -1;
    if (found < 0) {
      (this.headPieces ??= []).push(fresh);
      this.headTail = window.subarray(Math.max(0, window.length - 3));
      return -1;
    }
    const head = this.headPieces ? Buffer.concat([...this.headPieces, fresh.subarray(0, freshInHead)]) : fresh.subarray(0, freshInHead);
    this.headPieces = undefined;
    this.headTail = undefined;
    this.headBytes = 0;
    if (!this.readHead(head.toString('latin1', 0, head.length - 4))) return this.settle(networkFailure('HPE_INVALID_RESPONSE')), -1;
    return at + freshInHead;
  }

  /** Status line and headers; false when they are not an HTTP/1.x answer. */
  readHead(text: string): boolean {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.([01]) (\d{3})(?: |$)/.exec(lines[0]!);
    if (!status) return false;
    // No prototype, as node:http's: a header named `constructor` must not find Object's.
    const headers = Object.create(null) as Record<string, string | string[]>;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return false;
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headers[name];
      if (before === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
      else if (Array.isArray(before)) before.push(value);
      else headers[name] = `${before}, ${value}`;
    }
    const code = Number(status[2]);
    // An interim answer (100 Continue, 103 Early Hints): the real one follows.
    if (code >= 100 && code < 200) return code !== 101;
    this.status = code;
    this.headers = headers;
    const connection = typeof headers.connection === 'string' ? headers.connection.toLowerCase() : '';
    this.reusable = status[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const hint = typeof headers['keep-alive'] === 'string' ? /timeout=(\d+)/i.exec(headers['keep-alive']) : null;
    if (hint) this.connection.idleLimitMs = Math.min(this.connection.idleLimitMs, Number(hint[1]) * 1000 - 1000);
    return this.frameBody(code, headers);
  }

  /** How the body is delimited (RFC 9112 §6.3); false for a Content-Length that is not one number. */
  frameBody(code: number, headers: Record<string, string | string[]>): boolean {
    if (code === 204 || code === 304) return this.complete(), true;
    const encoding = headers['transfer-encoding'];
    if (typeof encoding === 'string') {
      // With both, Transfer-Encoding wins and the connection must not be reused.
      if (headers['content-length'] !== undefined) this.reusable = false;
      if (/(?:^|,)\s*chunked\s*$/i.test(encoding)) this.phase = Phase.ChunkSize;
      else {
        this.reusable = false;
        this.phase = Phase.UntilClose;
      }
      return true;
    }
    const length = headers['content-length'];
    if (typeof length === 'string') {
      const values = new Set(length.split(',').map((v) => v.trim()));
      const only = values.size === 1 ? [...values][0]! : '';
      if (!/^\d+$/.test(only)) return false;
      const bytes = Number(only);
      if (this.max !== undefined && bytes > this.max) return this.stop('too-large'), true;
      if (bytes === 0) return this.complete(), true;
      this.remaining = bytes;
      this.phase = Phase.Length;
      return true;
    }
    this.reusable = false;
    this.phase = Phase.UntilClose;
    return true;
  }

  /** A chunk-size line, the CRLF after a chunk, or a trailer line; false when malformed. */
  readLine(line: string): boolean {
    if (this.phase === Phase.ChunkEnd) {
      this.phase = Phase.ChunkSize;
      return line === '';
    }
    if (this.phase === Phase.Trailer) {
      if (line === '') this.complete();
      return true;
    }
    // Leading zeros do not count towards the 8 digits (node:http reads `000000002` as 2).
    const size = /^0*([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(line);
    if (!size) return false;
    this.remaining = parseInt(size[1]!, 16);
    this.phase = this.remaining === 0 ? Phase.Trailer : Phase.ChunkData;
    return true;
  }

  /** Up to `remaining` body bytes of `chunk` from `at`; how many it took. */
  take(chunk: Buffer, at: number): number {
    const count = Math.min(this.remaining, chunk.length - at);
    this.remaining -= count;
    this.body(chunk.subarray(at, at + count));
    return count;
  }

  body(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.max !== undefined && this.size > this.max) this.stop('too-large');
    else this.chunks.push(bytes);
  }

  complete(): void {
    const { chunks } = this;
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.settle(undefined, { status: this.status, headers: this.headers, body: text });
  }
}

function exchange(request: HttpRequest, origin: Origin, head: string, resolve: (response: HttpResponse) => void, reject: (error: TransportError) => void): void {
  const connection = acquire(origin);
  const ex = new Exchange(connection, request.maxResponseBytes, resolve, reject);
  connection.exchange = ex;
  ex.timer = setTimeout(onDeadline, request.timeoutMs, ex);
  if (request.signal) joinAbortGroup(request.signal, ex);
  const { socket } = connection;
  const { body, onUploadProgress } = request;
  // The head in latin1 (a header value's \x80-\xff as one byte each, as node:http sends it), the body in UTF-8.
  socket.cork();
  socket.write(head, 'latin1');
  if (body !== undefined && onUploadProgress) {
    ex.writing = true;
    writeCounted(socket, Buffer.from(body), onUploadProgress, () => (ex.writing = false));
  } else if (body !== undefined) socket.write(body, 'utf8');
  socket.uncork();
}

function onDeadline(ex: Exchange): void {
  ex.stop('timeout');
}
