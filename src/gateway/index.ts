/**
 * `aicc-chat-machine/gateway` (Node only): the server-side front that holds the tenant's AK/SK,
 * identifies the caller and forwards the 12 customer CC-Messaging APIs bound to that caller.
 * See docs/security.md.
 */
export {
  createGateway,
  DEFAULT_JSON_BODY_BYTES,
  DEFAULT_RESPONSE_BYTES,
  DEFAULT_TOKEN_MAX_AGE_MS,
  DEFAULT_UPLOAD_BODY_BYTES,
} from './gateway.js';
export { memoryRateLimitStore, DEFAULT_PER_ROUTE, DEFAULT_RATE_MAX, DEFAULT_RATE_WINDOW_MS } from './rateLimit.js';
export { FORWARDED_APIS, TOKEN_PATH } from './routes.js';
export { MIN_TOKEN_SECRET_CHARS } from './sealing.js';
export { gatewayTokenProvider, type GatewayTokenProviderOptions } from '../client/gatewayTokenProvider.js';
export type {
  ForwardedApi,
  Gateway,
  GatewayIdentity,
  GatewayLimits,
  GatewayLogEntry,
  GatewayLogger,
  GatewayLogLevel,
  GatewayOptions,
  GatewayRoute,
  IdentifyFn,
  NextFunction,
  RateLimitOptions,
  RateLimitStore,
} from './types.js';
