/**
 * The two token layers (docs/protocol.md#24-tokens): tenant-wide API Fabric AccessTokens (tokenByAkSk,
 * HTTP 403 when bad) and per-user ccmessaging-tokens (applyToken, HTTP 401 when bad, rotated
 * through a response header while a session is active).
 */
import { newAccessToken, newNonce } from './ids.js';

interface AccessTokenRecord {
  appKey: string;
  createdAt: number;
  expiresAt: number;
}

export class AccessTokens {
  private readonly tokens = new Map<string, AccessTokenRecord>();

  issue(appKey: string, lifetimeSeconds: number, now: number): { token: string; createdAt: number } {
    const token = newAccessToken();
    this.tokens.set(token, { appKey, createdAt: now, expiresAt: now + lifetimeSeconds * 1000 });
    return { token, createdAt: now };
  }

  isValid(token: string, appKey: string, now: number): boolean {
    const rec = this.tokens.get(token);
    return rec !== undefined && rec.appKey === appKey && now < rec.expiresAt;
  }

  expireAll(): void {
    this.tokens.clear();
  }
}

export interface CcTokenRecord {
  token: string;
  userId: string;
  channelId: string;
  createdAt: number;
  /** Set by sim.tokens.expire: invalid from now on. */
  revoked: boolean;
  /** The token that replaced this one (rotation), if any. */
  supersededBy?: string;
  /** Valid until then although superseded (requests already in flight). */
  graceUntil?: number;
  /** A response carrying this token in its header reached the client. */
  delivered: boolean;
}

/**
 * The documented sample is URL-encoded Base64 of `{"createTime":...,"channelId":"..."}`; we add
 * the user and a nonce in between so tokens are unique. Clients must treat it as opaque.
 */
export function encodeCcToken(fields: { createTime: number; userId: string; channelId: string }): string {
  const json = JSON.stringify({
    createTime: String(fields.createTime),
    userId: fields.userId,
    nonce: newNonce(),
    channelId: fields.channelId,
  });
  return encodeURIComponent(Buffer.from(json, 'utf8').toString('base64'));
}

export type CcTokenCheck =
  | { ok: true; record: CcTokenRecord; rotateTo?: string }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired' | 'superseded'; record?: CcTokenRecord };

export class CcTokens {
  private readonly byToken = new Map<string, CcTokenRecord>();
  /** Each user's tokens, so a rotation touches that user's tokens only (not every user's). */
  private readonly byUser = new Map<string, CcTokenRecord[]>();
  /** The newest token of each user. */
  private readonly current = new Map<string, string>();
  private readonly pendingRotation = new Set<string>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly graceMs: number,
  ) {}

  issue(userId: string, channelId: string, now: number): string {
    const token = encodeCcToken({ createTime: now, userId, channelId });
    // Older tokens of the user stay valid until they age out [inferred: docs silent].
    this.add({ token, userId, channelId, createdAt: now, revoked: false, delivered: true });
    this.current.set(userId, token);
    this.pendingRotation.delete(userId);
    return token;
  }

  /**
   * Validates a presented token. `sessionActive` decides what an aged token means: rotated
   * (answer normally, new token in the header) or rejected.
   */
  check(token: string, now: number, sessionActive: (userId: string) => boolean): CcTokenCheck {
    const record = this.byToken.get(token);
    if (record === undefined) return { ok: false, reason: 'unknown' };
    if (record.revoked) return { ok: false, reason: 'revoked', record };
    if (record.supersededBy !== undefined) {
      if (record.graceUntil !== undefined && now <= record.graceUntil) {
        // Hand the newest token out again: the client may have missed the rotating response.
        const newest = this.current.get(record.userId);
        return newest !== undefined && newest !== token ? { ok: true, record, rotateTo: newest } : { ok: true, record };
      }
      return { ok: false, reason: 'superseded', record };
    }
    const aged = now - record.createdAt >= this.lifetimeMs;
    if (aged && !sessionActive(record.userId)) return { ok: false, reason: 'expired', record };
    if (aged || this.pendingRotation.has(record.userId)) {
      return { ok: true, record, rotateTo: this.rotate(record, now) };
    }
    return { ok: true, record };
  }

  /** The next response to this user carries a new token. */
  requestRotation(userId: string): void {
    this.pendingRotation.add(userId);
  }

  /** The user's newest token becomes invalid now. */
  expire(userId: string): void {
    const token = this.current.get(userId);
    const record = token === undefined ? undefined : this.byToken.get(token);
    if (record) record.revoked = true;
    this.pendingRotation.delete(userId);
  }

  lookup(token: string): CcTokenRecord | undefined {
    return this.byToken.get(token);
  }

  /** Marks that a response carrying `token` in its header was fully written. */
  markDelivered(token: string): void {
    const record = this.byToken.get(token);
    if (record) record.delivered = true;
  }

  private add(record: CcTokenRecord): void {
    this.byToken.set(record.token, record);
    const userTokens = this.byUser.get(record.userId);
    if (userTokens) userTokens.push(record);
    else this.byUser.set(record.userId, [record]);
  }

  private rotate(old: CcTokenRecord, now: number): string {
    const token = encodeCcToken({ createTime: now, userId: old.userId, channelId: old.channelId });
    this.add({
      token,
      userId: old.userId,
      channelId: old.channelId,
      createdAt: now,
      revoked: false,
      delivered: false,
    });
    // Every older live token of the user is superseded too, each with the same grace.
    for (const rec of this.byUser.get(old.userId) ?? []) {
      if (rec.token !== token && rec.supersededBy === undefined && !rec.revoked) {
        rec.supersededBy = token;
        rec.graceUntil = now + this.graceMs;
      }
    }
    this.current.set(old.userId, token);
    this.pendingRotation.delete(old.userId);
    return token;
  }
}
