/**
 * Auth headers, token rotation and error mapping, on top of a pluggable HTTP transport
 * (http.ts). Every client method goes through `request`, so the rules live in one place, the
 * same for every transport:
 * - a `ccmessaging-token` response header replaces the token for all later calls;
 * - HTTP 401 (or body resultCode "401" outside downloadFileStream) → one re-apply, one retry;
 * - HTTP 403 (API Fabric AccessToken expired) → gateway headers refreshed, one retry;
 * - errors become AiccError, and no message ever contains a token or a credential.
 * The default transport is axios, imported the first time it is needed (transports/axios.ts),
 * so an app whose clients all bring a transport never loads it.
 */
import type { AxiosInstance } from 'axios';
import { waitUnlessAborted } from './abort.js';
import { AiccError, aiccError, httpError, validationError } from './errors.js';
import { isTransportError, networkFailure, TransportError, utf8Length, type HttpRequest, type HttpResponse, type HttpTransport } from './http.js';
import { API_PATHS, HEADERS, type ApiName } from './protocol.js';
import type { AiccClientOptions, CallOptions, TokenRequestReason } from './types.js';

export interface RequestExtra {
  headers?: Record<string, string>;
  /** Largest response body accepted, in bytes. */
  maxResponseBytes?: number;
  /** The transport's report of the body going out (HttpRequest.onUploadProgress). */
  onUploadProgress?: HttpRequest['onUploadProgress'];
}

export interface Transport {
  /**
   * The axios instance behind `client.http`. A method, not a getter: V8 makes an object literal
   * that holds an accessor a dictionary (~0.4 KB per client, docs/performance.md).
   */
  axiosInstance(): AxiosInstance;
  /** POSTs `payload` as JSON, or for poll (the one GET) sends it as the query string. */
  request<T extends object>(api: ApiName, payload: object, call?: CallOptions, extra?: RequestExtra): Promise<T>;
  authenticate(signal?: AbortSignal): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_LONG_POLL_WINDOW_MS = 5_000;
const POLL_TIMEOUT_MARGIN_MS = 10_000;
const JSON_TYPE = 'application/json; charset=UTF-8';

type AxiosModule = typeof import('./transports/axios.js');
/** What the axios module uses from http.ts (see AxiosHelpers). Internal: tests call axiosRequest with it. */
export const AXIOS_HELPERS: import('./transports/axios.js').AxiosHelpers = { TransportError, networkFailure, utf8Length };
/** The axios transport module once loaded (every client shares it). */
let axiosModule: AxiosModule | undefined;
let loadingAxios: Promise<AxiosModule> | undefined;

/**
 * Loads the axios transport (once). Clients without `transport` do it on their first request;
 * internal: tests use it to make `client.http` readable before any request.
 */
export function loadAxiosTransport(): Promise<AxiosModule> {
  loadingAxios ??= import('./transports/axios.js').then(
    (loaded) => (axiosModule = loaded),
    (error: unknown) => {
      loadingAxios = undefined; // a chunk that failed to load (offline page) is tried again
      throw error;
    },
  );
  return loadingAxios;
}

/** Which auth an API needs: tokenByAkSk none, applyToken the gateway's, the rest a session token. */
const isSessionApi = (api: ApiName) => api !== 'tokenByAkSk' && api !== 'applyToken';

export function createTransport(options: AiccClientOptions): Transport {
  const custom: HttpTransport | undefined = options.transport;
  if (custom !== undefined) {
    if (options.axios !== undefined) throw validationError('client', 'transport', 'excludes axios: pass one of them');
    if (typeof custom?.request !== 'function') throw validationError('client', 'transport', 'needs a request method');
  }
  /** The axios instance of this client: the caller's, or its own once it read `http`. Else the shared one. */
  let own: AxiosInstance | undefined = options.axios;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pollTimeout = options.pollTimeoutMs ?? (options.longPollWindowMs ?? DEFAULT_LONG_POLL_WINDOW_MS) + POLL_TIMEOUT_MARGIN_MS;
  const gatewayProvider = options.gatewayHeaders;

  let token: string | undefined;
  let pendingToken: Promise<string> | undefined;
  /** The last GET's payload (never changed by its maker) and the URL made from it. */
  let lastGet: object | undefined;
  let lastGetUrl = '';

  /** Asks the provider once, however many calls are waiting for a token; one caller's abort stops only that caller. */
  function fetchToken(reason: TokenRequestReason, signal?: AbortSignal): Promise<string> {
    const provider = options.token;
    if (!provider) return Promise.reject(validationError('client', 'token', 'provider is missing: pass options.token to createAiccClient'));
    pendingToken ??= (async () => {
      try {
        const value = await provider({ reason });
        if (typeof value !== 'string' || value === '') throw validationError('client', 'token', 'provider returned no token');
        return (token = value);
      } finally {
        pendingToken = undefined;
      }
    })();
    return waitUnlessAborted(pendingToken, signal, 'client');
  }

  /** The token held, else one from the provider; failures as AiccError of `api`. */
  async function currentToken(api: ApiName | 'client', signal?: AbortSignal): Promise<string> {
    try {
      return token ?? (await fetchToken('initial', signal));
    } catch (error) {
      throw asAiccError(error, api);
    }
  }

  async function gatewayHeaders(forceRefresh: boolean, signal?: AbortSignal): Promise<Record<string, string>> {
    try {
      return await gatewayProvider!(signal ? { forceRefresh, signal } : { forceRefresh });
    } catch (error) {
      throw asAiccError(error, 'client');
    }
  }

  function pickRotatedToken(response: HttpResponse, sent: string | undefined): void {
    const header = response.headers[HEADERS.ccmessagingToken];
    const rotated: unknown = typeof header === 'string' ? header : header?.[0];
    if (typeof rotated !== 'string' || rotated === '' || rotated === token) return;
    // Only follow a rotation of the token this request carried; a stale answer must not roll back.
    if (sent !== undefined && token !== undefined && sent !== token) return;
    token = rotated;
    options.onTokenRotated?.(rotated);
  }

  /**
   * One exchange through the client's transport: the caller's, or axios (loaded on first use).
   * Not async: an async function returning the transport's promise adds a promise and a
   * thenable job per request that live as long as the request (a long poll's window).
   */
  function exchange(request: HttpRequest): Promise<HttpResponse> {
    if (custom) return custom.request(request);
    return viaAxios(request);
  }
  async function viaAxios(request: HttpRequest): Promise<HttpResponse> {
    const loaded = axiosModule ?? (await loadAxiosTransport());
    return loaded.axiosRequest(own ?? loaded.sharedHttp(), request, AXIOS_HELPERS);
  }

  async function request<T extends object>(api: ApiName, payload: object, call?: CallOptions, extra?: RequestExtra): Promise<T> {
    const signal = call?.signal;
    const isGet = api === 'poll';
    const method = isGet ? 'GET' : 'POST';
    const session = isSessionApi(api);
    let url = baseUrl + API_PATHS[api];
    if (isGet) {
      // A poll sends the same query every time: its URL is made once (the client passes the same
      // query object; a long poll keeps its URL for its whole window). Built here, not with a
      // library's params serializer (axios' is a good share of a request's CPU).
      if (payload !== lastGet) lastGetUrl = `${url}?${Object.entries(payload).map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&')}`;
      lastGet = payload;
      url = lastGetUrl;
    }
    const http: HttpRequest = {
      method,
      url,
      headers: {},
      body: isGet ? undefined : JSON.stringify(payload),
      timeoutMs: call?.timeoutMs ?? (isGet ? pollTimeout : defaultTimeout),
      signal,
    };
    if (extra?.maxResponseBytes !== undefined) http.maxResponseBytes = extra.maxResponseBytes;
    if (extra?.onUploadProgress) http.onUploadProgress = extra.onUploadProgress;
    let reapplied = false;
    let refreshedGateway = false;

    for (;;) {
      // Object.assign, not spread-then-add (docs/performance.md, "No spread followed by new keys").
      const headers: Record<string, string> = Object.assign(
        {},
        gatewayProvider && (await gatewayHeaders(refreshedGateway, signal)),
        extra?.headers,
      );
      const sentToken = session ? (token ?? (await currentToken(api, signal))) : undefined;
      if (sentToken !== undefined) headers[HEADERS.ccmessagingToken] = sentToken;
      if (!isGet) headers['content-type'] = JSON_TYPE;
      http.headers = headers;

      let response: HttpResponse;
      try {
        response = await exchange(http);
      } catch (error) {
        // Whatever a transport of the caller's threw, a call whose own signal fired was aborted.
        if (signal?.aborted && !(error instanceof AiccError)) throw aiccError('aborted', api, 'aborted', { outcomeUnknown: method === 'POST' });
        throw asAiccError(error, api, method);
      }

      pickRotatedToken(response, sentToken);
      const { status } = response;
      const body = parseBody(api, response);

      if (sentToken !== undefined && !reapplied && isUnauthorized(api, status, body)) {
        reapplied = true;
        // Re-apply, unless another call already replaced the token that failed.
        if (token === undefined || token === sentToken) {
          token = undefined;
          try {
            await fetchToken('unauthorized', signal);
          } catch (error) {
            throw asAiccError(error, api);
          }
        }
        continue;
      }
      if (status === 403 && gatewayProvider && !refreshedGateway) {
        refreshedGateway = true;
        continue;
      }
      if (status < 200 || status >= 300) throw httpError(api, status, body);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw aiccError('protocol', api, 'expected a JSON object in the answer', { status });
      }
      return body as T;
    }
  }

  return {
    // The axios instance of an axios client. The first read gives the client an instance of its
    // own (interceptors added to it must not reach other clients); requests use it from then on.
    axiosInstance(): AxiosInstance {
      if (custom) throw validationError('client', 'http', 'is only there with the axios transport');
      if (own) return own;
      // Before any request loaded axios: an instance of the caller's (options.axios) is the way.
      if (!axiosModule) throw validationError('client', 'http', 'is there once axios has loaded (a first request), or pass options.axios');
      return (own = axiosModule.newHttp());
    },
    request,
    async authenticate(signal) {
      await currentToken('client', signal);
    },
  };
}

function parseBody(api: ApiName, response: HttpResponse): unknown {
  const text = response.body;
  // A regex, not trim(): no copy of a large (download) body.
  if (typeof text !== 'string' || !/\S/.test(text)) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (response.status >= 200 && response.status < 300) throw aiccError('protocol', api, 'the answer is not valid JSON', { status: response.status });
    return null;
  }
}

function isUnauthorized(api: ApiName, status: number, body: unknown): boolean {
  // docs/protocol.md#62-how-401-is-signalled: 401 may come as a body code; downloadFileStream uses "401" for something else.
  return status === 401 || (status === 200 && api !== 'downloadFileStream' && (body as { resultCode?: unknown } | null)?.resultCode === '401');
}

/** Maps anything thrown on the way to an AiccError; the message never echoes headers. */
export function asAiccError(error: unknown, api: ApiName | 'client', method: 'GET' | 'POST' = 'POST'): AiccError {
  if (error instanceof AiccError) return error;
  // A POST that got no answer may still have been processed.
  const outcomeUnknown = method === 'POST';
  if (isTransportError(error)) {
    switch (error.reason) {
      case 'aborted':
        return aiccError('aborted', api, 'aborted', { outcomeUnknown });
      case 'timeout':
        return aiccError('timeout', api, 'no answer within the timeout', { outcomeUnknown });
      case 'too-large':
        return aiccError('protocol', api, 'the answer is larger than allowed');
      default:
        // Refused or unresolvable: the request never left. Anything else (reset) may have been processed.
        return aiccError('network', api, `network error${error.code ? ` (${error.code})` : ''}`, { outcomeUnknown: outcomeUnknown && error.reason !== 'not-sent' });
    }
  }
  if (error instanceof Error && error.name === 'AbortError') return aiccError('aborted', api, 'aborted', { outcomeUnknown });
  return new AiccError({ kind: 'network', api, message: `${api}: ${error instanceof Error ? error.message : String(error)}` }, { cause: error });
}
