/**
 * Sealed tokens as compact JWE (issue 17.5): format, tampering, key ids, expiry, the retired v1
 * format, rotation — on the sealer alone and over HTTP through the gateway.
 */
import { hkdfSync } from 'node:crypto';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { GATEWAY_REASONS, gatewayTokenProvider, TOKEN_TYPE, type TokenKey } from '../../src/gateway/index.js';
import type { GatewayRefusalReason } from '../../src/client/index.js';
import { createTokenSealer, type OpenedToken } from '../../src/gateway/sealing.js';
import { ALLOWED_ORIGIN, browserFor, newUserId, startRig, TOKEN_SECRET } from './helpers.js';
import { sealLegacyV1 } from './legacyToken.js';
import { P, send, startStubRig, tokenOf, type StubRig } from './stubRig.js';

const HOUR = 3600_000;
const claims = { token: 'upstream%3D-token', userId: 'alice', channelId: '42', issuedAt: Date.UTC(2026, 0, 1) };
const key1: TokenKey = { kid: '2026-01', secret: 'key-one-secret-key-one-secret-key-one-0001' };
const key2: TokenKey = { kid: '2026-07', secret: 'key-two-secret-key-two-secret-key-two-0002' };

/** A sealer whose clock is `at()`. */
function sealerAt(keys: string | readonly TokenKey[], at: () => number, maxAgeMs = 24 * HOUR) {
  return createTokenSealer(keys, { maxAgeMs, now: at });
}

const refusal = (opened: OpenedToken) => (opened.ok ? 'opened' : opened.refusal);

/** Replaces one character of part `part` (0-4) of a compact JWE. */
function flip(token: string, part: number): string {
  const parts = token.split('.');
  const text = parts[part] as string;
  const i = Math.floor(text.length / 2);
  parts[part] = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
  return parts.join('.');
}

describe('sealed tokens: compact JWE', () => {
  const at = () => claims.issuedAt;

  it('is a compact JWE (A256KW + A256GCM, kid, typ) that round-trips, differs every time and shows nothing in clear', async () => {
    const sealer = sealerAt([key1], at);
    const a = await sealer.seal(claims);
    const b = await sealer.seal(claims);
    expect(a).not.toBe(b);
    const parts = a.split('.');
    expect(parts).toHaveLength(5);
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeProtectedHeader(a)).toEqual({ alg: 'A256KW', enc: 'A256GCM', kid: '2026-01', typ: TOKEN_TYPE });
    // A fresh content key per token, wrapped: 32 bytes + 8 of key-wrap integrity.
    expect(Buffer.from(parts[1] as string, 'base64url')).toHaveLength(40);
    expect(a).not.toContain('upstream');
    expect(Buffer.from(parts[3] as string, 'base64url').toString('latin1')).not.toContain('alice');
    expect(await sealer.open(a)).toEqual({ ok: true, claims });

    // Standard: any JOSE implementation with the derived key opens it.
    const kek = new Uint8Array(hkdfSync('sha256', Buffer.from(key1.secret), 'aicc-chat-machine/gateway', 'ccmessaging-token JWE A256KW', 32));
    const { plaintext } = await compactDecrypt(a, kek);
    expect(JSON.parse(new TextDecoder().decode(plaintext))).toEqual({
      tok: claims.token,
      chn: '42',
      sub: 'alice',
      iat: claims.issuedAt / 1000,
      exp: claims.issuedAt / 1000 + 24 * 3600,
    });
  });

  it('refuses a token tampered in any of its five parts, or cut short', async () => {
    const sealer = sealerAt([key1], at);
    const token = await sealer.seal(claims);
    const outcomes = await Promise.all([0, 1, 2, 3, 4].map(async (part) => refusal(await sealer.open(flip(token, part)))));
    expect(outcomes.every((o) => o === 'invalid' || o === 'malformed'), outcomes.join()).toBe(true);
    // The header is authenticated too: the same header re-encoded with another field refuses.
    const [, ...rest] = token.split('.');
    const header = Buffer.from(JSON.stringify({ ...decodeProtectedHeader(token), x: 1 })).toString('base64url');
    expect(refusal(await sealer.open([header, ...rest].join('.')))).toBe('invalid');
    for (const bad of ['', 'garbage', token.slice(0, 60), token + '.x', token.split('.').slice(0, 4).join('.'), 'x'.repeat(9000)]) {
      expect(refusal(await sealer.open(bad)), bad.slice(0, 20)).toMatch(/^(malformed|invalid)$/);
    }
  });

  it('refuses a wrong kid: one it does not hold as such, another listed key id as invalid', async () => {
    const sealer = sealerAt([key2, key1], at);
    const foreign = await sealerAt([{ kid: 'elsewhere', secret: key1.secret }], at).seal(claims);
    expect(refusal(await sealer.open(foreign))).toBe('unknown-key');
    // kid switched to the other listed key: the header is the AAD, and the key does not unwrap.
    const token = await sealerAt([key1], at).seal(claims);
    const [, ...rest] = token.split('.');
    const relabelled = Buffer.from(JSON.stringify({ ...decodeProtectedHeader(token), kid: key2.kid })).toString('base64url');
    expect(refusal(await sealer.open([relabelled, ...rest].join('.')))).toBe('invalid');
    // Other algorithms or types are not ours, whatever the key.
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString('base64url');
    for (const h of [
      { alg: 'dir', enc: 'A256GCM', kid: key1.kid, typ: TOKEN_TYPE },
      { alg: 'A256KW', enc: 'A128GCM', kid: key1.kid, typ: TOKEN_TYPE },
      { alg: 'A256KW', enc: 'A256GCM', kid: key1.kid, typ: 'JWT' },
      { alg: 'A256KW', enc: 'A256GCM', typ: TOKEN_TYPE },
    ]) {
      expect(refusal(await sealer.open([header(h), ...rest].join('.')))).toBe('malformed');
    }
  });

  it('expires tokenMaxAgeMs after sealing (60 s of clock skew tolerated); a token from the future is refused', async () => {
    let now = claims.issuedAt;
    const sealer = sealerAt([key1], () => now, 2 * HOUR);
    const token = await sealer.seal(claims);
    now = claims.issuedAt + 2 * HOUR + 30_000;
    expect(refusal(await sealer.open(token))).toBe('opened');
    now = claims.issuedAt + 2 * HOUR + 61_000;
    expect(refusal(await sealer.open(token))).toBe('expired');
    // Sealed by an instance with a longer tokenMaxAgeMs: this one's limit still applies.
    now = claims.issuedAt + 3 * HOUR;
    const longer = await sealerAt([key1], () => claims.issuedAt, 24 * HOUR).seal(claims);
    expect(refusal(await sealer.open(longer))).toBe('expired');
    now = claims.issuedAt;
    const future = await sealer.seal({ ...claims, issuedAt: claims.issuedAt + HOUR });
    expect(refusal(await sealer.open(future))).toBe('invalid');
  });

  it('refuses the retired v1 format with its own reason, even sealed with a listed secret', async () => {
    const sealer = sealerAt(TOKEN_SECRET, at);
    expect(refusal(await sealer.open(sealLegacyV1(TOKEN_SECRET, claims)))).toBe('legacy-format');
  });

  it('rotates: a token of key 1 opens after key 2 becomes the newest; once key 1 is removed it is refused; sealFrom switches at its time', async () => {
    let now = claims.issuedAt;
    const before = sealerAt([key1], () => now);
    const old = await before.seal(claims);

    const rotated = sealerAt([key2, key1], () => now);
    const fresh = await rotated.seal(claims);
    expect(decodeProtectedHeader(fresh).kid).toBe(key2.kid);
    expect(refusal(await rotated.open(old))).toBe('opened');
    expect(refusal(await rotated.open(fresh))).toBe('opened');
    // An instance not rotated yet cannot open the new key's tokens: why sealFrom exists.
    expect(refusal(await before.open(fresh))).toBe('unknown-key');

    const retired = sealerAt([key2], () => now);
    expect(refusal(await retired.open(old))).toBe('unknown-key');
    expect(refusal(await retired.open(fresh))).toBe('opened');

    // Staged: key 2 listed everywhere first, sealing from T on.
    const switchAt = claims.issuedAt + HOUR;
    const staged = sealerAt([{ ...key2, sealFrom: switchAt }, key1], () => now);
    expect(decodeProtectedHeader(await staged.seal(claims)).kid).toBe(key1.kid);
    now = switchAt;
    expect(decodeProtectedHeader(await staged.seal({ ...claims, issuedAt: now })).kid).toBe(key2.kid);
  });

  it('a bare secret gets a key id derived from it: the same on every instance, another for another secret', async () => {
    const a = decodeProtectedHeader(await sealerAt(TOKEN_SECRET, at).seal(claims)).kid;
    const b = decodeProtectedHeader(await sealerAt(TOKEN_SECRET, at).seal(claims)).kid;
    const c = decodeProtectedHeader(await sealerAt(key1.secret, at).seal(claims)).kid;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).not.toContain(TOKEN_SECRET.slice(0, 8));
  });

  it('refuses bad key configurations', () => {
    const bad: unknown[] = [[], 'short', [{ kid: 'a', secret: 'short' }], [{ kid: '', secret: key1.secret }], [{ kid: 'a b', secret: key1.secret }], [key1, { ...key2, kid: key1.kid }], [{ ...key1, sealFrom: Number.NaN }], [null]];
    for (const keys of bad) expect(() => createTokenSealer(keys as TokenKey[], { maxAgeMs: HOUR }), JSON.stringify(keys)).toThrow(TypeError);
  });
});

describe('sealed tokens over HTTP', () => {
  it('answers 401 with the reason for an old-format, unknown-key, expired and tampered token, without reaching upstream', async () => {
    let now = Date.now();
    const rig = await startStubRig({ tokenSecret: [key1], now: () => now, tokenMaxAgeMs: HOUR });
    try {
      const cookie = rig.login('alice');
      const token = await tokenOf(rig.origin, cookie);
      const body = JSON.stringify({ language: 'en_US' });
      const call = (presented: string) => send(rig.origin, { path: P('getSatisfactionSurveyMode'), headers: { cookie, 'content-type': 'application/json', 'ccmessaging-token': presented }, body });
      expect((await call(token)).status).toBe(200);
      const before = rig.stub.requests.length;
      const cases: Array<[string, GatewayRefusalReason]> = [
        [sealLegacyV1(key1.secret, { ...claims, userId: 'alice', channelId: 'stub-channel-1', issuedAt: now }), 'legacyToken'],
        [await sealerAt([{ ...key2 }], () => now).seal({ ...claims, userId: 'alice', channelId: 'stub-channel-1', issuedAt: now }), 'unknownKey'],
        [flip(token, 3), 'badToken'],
      ];
      for (const [presented, reason] of cases) {
        const answer = await call(presented);
        expect(answer.status, reason).toBe(401);
        expect(JSON.parse(answer.body), reason).toEqual({ errorCode: '401', exceptionInfo: GATEWAY_REASONS[reason], reason });
      }
      now += HOUR + 61_000;
      const expired = await call(token);
      expect(JSON.parse(expired.body)).toEqual({ errorCode: '401', exceptionInfo: GATEWAY_REASONS.oldToken, reason: 'oldToken' });
      expect(rig.stub.requests.length).toBe(before);
      expect(rig.logs.filter((l) => l.status === 401).map((l) => l.msg)).toEqual(
        [GATEWAY_REASONS.legacyToken, GATEWAY_REASONS.unknownKey, GATEWAY_REASONS.badToken, GATEWAY_REASONS.oldToken].map((r) => `POST getSatisfactionSurveyMode refused: ${r}`),
      );
    } finally {
      await rig.close();
    }
  });

  it('rotation over running instances: A seals with the newer key and B, listing it, opens it; one not listing it refuses unknownKey; older tokens open while their key is listed', async () => {
    const rigs: StubRig[] = [];
    const instance = async (keys: readonly TokenKey[]) => {
      const rig = await startStubRig({ tokenSecret: keys });
      rigs.push(rig);
      return rig;
    };
    try {
      // docs/security.md, "Key rotation": not rotated yet, rotated (A and B), the old key dropped.
      const [before, A, B, dropped] = [await instance([key1]), await instance([key2, key1]), await instance([key2, key1]), await instance([key2])];
      const cookie = before.login('alice');
      for (const rig of [A, B, dropped]) rig.login('alice');
      const call = (rig: StubRig, token: string) => send(rig.origin, { path: P('getSatisfactionSurveyMode'), headers: { cookie, 'content-type': 'application/json', 'ccmessaging-token': token }, body: '{}' });
      const old = await tokenOf(before.origin, cookie);
      const fresh = await tokenOf(A.origin, cookie);
      expect([decodeProtectedHeader(old).kid, decodeProtectedHeader(fresh).kid]).toEqual([key1.kid, key2.kid]);

      expect((await call(B, fresh)).status).toBe(200);
      for (const rig of [A, B]) expect((await call(rig, old)).status).toBe(200);
      expect((await call(dropped, fresh)).status).toBe(200);
      const upstreamBefore = [before, dropped].map((r) => r.stub.requests.length);
      for (const [rig, token] of [[before, fresh], [dropped, old]] as const) {
        const refused = await call(rig, token);
        expect(refused.status).toBe(401);
        expect(JSON.parse(refused.body)).toEqual({ errorCode: '401', exceptionInfo: GATEWAY_REASONS.unknownKey, reason: 'unknownKey' });
      }
      expect([before, dropped].map((r) => r.stub.requests.length)).toEqual(upstreamBefore);
    } finally {
      for (const rig of rigs) await rig.close();
    }
  });

  it('a browser still holding a v1 token after the upgrade carries on: 401, a new token from /token, the call goes through', async () => {
    const rig = await startRig();
    try {
      const userId = newUserId();
      const cookie = rig.login(userId);
      const legacy = sealLegacyV1(TOKEN_SECRET, { token: 'upstream-token-of-before', userId, channelId: rig.sim.channelId, issuedAt: Date.now() });
      const fromGateway = gatewayTokenProvider(rig.url, { headers: { cookie, origin: ALLOWED_ORIGIN } });
      const reasons: string[] = [];
      // The page's provider, as it was left before the upgrade: its first answer is the v1 token it held.
      const b = browserFor(rig, userId, {
        token: (request) => {
          reasons.push(request.reason);
          return reasons.length === 1 ? legacy : fromGateway(request);
        },
      });
      const history = await b.client.queryHistoryChatMessage({ channelId: rig.sim.channelId, userId });
      expect(history).toEqual([]);
      expect(reasons).toEqual(['initial', 'unauthorized']);
      const refusedOnce = b.seen.filter((r) => r.status === 401);
      expect(refusedOnce.map((r) => JSON.parse(r.body))).toEqual([{ errorCode: '401', exceptionInfo: GATEWAY_REASONS.legacyToken, reason: 'legacyToken' }]);
      // Upstream saw only the call with the new token.
      expect(rig.sim.requestsFor('queryHistoryChatMessage', userId).map((r) => r.status)).toEqual([200]);
    } finally {
      await rig.close();
    }
  });
});
