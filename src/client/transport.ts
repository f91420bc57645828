/**
 * One axios instance, the auth headers, token rotation and error mapping. Every client method
 * goes through `request`, so the rules live in one place:
 * - a `ccmessaging-token` response header replaces the token for all later calls;
 * - HTTP 401 (or body resultCode "401" outside downloadFileStream) → one re-apply, one retry;
 * - HTTP 403 (API Fabric AccessToken expired) → gateway headers refreshed, one retry;
 * - errors become AiccError, and no message ever contains a token or a credential.
 */
import axios, { AxiosError, type AxiosInstance, type AxiosResponse } from 'axios';
import { waitUnlessAborted } from './abort.js';
import { AiccError, type AiccErrorInfo } from './errors.js';
import { API_PATHS, HEADERS, type ApiName } from './protocol.js';
import type { AiccClientOptions, GatewayHeaders, TokenRequestReason } from './types.js';

export type AuthLevel = 'none' | 'gateway' | 'session';

export interface RequestSpec {
  api: ApiName;
  method?: 'GET' | 'POST';
  query?: Record<string, string>;
  body?: unknown;
  auth: AuthLevel;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Largest response body accepted, in bytes (Node adapter). */
  maxResponseBytes?: number;
}

export interface Transport {
  readonly http: AxiosInstance;
  request<T extends object>(spec: RequestSpec): Promise<T>;
  authenticate(signal?: AbortSignal): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_LONG_POLL_WINDOW_MS = 5_000;
const POLL_TIMEOUT_MARGIN_MS = 10_000;

export function createTransport(options: AiccClientOptions): Transport {
  // No redirects: the API never answers 3xx, following one would replay the token elsewhere, and
  // axios' redirect wrapper (follow-redirects) costs ~0.15 ms CPU per request in Node
  // (bench/overhead.ts). Browsers follow redirects natively; this only affects Node.
  const http = options.axios ?? axios.create({ maxRedirects: 0 });
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const pollTimeout = options.pollTimeoutMs ?? (options.longPollWindowMs ?? DEFAULT_LONG_POLL_WINDOW_MS) + POLL_TIMEOUT_MARGIN_MS;

  let token: string | undefined;
  let pendingToken: Promise<string> | undefined;

  /** Asks the provider once, however many calls are waiting for a token; one caller's abort stops only that caller. */
  function fetchToken(reason: TokenRequestReason, signal?: AbortSignal): Promise<string> {
    if (!options.token) {
      return Promise.reject(new AiccError({ kind: 'validation', api: 'client', field: 'token', message: 'no token provider configured: pass options.token to createAiccClient' }));
    }
    const provider = options.token;
    pendingToken ??= (async () => {
      try {
        const value = await provider({ reason });
        if (typeof value !== 'string' || value === '') {
          throw new AiccError({ kind: 'validation', api: 'client', field: 'token', message: 'the token provider returned no token' });
        }
        token = value;
        return value;
      } finally {
        pendingToken = undefined;
      }
    })();
    return waitUnlessAborted(pendingToken, signal, 'client');
  }

  async function currentToken(signal?: AbortSignal): Promise<string> {
    return token ?? (await fetchToken('initial', signal));
  }

  /** After a 401: re-apply, unless another call already replaced the token that failed. */
  async function renewToken(failed: string, signal?: AbortSignal): Promise<void> {
    if (token !== undefined && token !== failed) return;
    token = undefined;
    await fetchToken('unauthorized', signal);
  }

  async function gatewayHeaders(forceRefresh: boolean, signal?: AbortSignal): Promise<GatewayHeaders> {
    if (!options.gatewayHeaders) return {};
    try {
      return await options.gatewayHeaders(signal ? { forceRefresh, signal } : { forceRefresh });
    } catch (error) {
      throw asAiccError(error, 'client');
    }
  }

  function pickRotatedToken(response: AxiosResponse, sent: string | undefined): void {
    const rotated = response.headers[HEADERS.ccmessagingToken];
    if (typeof rotated !== 'string' || rotated === '' || rotated === token) return;
    // Only follow a rotation of the token this request carried; a stale answer must not roll back.
    if (sent !== undefined && token !== undefined && sent !== token) return;
    token = rotated;
    options.onTokenRotated?.(rotated);
  }

  async function request<T extends object>(spec: RequestSpec): Promise<T> {
    const method = spec.method ?? 'POST';
    const timeout = spec.timeoutMs ?? (spec.api === 'poll' ? pollTimeout : defaultTimeout);
    let reapplied = false;
    let refreshedGateway = false;

    for (;;) {
      const headers: Record<string, string> = { ...(await gatewayHeaders(refreshedGateway, spec.signal)), ...spec.headers };
      const sentToken = spec.auth === 'session' ? await currentTokenOrThrow(spec) : undefined;
      if (sentToken !== undefined) headers[HEADERS.ccmessagingToken] = sentToken;
      if (method === 'POST') headers['content-type'] = 'application/json; charset=UTF-8';

      let response: AxiosResponse<string>;
      try {
        response = await http.request<string>({
          url: baseUrl + API_PATHS[spec.api],
          method,
          params: spec.query,
          data: method === 'POST' ? JSON.stringify(spec.body ?? {}) : undefined,
          headers,
          timeout,
          signal: spec.signal,
          responseType: 'text',
          // Parse ourselves: axios would silently hand back a string for broken JSON.
          transformResponse: [(data: unknown) => data],
          validateStatus: () => true,
          ...(spec.maxResponseBytes !== undefined ? { maxContentLength: spec.maxResponseBytes } : {}),
        });
      } catch (error) {
        throw asAiccError(error, spec.api, method);
      }

      pickRotatedToken(response, sentToken);
      const body = parseBody(spec.api, response);

      if (spec.auth === 'session' && !reapplied && sentToken !== undefined && isUnauthorized(spec.api, response.status, body)) {
        reapplied = true;
        await renewToken(sentToken, spec.signal);
        continue;
      }
      if (response.status === 403 && options.gatewayHeaders && !refreshedGateway) {
        refreshedGateway = true;
        continue;
      }
      if (response.status < 200 || response.status >= 300) throw httpError(spec.api, response.status, body);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        throw new AiccError({ kind: 'protocol', api: spec.api, status: response.status, message: `${spec.api}: expected a JSON object in the answer` });
      }
      return body as T;
    }
  }

  async function currentTokenOrThrow(spec: RequestSpec): Promise<string> {
    try {
      return await currentToken(spec.signal);
    } catch (error) {
      throw asAiccError(error, spec.api);
    }
  }

  return {
    http,
    request,
    async authenticate(signal) {
      try {
        await currentToken(signal);
      } catch (error) {
        throw asAiccError(error, 'client');
      }
    },
  };
}

function parseBody(api: ApiName, response: AxiosResponse<string>): unknown {
  const text = response.data;
  if (typeof text !== 'string' || text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (response.status >= 200 && response.status < 300) {
      throw new AiccError({ kind: 'protocol', api, status: response.status, message: `${api}: the answer is not valid JSON` });
    }
    return null;
  }
}

function isUnauthorized(api: ApiName, status: number, body: unknown): boolean {
  if (status === 401) return true;
  // aicc-api.md §6.2: 401 may come as a body code; downloadFileStream uses "401" for something else.
  return status === 200 && api !== 'downloadFileStream' && (body as { resultCode?: unknown } | null)?.resultCode === '401';
}

function httpError(api: ApiName, status: number, body: unknown): AiccError {
  const info: Omit<AiccErrorInfo, 'name'> = { kind: 'http', api, status, message: `${api}: HTTP ${status}` };
  if (body && typeof body === 'object') {
    const { errorCode, exceptionInfo, resultCode, resultDesc } = body as Record<string, unknown>;
    if (typeof errorCode === 'string') info.errorCode = errorCode;
    if (typeof exceptionInfo === 'string') {
      info.exceptionInfo = exceptionInfo;
      info.message += ` (${exceptionInfo})`;
    }
    if (typeof resultCode === 'string') info.resultCode = resultCode;
    if (typeof resultDesc === 'string') info.resultDesc = resultDesc;
  }
  return new AiccError(info);
}

/** Maps anything thrown on the way to an AiccError; the message never echoes headers. */
export function asAiccError(error: unknown, api: ApiName | 'client', method: 'GET' | 'POST' = 'POST'): AiccError {
  if (error instanceof AiccError) return error;
  if (axios.isCancel(error) || (error instanceof Error && error.name === 'AbortError')) {
    return new AiccError({ kind: 'aborted', api, message: `${api}: aborted`, outcomeUnknown: method === 'POST' });
  }
  // No `cause` for axios errors: their config carries the request headers, tokens included.
  if (error instanceof AxiosError) {
    const code = error.code ?? '';
    if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      return new AiccError({ kind: 'timeout', api, message: `${api}: no answer within the timeout`, outcomeUnknown: method === 'POST' });
    }
    if (code === 'ERR_BAD_RESPONSE' && /maxContentLength/i.test(error.message)) {
      return new AiccError({ kind: 'protocol', api, message: `${api}: the answer is larger than allowed` });
    }
    // Refused or unresolvable: the request never left. Anything else (reset) may have been processed.
    const neverSent = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    return new AiccError({ kind: 'network', api, message: `${api}: network error${code ? ` (${code})` : ''}`, outcomeUnknown: !neverSent && method === 'POST' });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AiccError({ kind: 'network', api, message: `${api}: ${message}` }, { cause: error });
}
