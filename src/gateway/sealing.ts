/**
 * Sealed ccmessaging-tokens. The browser never sees the token AICC issued: it gets
 * `v1.<base64url(iv | ciphertext | tag)>`, an AES-256-GCM box holding the upstream token, the user
 * and channel it was applied for, and when it was sealed. Only a gateway holding the same
 * `tokenSecret` can open it, any such gateway can (no per-user state), and the gateway refuses a
 * box that was applied for someone other than the identified caller.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT = 'aicc-chat-machine/gateway';
const INFO = 'ccmessaging-token seal v1';
const AAD = Buffer.from('aicc-chat-machine/gateway ccmessaging-token v1', 'utf8');
/** A sealed token is at most this long (an upstream token of a few KiB at most). */
const MAX_SEALED_CHARS = 8192;

export const MIN_TOKEN_SECRET_CHARS = 32;

/** What a sealed token holds. */
export interface SealedClaims {
  /** The upstream ccmessaging-token. */
  token: string;
  userId: string;
  channelId: string;
  /** Epoch ms when sealed. */
  issuedAt: number;
}

export interface TokenSealer {
  seal(claims: SealedClaims): string;
  /** The claims, or null for anything not sealed by one of our keys (tampered, foreign, garbage). */
  open(sealed: string): SealedClaims | null;
}

function deriveKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, INFO, 32));
}

export function createTokenSealer(secrets: string | readonly string[]): TokenSealer {
  const list = typeof secrets === 'string' ? [secrets] : [...secrets];
  if (list.length === 0) throw new TypeError('tokenSecret: give at least one secret');
  for (const secret of list) {
    if (typeof secret !== 'string' || secret.length < MIN_TOKEN_SECRET_CHARS) {
      throw new TypeError(`tokenSecret: every secret must be a string of at least ${MIN_TOKEN_SECRET_CHARS} characters`);
    }
  }
  const keys = list.map(deriveKey);
  const sealingKey = keys[0] as Buffer;

  return {
    seal(claims) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealingKey, iv);
      cipher.setAAD(AAD);
      const plain = Buffer.from(JSON.stringify({ t: claims.token, u: claims.userId, c: claims.channelId, i: claims.issuedAt }), 'utf8');
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },

    open(sealed) {
      if (typeof sealed !== 'string' || !sealed.startsWith(PREFIX) || sealed.length > MAX_SEALED_CHARS) return null;
      const encoded = sealed.slice(PREFIX.length);
      if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return null;
      const raw = Buffer.from(encoded, 'base64url');
      if (raw.length <= IV_BYTES + TAG_BYTES) return null;
      const iv = raw.subarray(0, IV_BYTES);
      const tag = raw.subarray(raw.length - TAG_BYTES);
      const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
      for (const key of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
          decipher.setAAD(AAD);
          decipher.setAuthTag(tag);
          const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
          return parseClaims(plain);
        } catch {
          // Not this key (or tampered): try the next one.
        }
      }
      return null;
    },
  };
}

function parseClaims(text: string): SealedClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  const { t, u, c, i } = value as Record<string, unknown>;
  if (typeof t !== 'string' || typeof u !== 'string' || typeof c !== 'string' || typeof i !== 'number') return null;
  return { token: t, userId: u, channelId: c, issuedAt: i };
}
