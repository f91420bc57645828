/** Input checks that run before a request leaves, so bad input never reaches the server. */
import { validationError, type AiccError } from './errors.js';
import { LIMITS, type ApiName } from './protocol.js';
import { utf8BytesOver } from './bytes.js';

/** `${api}: ${field} must ${rule}`: every validation message has this one shape. */
export function invalid(api: ApiName, field: string, rule: string): AiccError {
  return validationError(api, field, `must ${rule}`);
}

export function requireText(api: ApiName, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(api, field, 'be a non-empty string');
  return value;
}

/** At most `max` `unit`s (characters by default); the message tells how many it got. */
export function requireMax(api: ApiName, field: string, value: string, max: number, size = value.length, unit = 'characters'): string {
  if (size > max) throw invalid(api, field, `be at most ${max} ${unit} (got ${size})`);
  return value;
}

export function requireUserId(api: ApiName, field: string, value: unknown, maxLength: number = LIMITS.userIdMaxLength): string {
  return requireMax(api, field, requireText(api, field, value), maxLength);
}

export function requireTextBytes(api: ApiName, field: string, value: string): string {
  const max = LIMITS.textMaxBytes;
  const bytes = utf8BytesOver(value, max);
  return bytes === null ? value : requireMax(api, field, value, max, bytes, 'bytes of UTF-8');
}

/** An integer in min..max. */
export function requireInt(api: ApiName, field: string, value: unknown, min = 0, max = Infinity): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(api, field, `be an integer ${max < Infinity ? `in ${min}..${max}` : `>= ${min}`}`);
  }
  return value as number;
}

/** Non-negative integer, as a wire string. */
export function requireCount(api: ApiName, field: string, value: unknown): string {
  return String(requireInt(api, field, value));
}

/** One of `allowed` (listed in the message). */
export function requireOneOf<T extends string>(api: ApiName, field: string, value: unknown, allowed: readonly T[], extra = ''): T {
  if (!allowed.includes(value as T)) throw invalid(api, field, `be one of ${allowed.join(', ')}${extra}`);
  return value as T;
}

/** doLeaveMessage caller (CALLER_PATTERN), shared with the machine's check. */
export const CALLER_RULE = 'be a phone number (digits, spaces, dashes, optional leading +)';
