/** Input checks that run before a request leaves, so bad input never reaches the server. */
import { validationError } from './errors.js';
import { LIMITS, type ApiName } from './protocol.js';
import { utf8ByteLength } from './base64.js';

export function requireText(api: ApiName, field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw validationError(api, field, `${field} must be a non-empty string`);
  }
  return value;
}

export function requireUserId(api: ApiName, field: string, value: unknown, maxLength: number = LIMITS.userIdMaxLength): string {
  const id = requireText(api, field, value);
  if (id.length > maxLength) {
    throw validationError(api, field, `${field} must be at most ${maxLength} characters (got ${id.length})`);
  }
  return id;
}

export function requireMaxChars(api: ApiName, field: string, value: string, max: number): string {
  if (value.length > max) throw validationError(api, field, `${field} must be at most ${max} characters (got ${value.length})`);
  return value;
}

export function requireTextBytes(api: ApiName, field: string, value: string, maxBytes: number = LIMITS.textMaxBytes): string {
  const bytes = utf8ByteLength(value);
  if (bytes > maxBytes) throw validationError(api, field, `${field} must be at most ${maxBytes} bytes of UTF-8 (got ${bytes})`);
  return value;
}

/** Non-negative integer, as the wire's string numbers need. */
export function requireCount(api: ApiName, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw validationError(api, field, `${field} must be a non-negative integer`);
  }
  return value;
}

const LOCALE_PATTERN = /^[a-z]{2}(?:[_-][A-Z]{2})?$/;

/** `zh`, `zh_CN`, `en`, `en_US`: ISO 639 with an optional country, as the newest pages allow. */
export function requireLocale(api: ApiName, field: string, value: unknown): string {
  const locale = requireText(api, field, value);
  if (!LOCALE_PATTERN.test(locale)) throw validationError(api, field, `${field} must look like "en" or "en_US" (got "${locale}")`);
  return locale.replace('-', '_');
}
