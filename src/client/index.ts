export { createAiccClient } from './client.js';
export { applyTokenProvider, akSkGatewayHeaders, type AkSkGatewayOptions } from './providers.js';
export { AiccError, isAiccError, type AiccErrorInfo, type AiccErrorKind } from './errors.js';
export { fileRefOf, messageKey, parseDownlink } from './parse.js';
export * from './protocol.js';
export type * from './types.js';
