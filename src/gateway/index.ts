/**
 * `aicc-chat-machine/gateway` (Node only): the server-side front that holds the tenant's AK/SK,
 * identifies the caller and forwards the 12 customer CC-Messaging APIs bound to that caller.
 * See docs/security.md.
 */
export {
  createGateway,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_IN_FLIGHT_PER_ADDRESS,
  DEFAULT_IN_FLIGHT_PER_CUSTOMER,
  DEFAULT_JSON_BODY_BYTES,
  DEFAULT_JSON_DEPTH,
  DEFAULT_POLLS_PER_ADDRESS,
  DEFAULT_RESPONSE_BYTES,
  DEFAULT_TOKEN_MAX_AGE_MS,
  DEFAULT_UPLOAD_BODY_BYTES,
  DEFAULT_UPLOAD_TIMEOUT_MS,
  DEFAULT_UPLOADS_PER_ADDRESS,
  GATEWAY_REASONS,
  POLL_REPLACE_WAIT_MS,
} from './gateway.js';
export { DEFAULT_STORE_RETRY_MS, DEFAULT_STORE_TIMEOUT_MS } from './fleet.js';
export { memoryGatewayStore } from './store.js';
export { redisGatewayStore, type RedisGatewayStore, type RedisGatewayStoreOptions } from './redis.js';
export { DEFAULT_PER_ROUTE, DEFAULT_RATE_MAX, DEFAULT_RATE_PER_ADDRESS, DEFAULT_RATE_WINDOW_MS } from './rateLimit.js';
export { DEFAULT_CONNECTIONS_PER_ADDRESS, type ServedGateway } from './connections.js';
export {
  createGatewayServer,
  DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type GatewayServerOptions,
} from './server.js';
export {
  createGatewayHttp2Server,
  DEFAULT_HTTP2_IDLE_TIMEOUT_MS,
  DEFAULT_HTTP2_MAX_STREAMS,
  DEFAULT_HTTP2_SESSION_MEMORY_MB,
  type GatewayHttp2Options,
} from './http2Server.js';
export { DEFAULT_UPSTREAM_SOCKETS } from './upstream.js';
export { FORWARDED_APIS, TOKEN_PATH } from './routes.js';
export { MIN_TOKEN_SECRET_CHARS, TOKEN_TYPE, type TokenKey, type TokenSecret } from './sealing.js';
export { gatewayTokenProvider, type GatewayTokenProviderOptions } from '../client/gatewayTokenProvider.js';
export { GATEWAY_REFUSAL_REASONS, type GatewayRefusalReason } from '../client/gatewayReasons.js';
export type {
  ForwardedApi,
  Gateway,
  GatewayDeployment,
  GatewayFront,
  GatewayIdentity,
  GatewayLimits,
  GatewayLogEntry,
  GatewayLogger,
  GatewayLogLevel,
  GatewayOptions,
  GatewayRequest,
  GatewayResponse,
  GatewayRoute,
  IdentifyFn,
  NextFunction,
  EndPollOutcome,
  GatewayStore,
  PollClaim,
  PollLease,
  RateLimitOptions,
} from './types.js';
