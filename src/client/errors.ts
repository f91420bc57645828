import { gatewayReasonOf, type GatewayRefusalReason } from './gatewayReasons.js';
import type { ApiName } from './protocol.js';

/** How a call failed. */
export type AiccErrorKind =
  /** No answer: connection refused, reset, DNS. */
  | 'network'
  /** The per-call timeout elapsed. */
  | 'timeout'
  /** A non-200 HTTP status. */
  | 'http'
  /** HTTP 200 with a non-zero resultCode / returnCode. */
  | 'business'
  /** Rejected before sending: bad input; nothing reached the server. */
  | 'validation'
  /** Cancelled through the AbortSignal. */
  | 'aborted'
  /** The server answered with something that is not the documented shape. */
  | 'protocol';

/** The JSON-serializable view of an AiccError (safe to keep in machine context). */
export interface AiccErrorInfo {
  name: 'AiccError';
  kind: AiccErrorKind;
  api: ApiName | 'client';
  message: string;
  status?: number;
  resultCode?: string;
  resultDesc?: string;
  errorCode?: string;
  exceptionInfo?: string;
  /**
   * Why the package's gateway refused the call (HTTP errors answered by `aicc-chat-machine/gateway`):
   * `origin` (the page's origin is not in `allowedOrigins`), `rateLimited`, `pollsPerAddress`,
   * `upstreamAuth` (AICC refused the gateway's credentials), ... The view shows a text per reason.
   */
  gatewayReason?: GatewayRefusalReason;
  /** Which input field was wrong (validation errors). */
  field?: string;
  /**
   * True when the request may have reached the server although no answer came back
   * (timeout or reset after sending): the outcome is unknown, so do not blindly repeat it.
   */
  outcomeUnknown?: boolean;
}

/** The fields an AiccError copies from its info (besides name and message), in toJSON order. */
const FIELDS = ['kind', 'api', 'status', 'resultCode', 'resultDesc', 'errorCode', 'exceptionInfo', 'gatewayReason', 'field', 'outcomeUnknown'] as const;

/** The one error class every client method rejects with. Never carries tokens or secrets. */
export class AiccError extends Error {
  // `declare`: no per-field initialisers in the bundle; the constructor copies what is set.
  declare readonly name: 'AiccError';
  declare readonly kind: AiccErrorKind;
  declare readonly api: ApiName | 'client';
  declare readonly status?: number;
  declare readonly resultCode?: string;
  declare readonly resultDesc?: string;
  declare readonly errorCode?: string;
  declare readonly exceptionInfo?: string;
  declare readonly gatewayReason?: GatewayRefusalReason;
  declare readonly field?: string;
  declare readonly outcomeUnknown?: boolean;

  constructor(info: Omit<AiccErrorInfo, 'name'>, options?: { cause?: unknown }) {
    super(info.message, options);
    const self = this as unknown as Record<string, unknown>;
    self.name = 'AiccError';
    for (const key of FIELDS) if (info[key] !== undefined) self[key] = info[key];
  }

  toJSON(): AiccErrorInfo {
    const json: Record<string, unknown> = { name: 'AiccError', kind: this.kind, api: this.api, message: this.message };
    // A list, not `...this`: some engines add enumerable own fields (line, column) to errors.
    for (const key of FIELDS) if (this[key] !== undefined) json[key] = this[key];
    return json as unknown as AiccErrorInfo;
  }
}

export function isAiccError(value: unknown): value is AiccError {
  return value instanceof AiccError;
}

/** `${api}: ${message}`, the one shape every client error message has. */
export function aiccError(kind: AiccErrorKind, api: ApiName | 'client', message: string, extra?: Partial<Omit<AiccErrorInfo, 'name'>>): AiccError {
  return new AiccError({ kind, api, message: `${api}: ${message}`, ...extra });
}

/**
 * A non-2xx answer as an AiccError: the service's error fields (`errorCode`, `exceptionInfo`,
 * `resultCode`, `resultDesc`) and, from the package's gateway, its refusal reason.
 */
export function httpError(api: ApiName, status: number, body: unknown): AiccError {
  const info: Partial<Omit<AiccErrorInfo, 'name'>> = { status };
  for (const key of ['errorCode', 'exceptionInfo', 'resultCode', 'resultDesc'] as const) {
    const value = (body as Record<string, unknown> | null)?.[key];
    if (typeof value === 'string') info[key] = value;
  }
  const reason = gatewayReasonOf(body);
  if (reason !== undefined) info.gatewayReason = reason;
  const detail = info.exceptionInfo;
  return aiccError('http', api, `HTTP ${status}${detail !== undefined ? ` (${detail})` : ''}`, info);
}

/** A validation error: thrown before any request leaves. */
export function validationError(api: ApiName | 'client', field: string, message: string): AiccError {
  return aiccError('validation', api, `${field} ${message}`, { field });
}

/** resultCode of an answered request the service refused for flow control (rate limiting). */
export const FLOW_CONTROL_RESULT_CODE = '10010000002';

/**
 * Could the same request succeed if repeated a little later? Yes when nothing definitive was
 * said: no answer (network, timeout), an answer that is not the API's (protocol: a proxy's
 * page), a server or overload status (5xx, 408, 429) or the flow-control result code. No for
 * refusals (other 4xx after the client's own 401/403 retry, business codes), bad input and
 * cancellation. One rule for every retry that is not about a message's delivery (auth, survey
 * mode): see docs/reliability.md.
 */
export function isTransientFailure(error: Pick<AiccErrorInfo, 'kind' | 'status' | 'resultCode'>): boolean {
  switch (error.kind) {
    case 'network':
    case 'timeout':
    case 'protocol':
      return true;
    case 'http': {
      const status = error.status ?? 0;
      return status >= 500 || status === 408 || status === 429;
    }
    case 'business':
      return error.resultCode === FLOW_CONTROL_RESULT_CODE;
    default:
      return false;
  }
}

/**
 * How a failed CHAT send is handled, from what the error says about the server:
 * - `resend`: it certainly did not reach the server and may work later — connection refused
 *   (`network` with `outcomeUnknown: false`), HTTP 429 or 503 (refused before processing, per
 *   RFC 9110), 401 or 403 (the gateway refused the token even after the client's own re-apply /
 *   renewal and retry). Resent automatically, in order, with backoff.
 * - `unknown`: the server may have processed it — timeout, reset, abort (`outcomeUnknown`),
 *   HTTP 500 ("business failure", i.e. the service ran it: docs/protocol.md#25-bodies-and-result-codes),
 *   502/504 and other 5xx (a gateway lost the upstream answer), an answer that is not the
 *   documented shape. Shown failed with `outcomeUnknown: true`; never repeated without the
 *   customer asking.
 * - `failed`: the server answered and refused (business codes, 4xx) or it was never sendable
 *   (validation). Shown failed; repeating it would not help.
 */
export type SendFailure = 'resend' | 'unknown' | 'failed';

export function sendFailure(error: Pick<AiccErrorInfo, 'kind' | 'status' | 'outcomeUnknown'>): SendFailure {
  if (error.outcomeUnknown === true) return 'unknown';
  switch (error.kind) {
    case 'network':
      return error.outcomeUnknown === false ? 'resend' : 'unknown';
    case 'http':
      // 401/403 reach us only after the client re-applied for the token / renewed the gateway's
      // AccessToken and retried once: the gateway refused before the service saw anything.
      if (error.status === 401 || error.status === 403 || error.status === 429 || error.status === 503) return 'resend';
      return (error.status ?? 0) >= 500 ? 'unknown' : 'failed';
    case 'timeout':
    case 'aborted':
    case 'protocol':
      return 'unknown';
    default:
      return 'failed';
  }
}

/** Any thrown value as the JSON view of an AiccError (unexpected errors become kind 'protocol'). */
export function toErrorInfo(error: unknown): AiccErrorInfo {
  if (isAiccError(error)) return error.toJSON();
  const candidate = error as Record<string, unknown>;
  if (typeof error === 'object' && error !== null && candidate.name === 'AiccError' && typeof candidate.kind === 'string') {
    const json: unknown = typeof candidate.toJSON === 'function' ? (candidate.toJSON as () => unknown)() : null;
    return typeof json === 'object' && json !== null ? (json as AiccErrorInfo) : { ...(candidate as unknown as AiccErrorInfo) };
  }
  return { name: 'AiccError', kind: 'protocol', api: 'client', message: error instanceof Error ? error.message : String(error) };
}
