/**
 * Sealed ccmessaging-tokens as standard compact JWE (RFC 7516) through `jose`. The browser never
 * sees the token AICC issued: it gets a JWT encrypted for the gateway fleet, holding the upstream
 * token, the user and channel it was applied for, when it was sealed and when it expires.
 *
 * Algorithms: `alg: A256KW` (AES-256 key wrap) with `enc: A256GCM`. Every token gets a fresh
 * random content key, wrapped under the fleet key, so the long-lived key never encrypts content
 * itself and the number of tokens per key has no nonce budget (with `dir`, every token would be
 * one more AES-GCM encryption under the same key with a random 96-bit IV: ~2^32 tokens before
 * the IV-collision bound, reachable when upstream rotates tokens often). The price is 40 bytes
 * of wrapped key per token.
 *
 * Keys carry an id (`kid` in the protected header): the newest key whose `sealFrom` has come
 * seals, every listed key opens, a token naming a key that is not listed is refused as such.
 * Only a gateway holding the key can open a token, any such gateway can (no per-user state),
 * and the gateway refuses a token applied for someone other than the identified caller.
 */
import { createHash, hkdfSync, webcrypto } from 'node:crypto';
import { decodeProtectedHeader, EncryptJWT, errors, jwtDecrypt } from 'jose';

export const MIN_TOKEN_SECRET_CHARS = 32;
const SALT = 'aicc-chat-machine/gateway';
const INFO = 'ccmessaging-token JWE A256KW';
const ALG = 'A256KW';
const ENC = 'A256GCM';
/** The JWE `typ`: a JWT of this gateway and nothing else (RFC 8725 §3.11). */
export const TOKEN_TYPE = 'aicc-ccmessaging+jwt';
/** The home-made AES-GCM format this replaced: `v1.<base64url>`. */
const LEGACY_PREFIX = 'v1.';
/** A sealed token is at most this long (an upstream token of a few KiB at most). */
const MAX_SEALED_CHARS = 8192;
/** Clock skew tolerated between gateway instances, s. */
const CLOCK_TOLERANCE_S = 60;
const KID = /^[A-Za-z0-9._-]{1,64}$/;
/**
 * Tokens opened recently, by their exact text: a customer presents the same token on every call
 * until it rotates, and decrypting through WebCrypto costs ~0.2 ms of CPU against ~1 µs for a
 * look-up. Bounded (least recently used out), expiry still checked on every hit.
 */
const OPENED_CACHE_ENTRIES = 10_000;

/** One key of the fleet's token keys. */
export interface TokenKey {
  /** Written into each token's protected header (`kid`): 1–64 characters `A-Z a-z 0-9 . _ -`. */
  kid: string;
  /** At least 32 characters (e.g. `openssl rand -base64 48`); the AES key is derived with HKDF-SHA256. */
  secret: string;
  /**
   * Epoch ms from which this key seals new tokens; before that it only opens them. Lets one
   * deploy add a key to every instance first and switch sealing to it at the same moment.
   * Default: at once.
   */
  sealFrom?: number;
}

/**
 * `tokenSecret`: one secret (its key id is derived from it), or keys by id, newest first.
 */
export type TokenSecret = string | readonly TokenKey[];

/** What a sealed token holds. */
export interface SealedClaims {
  /** The upstream ccmessaging-token. */
  token: string;
  userId: string;
  channelId: string;
  /** Epoch ms when sealed. */
  issuedAt: number;
}

/** Why a token was refused. */
export type TokenRefusal =
  /** Not a compact JWE of ours: garbage, truncated, too long, wrong algorithms or type. */
  | 'malformed'
  /** The retired `v1.` format (before 0.2): the client must ask `/token` again. */
  | 'legacy-format'
  /** Names a key id this gateway does not hold (removed after a rotation, or never ours). */
  | 'unknown-key'
  /** Does not decrypt under the key it names (tampered, or forged), or its claims are not ours. */
  | 'invalid'
  /** Older than its expiry (tokenMaxAgeMs). */
  | 'expired';

export type OpenedToken = { ok: true; claims: SealedClaims } | { ok: false; refusal: TokenRefusal };

export interface TokenSealer {
  seal(claims: SealedClaims): Promise<string>;
  open(sealed: string): Promise<OpenedToken>;
}

/** The key id of a bare secret: a fingerprint, the same on every instance given the same secret. */
function derivedKid(secret: string): string {
  return 'k-' + createHash('sha256').update(`${SALT}\u0000kid\u0000${secret}`, 'utf8').digest('base64url').slice(0, 11);
}

/** `tokenSecret` as a checked list of keys, newest first; throws TypeError on a bad one. */
export function tokenKeys(secret: TokenSecret): TokenKey[] {
  const list: TokenKey[] = typeof secret === 'string' ? [{ kid: derivedKid(secret), secret }] : [...(Array.isArray(secret) ? secret : [])];
  if (list.length === 0) throw new TypeError('tokenSecret: give a secret or at least one { kid, secret }');
  const seen = new Set<string>();
  for (const key of list) {
    if (key === null || typeof key !== 'object') throw new TypeError('tokenSecret: every key must be { kid, secret, sealFrom? }');
    if (typeof key.secret !== 'string' || key.secret.length < MIN_TOKEN_SECRET_CHARS) {
      throw new TypeError(`tokenSecret: every secret must be a string of at least ${MIN_TOKEN_SECRET_CHARS} characters`);
    }
    if (typeof key.kid !== 'string' || !KID.test(key.kid)) throw new TypeError('tokenSecret: every kid must be 1-64 characters of A-Z a-z 0-9 . _ -');
    if (seen.has(key.kid)) throw new TypeError(`tokenSecret: kid ${JSON.stringify(key.kid)} is listed twice`);
    if (key.sealFrom !== undefined && !Number.isFinite(key.sealFrom)) throw new TypeError('tokenSecret: sealFrom must be epoch milliseconds');
    seen.add(key.kid);
  }
  return list.map((key) => ({ ...key }));
}

/** The key that seals (and tags file ids) at `at`: the first listed whose sealFrom has come, else the last listed. */
export function activeKey(keys: readonly TokenKey[], at: number): TokenKey {
  return keys.find((key) => (key.sealFrom ?? -Infinity) <= at) ?? (keys.at(-1) as TokenKey);
}

/** The AES-KW key of a secret, imported once (jose would import raw bytes again on every call). */
function deriveKey(secret: string): Promise<CryptoKey> {
  const bytes = new Uint8Array(hkdfSync('sha256', Buffer.from(secret, 'utf8'), SALT, INFO, 32));
  return webcrypto.subtle.importKey('raw', bytes, 'AES-KW', false, ['wrapKey', 'unwrapKey']) as Promise<CryptoKey>;
}

export function createTokenSealer(secret: TokenSecret, options: { maxAgeMs: number; now?: () => number }): TokenSealer {
  const keys = tokenKeys(secret);
  const now = options.now ?? Date.now;
  const material = new Map(keys.map((key) => [key.kid, deriveKey(key.secret)]));
  const maxAgeS = Math.max(1, Math.round(options.maxAgeMs / 1000));
  /** Opened tokens → their claims and the last ms they are valid at (exp and age, skew included). */
  const opened = new Map<string, { claims: SealedClaims; validUntil: number }>();
  const remember = (sealed: string, claims: SealedClaims, exp: number): void => {
    if (opened.size >= OPENED_CACHE_ENTRIES) opened.delete(opened.keys().next().value as string);
    opened.set(sealed, { claims, validUntil: (Math.min(exp, claims.issuedAt / 1000 + maxAgeS) + CLOCK_TOLERANCE_S) * 1000 });
  };

  return {
    async seal(claims) {
      const key = activeKey(keys, now());
      const iat = Math.floor(claims.issuedAt / 1000);
      return new EncryptJWT({ tok: claims.token, chn: claims.channelId })
        .setProtectedHeader({ alg: ALG, enc: ENC, kid: key.kid, typ: TOKEN_TYPE })
        .setSubject(claims.userId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + maxAgeS)
        .encrypt(await (material.get(key.kid) as Promise<CryptoKey>));
    },

    async open(sealed) {
      if (typeof sealed !== 'string' || sealed.length > MAX_SEALED_CHARS) return { ok: false, refusal: 'malformed' };
      const known = opened.get(sealed);
      if (known) {
        opened.delete(sealed);
        if (now() > known.validUntil) return { ok: false, refusal: 'expired' };
        opened.set(sealed, known);
        return { ok: true, claims: known.claims };
      }
      if (sealed.startsWith(LEGACY_PREFIX)) return { ok: false, refusal: 'legacy-format' };
      let header: ReturnType<typeof decodeProtectedHeader>;
      try {
        header = decodeProtectedHeader(sealed);
      } catch {
        return { ok: false, refusal: 'malformed' };
      }
      if (header.alg !== ALG || header.enc !== ENC || header.typ !== TOKEN_TYPE || typeof header.kid !== 'string') {
        return { ok: false, refusal: 'malformed' };
      }
      const key = material.get(header.kid);
      if (!key) return { ok: false, refusal: 'unknown-key' };
      try {
        const { payload } = await jwtDecrypt(sealed, await key, {
          keyManagementAlgorithms: [ALG],
          contentEncryptionAlgorithms: [ENC],
          typ: TOKEN_TYPE,
          currentDate: new Date(now()),
          clockTolerance: CLOCK_TOLERANCE_S,
          maxTokenAge: maxAgeS,
          requiredClaims: ['sub', 'iat', 'exp'],
          maxDecompressedLength: 0,
        });
        const { tok, chn, sub, iat, exp } = payload;
        if (typeof tok !== 'string' || typeof chn !== 'string' || typeof sub !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
          return { ok: false, refusal: 'invalid' };
        }
        const claims = { token: tok, userId: sub, channelId: chn, issuedAt: iat * 1000 };
        remember(sealed, claims, exp);
        return { ok: true, claims };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, refusal: 'expired' };
        // maxTokenAge passed (a token sealed with a longer tokenMaxAgeMs) is expiry too; an iat
        // in the future is not something a gateway issues.
        if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iat' && error.reason === 'check_failed') {
          const iat = error.payload.iat;
          if (typeof iat === 'number' && iat * 1000 <= now()) return { ok: false, refusal: 'expired' };
        }
        return { ok: false, refusal: 'invalid' };
      }
    },
  };
}
