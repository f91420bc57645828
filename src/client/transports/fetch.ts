/**
 * `aicc-chat-machine/transport-fetch`: requests through `fetch` — for browsers that want the
 * smallest bundle (no axios), and for any runtime with a standard fetch (Node 18+, Deno, Bun,
 * workers). No Node builtins.
 *
 *   import { fetchTransport } from 'aicc-chat-machine/transport-fetch';
 *   createChatSession({ clientOptions: { baseUrl, token, transport: fetchTransport() }, ... });
 *
 * Same behaviour as the other transports (see http.ts): one deadline for the whole exchange,
 * the caller's AbortSignal, no redirects followed, `maxResponseBytes` enforced while reading.
 * One difference: fetch cannot report upload progress, so an upload reports only its end (all
 * bytes sent, when the answer starts); use axios (XHR in browsers) for a moving progress bar.
 *
 * @module transport-fetch
 */
import { networkFailure, TransportError, utf8Length, type HttpRequest, type HttpResponse, type HttpTransport } from '../http.js';

export type { HttpRequest, HttpResponse, HttpTransport } from '../http.js';

/** RequestInit fields the transport leaves to you (the rest it sets per request). */
export type FetchInit = Omit<RequestInit, 'method' | 'headers' | 'body' | 'signal' | 'redirect'>;

export interface FetchTransportOptions {
  /** The fetch to call. Default: `globalThis.fetch`, looked up on each request (so a polyfill or test double installed later is used). */
  fetch?: typeof fetch;
  /** Added to every request: `credentials` (cookies to your gateway), `mode`, `cache`, `referrerPolicy`, `priority`... */
  init?: FetchInit;
}

export interface FetchTransport extends HttpTransport {
  readonly name: 'fetch';
}

/**
 * A transport on fetch. Redirects are not followed (`redirect: 'manual'`): a 3xx would replay
 * the token elsewhere. Node shows the 3xx, browsers hide it as status 0; both end as an `http`
 * AiccError. Browsers do not say why a request failed, so every failure there is `network`
 * (a POST's outcome unknown); Node's fetch tells refused (never sent) from reset.
 */
export function fetchTransport(options: FetchTransportOptions = {}): FetchTransport {
  return {
    name: 'fetch',
    request: (request) => exchange(request, options),
  };
}

async function exchange(request: HttpRequest, options: FetchTransportOptions): Promise<HttpResponse> {
  const { signal, maxResponseBytes: max } = request;
  // One controller for both ends of the exchange; `failure` says which of ours fired it.
  const controller = new AbortController();
  let failure: TransportError | undefined;
  const stop = (reason: 'aborted' | 'timeout' | 'too-large'): void => {
    failure ??= new TransportError(reason);
    controller.abort();
  };
  const onAbort = (): void => stop('aborted');
  if (signal?.aborted) throw new TransportError('aborted');
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(stop, request.timeoutMs, 'timeout');
  try {
    const response = await (options.fetch ?? fetch)(request.url, {
      ...options.init,
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: controller.signal,
      redirect: 'manual',
    });
    // fetch tells nothing while the body goes out (a streamed request body would, but browsers
    // need HTTP/2 and half-duplex for it): the whole body left once the answer starts.
    if (request.onUploadProgress && request.body !== undefined) {
      const total = utf8Length(request.body);
      request.onUploadProgress(total, total);
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = max === undefined ? await response.text() : await readCapped(response, max, stop);
    return { status: response.status, headers, body };
  } catch (error) {
    throw failure ?? fetchFailure(error);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Reads the body, stopping as soon as it passes `max` bytes (a Content-Length over it stops before reading). */
async function readCapped(response: Response, max: number, stop: (reason: 'too-large') => void): Promise<string> {
  const tooLarge = (): never => {
    stop('too-large');
    throw new TransportError('too-large');
  };
  if (Number(response.headers.get('content-length')) > max) tooLarge();
  const reader = response.body?.getReader();
  if (!reader) {
    // No stream to read from (an old engine or a test double): read it all, then check.
    const text = await response.text();
    if (new TextEncoder().encode(text).byteLength > max) tooLarge();
    return text;
  }
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > max) {
      void reader.cancel().catch(() => undefined);
      tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** fetch only says TypeError; Node's (undici) puts the system error in `cause`. */
function fetchFailure(error: unknown): unknown {
  if (error instanceof Error && error.name === 'AbortError') return new TransportError('aborted');
  if (!(error instanceof TypeError)) return error;
  const cause = (error as { cause?: { code?: unknown; errors?: { code?: unknown }[] } }).cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return networkFailure(typeof code === 'string' ? code : undefined);
}
