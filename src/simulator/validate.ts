/**
 * Field checks for request bodies. Almost every scalar on the wire is a string (docs/protocol.md
 * #25-bodies-and-result-codes), so a number where a string belongs is a 'wrong-type' violation even when the value
 * would make sense.
 */
import type { WireFields } from '../client/protocol.js';
import type { ViolationRule } from './types.js';

export interface FieldIssue {
  kind: 'missing' | 'type' | 'value';
  field: string;
  message: string;
}

export function ruleOf(issue: FieldIssue): ViolationRule {
  return issue.kind === 'missing' ? 'missing-field' : issue.kind === 'type' ? 'wrong-type' : 'invalid-value';
}

export interface StringRule {
  /** Absent, null and (unless allowEmpty) '' count as missing. Default true. */
  required?: boolean;
  allowEmpty?: boolean;
  minLength?: number;
  maxLength?: number;
  /** UTF-8 byte cap. */
  maxBytes?: number;
  equals?: string;
  oneOf?: readonly string[];
  pattern?: RegExp;
  /** Wording for a pattern mismatch. */
  patternHint?: string;
}

/** A parsed JSON body, before a handler reads it as `WireFields` of its request type. */
export type Body = Record<string, unknown>;

/** Checks one string field (named as in the wire type `T`); undefined when fine. */
export function checkString<T>(body: WireFields<T>, field: keyof T & string, rule: StringRule = {}): FieldIssue | undefined {
  const required = rule.required ?? true;
  const value = body[field];
  if (value === undefined || value === null || (value === '' && !rule.allowEmpty)) {
    return required ? { kind: 'missing', field, message: `${field} is required` } : undefined;
  }
  if (typeof value !== 'string') {
    return { kind: 'type', field, message: `${field} must be a string, got ${describe(value)}` };
  }
  if (rule.minLength !== undefined && value.length < rule.minLength) {
    return { kind: 'value', field, message: `${field} must have at least ${rule.minLength} characters` };
  }
  if (rule.maxLength !== undefined && value.length > rule.maxLength) {
    return { kind: 'value', field, message: `${field} must have at most ${rule.maxLength} characters (has ${value.length})` };
  }
  if (rule.maxBytes !== undefined && Buffer.byteLength(value, 'utf8') > rule.maxBytes) {
    return {
      kind: 'value',
      field,
      message: `${field} must be at most ${rule.maxBytes} UTF-8 bytes (has ${Buffer.byteLength(value, 'utf8')})`,
    };
  }
  if (rule.equals !== undefined && value !== rule.equals) {
    return { kind: 'value', field, message: `${field} must be "${rule.equals}", got "${value}"` };
  }
  if (rule.oneOf !== undefined && !rule.oneOf.includes(value)) {
    return { kind: 'value', field, message: `${field} must be one of ${rule.oneOf.join(', ')}, got "${value}"` };
  }
  if (rule.pattern !== undefined && !rule.pattern.test(value)) {
    return { kind: 'value', field, message: `${field} ${rule.patternHint ?? `must match ${String(rule.pattern)}`}, got "${value}"` };
  }
  return undefined;
}

/** First issue of several checks. */
export function firstIssue(...issues: (FieldIssue | undefined)[]): FieldIssue | undefined {
  return issues.find((i) => i !== undefined);
}

export function str<T>(body: WireFields<T>, field: keyof T & string): string | undefined {
  const v = body[field];
  return typeof v === 'string' ? v : undefined;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value} (${JSON.stringify(value)?.slice(0, 40)})`;
}

/** Epoch-ms strings like "1619573122352". */
export const DIGITS = /^\d+$/;
/** zh, zh_CN, en, en_US, pt_BR ... (newest pages allow the country part). */
export const LOCALE = /^[a-z]{2}(?:_[A-Z]{2})?$/;
/** A callback phone number [inferred rule]: digits with an optional + and separators. */
export { CALLER_PATTERN as PHONE } from '../client/protocol.js';
