/**
 * The axios instance, the auth headers, token rotation and error mapping. Every client method
 * goes through `request`, so the rules live in one place:
 * - a `ccmessaging-token` response header replaces the token for all later calls;
 * - HTTP 401 (or body resultCode "401" outside downloadFileStream) → one re-apply, one retry;
 * - HTTP 403 (API Fabric AccessToken expired) → gateway headers refreshed, one retry;
 * - errors become AiccError, and no message ever contains a token or a credential.
 */
import axios, { AxiosError, type Axios, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import { waitUnlessAborted } from './abort.js';
import { AiccError, aiccError, validationError, type AiccErrorInfo } from './errors.js';
import { API_PATHS, HEADERS, type ApiName } from './protocol.js';
import type { AiccClientOptions, CallOptions, TokenRequestReason } from './types.js';

export interface RequestExtra {
  headers?: Record<string, string>;
  /** Largest response body accepted, in bytes (Node adapter). */
  maxResponseBytes?: number;
}

export interface Transport {
  readonly http: AxiosInstance;
  /** POSTs `payload` as JSON, or for poll (the one GET) sends it as the query string. */
  request<T extends object>(api: ApiName, payload: object, call?: CallOptions, extra?: RequestExtra): Promise<T>;
  authenticate(signal?: AbortSignal): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_LONG_POLL_WINDOW_MS = 5_000;
const POLL_TIMEOUT_MARGIN_MS = 10_000;
const JSON_TYPE = 'application/json; charset=UTF-8';

// No redirects: the API never answers 3xx, following one would replay the token elsewhere, and
// axios' redirect wrapper (follow-redirects) costs ~0.15 ms CPU per request in Node
// (bench/overhead.ts). Browsers follow redirects natively; this only affects Node.
const newHttp = (): AxiosInstance => axios.create({ maxRedirects: 0 });

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
// transformRequest would JSON.parse it again to check), and we parse answers ourselves: axios
// would silently hand back a string for broken JSON.
const asIs = [(data: unknown) => data];
const anyStatus = () => true;

/** Which auth an API needs: tokenByAkSk none, applyToken the gateway's, the rest a session token. */
const isSessionApi = (api: ApiName) => api !== 'tokenByAkSk' && api !== 'applyToken';

export function createTransport(options: AiccClientOptions): Transport {
  let own = options.axios;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pollTimeout = options.pollTimeoutMs ?? (options.longPollWindowMs ?? DEFAULT_LONG_POLL_WINDOW_MS) + POLL_TIMEOUT_MARGIN_MS;
  const gatewayProvider = options.gatewayHeaders;

  let token: string | undefined;
  let pendingToken: Promise<string> | undefined;

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

  function pickRotatedToken(response: AxiosResponse, sent: string | undefined): void {
    const rotated: unknown = response.headers[HEADERS.ccmessagingToken];
    if (typeof rotated !== 'string' || rotated === '' || rotated === token) return;
    // Only follow a rotation of the token this request carried; a stale answer must not roll back.
    if (sent !== undefined && token !== undefined && sent !== token) return;
    token = rotated;
    options.onTokenRotated?.(rotated);
  }

  async function request<T extends object>(api: ApiName, payload: object, call?: CallOptions, extra?: RequestExtra): Promise<T> {
    const signal = call?.signal;
    const isGet = api === 'poll';
    const method = isGet ? 'GET' : 'POST';
    const session = isSessionApi(api);
    let url = baseUrl + API_PATHS[api];
    // Built here, not with axios `params` (its serializer is a good share of a request's CPU).
    if (isGet) url += `?${Object.entries(payload).map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&')}`;
    const config: AxiosRequestConfig = {
      url,
      method,
      data: isGet ? undefined : JSON.stringify(payload),
      timeout: call?.timeoutMs ?? (isGet ? pollTimeout : defaultTimeout),
      signal,
      responseType: 'text',
      transformRequest: asIs,
      transformResponse: asIs,
      validateStatus: anyStatus,
    };
    if (extra?.maxResponseBytes !== undefined) config.maxContentLength = extra.maxResponseBytes;
    let reapplied = false;
    let refreshedGateway = false;

    for (;;) {
      // Object.assign, not spread: V8 (Node 20) adds keys to a spread-made object ~50x slower.
      const headers: Record<string, string> = Object.assign(
        {},
        gatewayProvider && (await gatewayHeaders(refreshedGateway, signal)),
        extra?.headers,
      );
      const sentToken = session ? (token ?? (await currentToken(api, signal))) : undefined;
      if (sentToken !== undefined) headers[HEADERS.ccmessagingToken] = sentToken;
      if (!isGet) headers['content-type'] = JSON_TYPE;
      config.headers = headers;

      let response: AxiosResponse<string>;
      try {
        response = await (own ?? sharedHttp()).request<string>(config);
      } catch (error) {
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
    // The first read gives this client an instance of its own (interceptors added to it must not
    // reach other clients); requests use it from then on.
    get http() {
      return (own ??= newHttp());
    },
    request,
    async authenticate(signal) {
      await currentToken('client', signal);
    },
  };
}

function parseBody(api: ApiName, response: AxiosResponse<string>): unknown {
  const text = response.data;
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
  // aicc-api.md §6.2: 401 may come as a body code; downloadFileStream uses "401" for something else.
  return status === 401 || (status === 200 && api !== 'downloadFileStream' && (body as { resultCode?: unknown } | null)?.resultCode === '401');
}

function httpError(api: ApiName, status: number, body: unknown): AiccError {
  const info: Partial<Omit<AiccErrorInfo, 'name'>> = { status };
  for (const key of ['errorCode', 'exceptionInfo', 'resultCode', 'resultDesc'] as const) {
    const value = (body as Record<string, unknown> | null)?.[key];
    if (typeof value === 'string') info[key] = value;
  }
  const detail = info.exceptionInfo;
  return aiccError('http', api, `HTTP ${status}${detail !== undefined ? ` (${detail})` : ''}`, info);
}

/** Maps anything thrown on the way to an AiccError; the message never echoes headers. */
export function asAiccError(error: unknown, api: ApiName | 'client', method: 'GET' | 'POST' = 'POST'): AiccError {
  if (error instanceof AiccError) return error;
  // A POST that got no answer may still have been processed.
  const outcomeUnknown = method === 'POST';
  if (axios.isCancel(error) || (error instanceof Error && error.name === 'AbortError')) {
    return aiccError('aborted', api, 'aborted', { outcomeUnknown });
  }
  // No `cause` for axios errors: their config carries the request headers, tokens included.
  if (error instanceof AxiosError) {
    const code = error.code ?? '';
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') return aiccError('timeout', api, 'no answer within the timeout', { outcomeUnknown });
    if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test(error.message)) return aiccError('protocol', api, 'the answer is larger than allowed');
    // Refused or unresolvable: the request never left. Anything else (reset) may have been processed.
    const neverSent = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    return aiccError('network', api, `network error${code ? ` (${code})` : ''}`, { outcomeUnknown: outcomeUnknown && !neverSent });
  }
  return new AiccError({ kind: 'network', api, message: `${api}: ${error instanceof Error ? error.message : String(error)}` }, { cause: error });
}
