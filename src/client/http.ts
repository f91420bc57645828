/**
 * The pluggable HTTP layer: one exchange in, one answer (or a TransportError) out. Everything
 * the API needs on top — auth headers, the rotation header, 401 re-apply, 403 renewal, JSON,
 * typed AiccErrors — lives in transport.ts, once, for every transport. Four ship: axios (the
 * default, loaded when first used), `aicc-chat-machine/transport-node` (node:http with a
 * keep-alive agent), `aicc-chat-machine/transport-net` (HTTP/1.1 on sockets, for thousands of
 * sessions per process) and `aicc-chat-machine/transport-fetch` (fetch, for small browser bundles).
 */

/** One HTTP exchange as the client asks for it. */
export interface HttpRequest {
  method: 'GET' | 'POST';
  /** Absolute URL; for GET (poll) the query string is already on it. */
  url: string;
  /** Header names in lower case. A POST carries `content-type`; the transport adds nothing the server needs. */
  headers: Record<string, string>;
  /** JSON text of a POST; undefined for GET. */
  body?: string;
  /** The exchange must end within this many ms (answer body included), else `TransportError('timeout')`. */
  timeoutMs: number;
  /** The caller's signal: when it aborts, end the exchange with `TransportError('aborted')`. */
  signal?: AbortSignal;
  /** Largest answer body accepted, in bytes; above it end with `TransportError('too-large')`. */
  maxResponseBytes?: number;
  /**
   * Called as the body goes out: `sent` of `total` bytes (UTF-8) handed to the network, ending
   * with `sent === total` once it all left. A transport that cannot tell (fetch) calls it once,
   * with `total`, when the answer starts. Only set for uploads; calls need not be throttled.
   */
  onUploadProgress?: (sent: number, total: number) => void;
}

/** The answer, whatever its status (a 401 or a 500 is an answer, not an error). */
export interface HttpResponse {
  status: number;
  /** Response headers with lower-case names (a repeated header may come as an array). */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as text (UTF-8); '' when there is none. */
  body: string;
}

/**
 * A way of making HTTP exchanges. `request` resolves with any answer that came back, and rejects
 * with a TransportError when none did (anything else it throws becomes a `network` AiccError).
 */
export interface HttpTransport {
  /** For logs and diagnostics: 'axios', 'node', 'fetch', or yours. */
  readonly name: string;
  request(request: HttpRequest): Promise<HttpResponse>;
}

/**
 * Why no answer came back:
 * - `aborted`: the caller's signal; `timeout`: the request's deadline;
 * - `too-large`: the answer is over `maxResponseBytes`;
 * - `not-sent`: the request surely never reached a server (connection refused, DNS failure);
 * - `network`: anything else (reset, closed mid-answer): it may have been processed.
 */
export type TransportFailure = 'aborted' | 'timeout' | 'too-large' | 'not-sent' | 'network';

/** What a transport rejects with when no answer came back. Carries no request data (headers hold tokens). */
export class TransportError extends Error {
  declare readonly name: 'TransportError';
  declare readonly reason: TransportFailure;
  /** The system error code, when there is one (ECONNRESET, ECONNREFUSED, UND_ERR_SOCKET...). */
  declare readonly code?: string;

  constructor(reason: TransportFailure, code?: string) {
    super(code ? `${reason} (${code})` : reason);
    const self = this as unknown as Record<string, unknown>;
    self.name = 'TransportError';
    self.reason = reason;
    if (code) self.code = code;
  }
}

/** By shape, not class: a second copy of this package (or a transport of yours) may make its own. */
export function isTransportError(error: unknown): error is TransportError {
  return error instanceof Error && error.name === 'TransportError' && typeof (error as { reason?: unknown }).reason === 'string';
}

/** Error codes that mean the request never left: refused, or the host name did not resolve. */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** A TransportError for a system error code: `not-sent` when the request surely never left, else `network`. */
export function networkFailure(code: string | undefined): TransportError {
  return new TransportError(code !== undefined && NOT_SENT_CODES.has(code) ? 'not-sent' : 'network', code);
}

/** Bytes of `text` as UTF-8 (what goes on the wire); no Buffer, so browsers have it too. */
export const utf8Length = (text: string): number => new Blob([text]).size;
