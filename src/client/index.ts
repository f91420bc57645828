export { createAiccClient } from './client.js';
export { applyTokenProvider, akSkGatewayHeaders, type AkSkGatewayOptions } from './providers.js';
export { AiccError, FLOW_CONTROL_RESULT_CODE, isAiccError, isTransientFailure, type AiccErrorInfo, type AiccErrorKind } from './errors.js';
export { GATEWAY_REFUSAL_REASONS, type GatewayRefusalReason } from './gatewayReasons.js';
export { isTransportError, TransportError, type HttpRequest, type HttpResponse, type HttpTransport, type TransportFailure } from './http.js';
export { fileRefOf, messageKey, parseDownlink } from './parse.js';
export * from './protocol.js';
export type * from './types.js';
// Browser half of the gateway (fetch only): lets web bundles avoid the Node-only gateway entry.
export { gatewayTokenProvider, type GatewayTokenProviderOptions } from './gatewayTokenProvider.js';
