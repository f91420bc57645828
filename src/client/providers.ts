/**
 * Ready-made auth providers. The browser-safe one asks your back end for the token; the
 * server-side ones hold credentials and must never be bundled into a web page.
 */
import { waitUnlessAborted } from './abort.js';
import { AiccError } from './errors.js';
import { createAiccClient } from './client.js';
import type { AccessToken, AiccClient, ApplyTokenInput, GatewayHeadersProvider, TokenProvider } from './types.js';

/** A token provider that calls applyToken directly (server side, or against the simulator). */
export function applyTokenProvider(client: Pick<AiccClient, 'applyToken'>, identity: ApplyTokenInput): TokenProvider {
  return async () => (await client.applyToken(identity)).token;
}

export interface AkSkGatewayOptions {
  /** Tenant base URL (where /apigovernance/api/oauth/tokenByAkSk lives). */
  baseUrl: string;
  appKey: string;
  appSecret: string;
  /** Requested AccessToken lifetime, 1..3600 s. Default 600. */
  expiresInSeconds?: number;
  /** Renew this long before expiry. Default 60 s (or a tenth of the lifetime if shorter). */
  renewBeforeMs?: number;
  /** A client for tokenByAkSk calls; built from baseUrl when absent. */
  client?: Pick<AiccClient, 'tokenByAkSk'>;
  /** Clock, for tests. */
  now?: () => number;
  /** This holds the tenant-wide secret: refuse to run in a browser unless you really mean it. */
  allowInBrowser?: boolean;
}

/**
 * Gateway headers from AK/SK (Node only): caches the AccessToken until shortly before expiry,
 * renews it then, and at once when the client reports a 403 (forceRefresh).
 */
export function akSkGatewayHeaders(options: AkSkGatewayOptions): GatewayHeadersProvider {
  const inBrowser = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  if (inBrowser && !options.allowInBrowser) {
    throw new AiccError({
      kind: 'validation',
      api: 'tokenByAkSk',
      field: 'appSecret',
      message: 'akSkGatewayHeaders holds the tenant AK/SK and must run on a server, not in a browser',
    });
  }
  const client = options.client ?? createAiccClient({ baseUrl: options.baseUrl });
  const now = options.now ?? Date.now;
  const lifetimeMs = (options.expiresInSeconds ?? 600) * 1000;
  const renewBeforeMs = options.renewBeforeMs ?? Math.min(60_000, lifetimeMs / 10);
  let current: AccessToken | undefined;
  let pending: Promise<AccessToken> | undefined;
  /** `Bearer <token>` made once per token: every request keeps its header value while in flight. */
  let bearerOf: AccessToken | undefined;
  let bearer = '';

  /** One renewal shared by every waiting caller; a caller's abort releases only that caller. */
  function renew(signal?: AbortSignal): Promise<AccessToken> {
    pending ??= client
      // expiresInSeconds undefined means tokenByAkSk's default.
      .tokenByAkSk({ appKey: options.appKey, appSecret: options.appSecret, expiresInSeconds: options.expiresInSeconds })
      .then((token) => (current = token))
      .finally(() => (pending = undefined));
    return waitUnlessAborted(pending, signal, 'tokenByAkSk');
  }

  return async ({ forceRefresh, signal }) => {
    const fresh = current !== undefined && !forceRefresh && now() < current.expiresAt - renewBeforeMs;
    const token = fresh && current ? current : await renew(signal);
    if (token !== bearerOf) {
      bearerOf = token;
      bearer = `Bearer ${token.accessToken}`;
    }
    return { 'x-app-key': options.appKey, Authorization: bearer };
  };
}
