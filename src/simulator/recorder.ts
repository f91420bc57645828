/** Request log and protocol violations, with secrets redacted before anything is stored. */
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiName, ApplyTokenResponse, TokenByAkSkRequest, TokenByAkSkResponse } from '../client/protocol.js';
import type { ProtocolViolation, RecordedRequest, ViolationRule } from './types.js';

const SECRET_HEADERS = new Set(['authorization', 'x-app-key', 'ccmessaging-token', 'cookie']);
/** Wire fields holding a secret (a rename of one fails to compile here, so it cannot slip past). */
const SECRET_FIELDS: ReadonlySet<string> = new Set<keyof TokenByAkSkRequest | keyof TokenByAkSkResponse | keyof ApplyTokenResponse>(['app_secret', 'AccessToken', 'token']);
/** Longer strings (Base64 files) are stored shortened. */
const MAX_RECORDED_STRING = 2048;

export const REDACTED = '[redacted]';

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADERS.has(name) ? REDACTED : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Secret fields replaced and long strings shortened. Copy-on-write: a value with nothing to
 * redact is returned as is (no copy), so recording a send or a poll answer allocates nothing;
 * the simulator never mutates request bodies or the messages it answers with.
 */
export function redactJson(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.length > MAX_RECORDED_STRING ? `[${value.length} chars]` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactJson(item);
      if (redacted !== item && out === undefined) out = value.slice(0, i);
      out?.push(redacted);
    }
    return out ?? value;
  }
  // for-in, not Object.entries: no array per object and per key (poll answers carry ~22 keys
  // per message). JSON values and the simulator's replies have no inherited enumerable keys.
  const object = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in object) {
    const v = object[key];
    const redacted = SECRET_FIELDS.has(key) && typeof v === 'string' ? REDACTED : redactJson(v);
    if (redacted !== v && out === undefined) {
      out = {};
      for (const k in object) {
        if (k === key) break;
        out[k] = object[k];
      }
    }
    if (out !== undefined) out[key] = redacted;
  }
  return out ?? value;
}

export class Recorder {
  readonly requests: RecordedRequest[] = [];
  readonly violations: ProtocolViolation[] = [];
  private seq = 0;

  constructor(
    private readonly now: () => number,
    /** false: requests are numbered and handled but not kept (bounded memory for long runs). */
    private readonly keep = true,
  ) {}

  start(entry: Omit<RecordedRequest, 'seq' | 'at' | 'status' | 'response'>): RecordedRequest {
    this.seq += 1;
    const rec: RecordedRequest = { seq: this.seq, at: this.now(), ...entry, status: 0, response: undefined };
    if (this.keep) this.requests.push(rec);
    return rec;
  }

  /** The exchange is over (answer written or socket closed); the first call counts. */
  end(rec: RecordedRequest): void {
    rec.endedAt ??= this.now();
  }

  violate(api: ApiName | 'unknown', userId: string | undefined, rule: ViolationRule, message: string): void {
    const v: ProtocolViolation = { at: this.now(), api, rule, message };
    if (userId !== undefined) v.userId = userId;
    this.violations.push(v);
  }

  requestsFor(api: ApiName, userId?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.api === api && (userId === undefined || r.userId === userId));
  }

  reset(): void {
    // In place, so arrays a test already holds see the reset too.
    this.requests.length = 0;
    this.violations.length = 0;
  }
}
