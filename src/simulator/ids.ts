/** Identifier formats, shaped like the documented samples (docs/protocol.md#26-identifiers). */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/**
 * Random bytes taken from a pool refilled 4 KiB at a time: one call into the CSPRNG per 128
 * message codes instead of one per code (it showed in profiles at thousands of messages/s).
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = 0;

function pooledHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** 64 upper-case hex characters, like the history example's messageCode. */
export function newMessageCode(): string {
  return pooledHex(32).toUpperCase();
}

/** Agent call id like `1659938875-16806492` (epoch seconds, dash, 8 digits). */
export function newCallId(nowMs: number): string {
  return `${Math.floor(nowMs / 1000)}-${randomInt(10_000_000, 100_000_000)}`;
}

/** Numeric record id like `10113293212986888` (17 digits). */
export function newRecordId(): string {
  return `1${digits(16)}`;
}

/** Media-library file id: a numeric string like the channel ids (19 digits) [inferred]. */
export function newLibraryId(): string {
  return `1${digits(18)}`;
}

/** uploadFileStream objectKey / local file key: a UUID like the documented example. */
export function newObjectKey(): string {
  return randomUUID();
}

/** API Fabric AccessToken: opaque [inferred format]. */
export function newAccessToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Random nonce for ccmessaging tokens. */
export function newNonce(): string {
  return pooledHex(12);
}

function digits(n: number): string {
  let out = '';
  while (out.length < n) out += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return out.slice(0, n);
}
