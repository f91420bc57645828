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
  /** Which input field was wrong (validation errors). */
  field?: string;
  /**
   * True when the request may have reached the server although no answer came back
   * (timeout or reset after sending): the outcome is unknown, so do not blindly repeat it.
   */
  outcomeUnknown?: boolean;
}

/** The one error class every client method rejects with. Never carries tokens or secrets. */
export class AiccError extends Error {
  override readonly name = 'AiccError' as const;
  readonly kind: AiccErrorKind;
  readonly api: ApiName | 'client';
  readonly status?: number;
  readonly resultCode?: string;
  readonly resultDesc?: string;
  readonly errorCode?: string;
  readonly exceptionInfo?: string;
  readonly field?: string;
  readonly outcomeUnknown?: boolean;

  constructor(info: Omit<AiccErrorInfo, 'name'>, options?: { cause?: unknown }) {
    super(info.message, options);
    this.kind = info.kind;
    this.api = info.api;
    if (info.status !== undefined) this.status = info.status;
    if (info.resultCode !== undefined) this.resultCode = info.resultCode;
    if (info.resultDesc !== undefined) this.resultDesc = info.resultDesc;
    if (info.errorCode !== undefined) this.errorCode = info.errorCode;
    if (info.exceptionInfo !== undefined) this.exceptionInfo = info.exceptionInfo;
    if (info.field !== undefined) this.field = info.field;
    if (info.outcomeUnknown !== undefined) this.outcomeUnknown = info.outcomeUnknown;
  }

  toJSON(): AiccErrorInfo {
    const info: AiccErrorInfo = { name: 'AiccError', kind: this.kind, api: this.api, message: this.message };
    if (this.status !== undefined) info.status = this.status;
    if (this.resultCode !== undefined) info.resultCode = this.resultCode;
    if (this.resultDesc !== undefined) info.resultDesc = this.resultDesc;
    if (this.errorCode !== undefined) info.errorCode = this.errorCode;
    if (this.exceptionInfo !== undefined) info.exceptionInfo = this.exceptionInfo;
    if (this.field !== undefined) info.field = this.field;
    if (this.outcomeUnknown !== undefined) info.outcomeUnknown = this.outcomeUnknown;
    return info;
  }
}

export function isAiccError(value: unknown): value is AiccError {
  return value instanceof AiccError;
}

/** A validation error: thrown before any request leaves. */
export function validationError(api: ApiName | 'client', field: string, message: string): AiccError {
  return new AiccError({ kind: 'validation', api, field, message: `${api}: ${message}` });
}
