/**
 * The axios transport, the default. transport.ts loads this module with a dynamic import the
 * first time a client without `transport` makes a request, so bundlers put axios in a chunk of
 * its own that an app whose clients all bring a transport never loads.
 */
import axios, { AxiosError, type Axios, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import type { HttpRequest, HttpResponse, TransportError, TransportFailure } from '../http.js';

/**
 * What this module uses from http.ts, handed over by transport.ts instead of imported: with an
 * import, a bundler puts http.ts in a chunk of its own that every page loads up front, in a gzip
 * stream of its own (docs/performance.md, section 5).
 */
export interface AxiosHelpers {
  TransportError: new (reason: TransportFailure, code?: string) => TransportError;
  networkFailure(code: string | undefined): TransportError;
  utf8Length(text: string): number;
}

// No redirects: the API never answers 3xx, following one would replay the token elsewhere, and
// axios' redirect wrapper (follow-redirects) costs ~0.15 ms CPU per request in Node
// (bench/overhead.ts). Browsers follow redirects natively; this only affects Node.
export const newHttp = (): AxiosInstance => axios.create({ maxRedirects: 0 });

/**
 * One instance for every client that brings none and never read `client.http`: an instance is
 * ~4 KB of heap, and nothing per client lives on it (every request carries its own config).
 * Nobody outside can reach it, so its defaults are trimmed to what changes the wire: axios'
 * defaults minus what each request sets anyway (transforms, timeout, validateStatus) or what
 * axios falls back to the same defaults for (adapter, transitional, env), and its header
 * buckets (common, get, post, ...) flattened while only `common` holds any. That cuts axios'
 * per-request config merge by about a quarter.
 */
let shared: Axios | undefined;
/** The shared instance (created on first use). Internal: tests watch it; not part of the public entry. */
export function sharedHttp(): Axios {
  if (!shared) {
    const { headers, transitional, env, adapter, transformRequest, transformResponse, timeout, validateStatus, ...rest } = axios.defaults;
    // Per-method headers someone set globally (axios.defaults.headers.post[...]) keep the buckets.
    const perMethod = ['delete', 'get', 'head', 'post', 'put', 'patch'].some((m) => Object.keys(headers[m] ?? {}).length > 0);
    shared = new axios.Axios({ ...rest, headers: (perMethod ? headers : { ...headers.common }) as AxiosRequestConfig['headers'], maxRedirects: 0 });
  }
  return shared;
}

// Per-request constants, built once. The body is already a JSON string (axios' default
// transformRequest would JSON.parse it again to check), and the client parses answers itself:
// axios would silently hand back a string for broken JSON.
const asIs = [(data: unknown) => data];
const anyStatus = () => true;

/** One exchange through `http` (the shared instance, the client's own, or the caller's). */
export async function axiosRequest(http: Axios, request: HttpRequest, helpers: AxiosHelpers): Promise<HttpResponse> {
  const config: AxiosRequestConfig = {
    url: request.url,
    method: request.method,
    data: request.body,
    headers: request.headers,
    timeout: request.timeoutMs,
    signal: request.signal,
    responseType: 'text',
    transformRequest: asIs,
    transformResponse: asIs,
    validateStatus: anyStatus,
  };
  if (request.maxResponseBytes !== undefined) config.maxContentLength = request.maxResponseBytes;
  const progress = request.onUploadProgress;
  if (progress) {
    // XHR's upload events in browsers; a counting stream in Node (axios throttles it to ~3/s
    // and always reports the end). Our own total: a browser may not compute one.
    const total = helpers.utf8Length(request.body ?? '');
    config.onUploadProgress = (event) => progress(Math.min(event.loaded, total), total);
  }
  let response: AxiosResponse<unknown>;
  try {
    response = await http.request<unknown>(config);
  } catch (error) {
    throw asTransportError(error, helpers);
  }
  // Interceptors of the caller's instance may have turned the text into something else.
  const body = typeof response.data === 'string' ? response.data : '';
  return { status: response.status, headers: response.headers as HttpResponse['headers'], body };
}

/** axios' failures as TransportErrors; anything else (an interceptor's own error) as is. */
function asTransportError(error: unknown, { TransportError, networkFailure }: AxiosHelpers): unknown {
  if (axios.isCancel(error) || (error instanceof Error && error.name === 'AbortError')) return new TransportError('aborted');
  // Never the AxiosError itself: its config carries the request headers, tokens included.
  if (error instanceof AxiosError) {
    const code = error.code || undefined;
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return new TransportError('timeout');
    if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test(error.message)) return new TransportError('too-large');
    return networkFailure(code);
  }
  return error;
}
