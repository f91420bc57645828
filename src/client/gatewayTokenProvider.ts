/**
 * The browser half of the gateway (src/gateway): a TokenProvider for `createAiccClient` that asks
 * the gateway's `POST {gatewayUrl}/token` route. Fetch only, no node: imports.
 */
import { AiccError, httpError, type AiccErrorKind } from './errors.js';
import type { TokenProvider } from './types.js';

export interface GatewayTokenProviderOptions {
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * Whether cookies go along (the gateway identifies the caller by your session).
   * Default 'include' (the gateway usually lives on another origin than the page).
   */
  credentials?: 'omit' | 'same-origin' | 'include';
  /** Extra headers, e.g. an Authorization header your identify() reads. */
  headers?: Record<string, string>;
}

/** A gateway token failure, reported under applyToken (what the gateway calls for us). */
const failure = (kind: AiccErrorKind, what: string) => new AiccError({ kind, api: 'applyToken', message: `gateway token: ${what}` });

/** `createAiccClient({ baseUrl: gatewayUrl, token: gatewayTokenProvider(gatewayUrl) })`. */
export function gatewayTokenProvider(gatewayUrl: string, options: GatewayTokenProviderOptions = {}): TokenProvider {
  const url = `${gatewayUrl.replace(/\/+$/, '')}/token`;
  return async () => {
    const doFetch = options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(url, {
        method: 'POST',
        // application/json makes a cross-origin call need a CORS preflight (a CSRF barrier).
        headers: { 'content-type': 'application/json', ...options.headers },
        body: '{}',
        credentials: options.credentials ?? 'include',
      });
    } catch (error) {
      throw error instanceof Error && error.name === 'AbortError' ? failure('aborted', 'aborted') : failure('network', 'network error');
    }
    // The gateway's refusal body says why (origin not allowed, rate limited, ...): kept as gatewayReason.
    if (!response.ok) throw httpError('applyToken', response.status, await response.json().catch(() => null));
    const body = (await response.json().catch(() => null)) as { token?: unknown } | null;
    if (typeof body?.token !== 'string' || body.token === '') throw failure('protocol', 'the answer holds no token');
    return body.token;
  };
}
