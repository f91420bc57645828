import { afterEach, describe, expect, it } from 'vitest';
import { API_PATHS, ResultDesc } from '../../src/client/protocol.js';
import type { Simulator } from '../../src/simulator/index.js';
import { accessToken, Customer, http, manualClock, start } from './helpers.js';

let sim: Simulator;
afterEach(async () => {
  await sim?.close();
});

const queueBody = (c: Customer) => ({ userId: c.userId, channelConfigId: c.sim.channelId, channel: 'WEB' });

describe('tokenByAkSk', () => {
  it('issues a Bearer AccessToken with string fields and the requested lifetime', async () => {
    const clock = manualClock(1_545_650_171_000);
    sim = await start({ now: clock.now });
    const res = await http(sim, 'POST', API_PATHS.tokenByAkSk, {
      headers: { 'X-Token-Expire': '120' },
      body: { app_key: 'sim-app-key', app_secret: 'sim-app-secret' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      ApplyType: 'Bearer',
      CreateTime: '1545650171',
      Expires: '120',
      AppKey: 'sim-app-key',
      UserID: 'Anonymous',
    });
    expect(typeof res.body.AccessToken).toBe('string');
    expect(typeof res.body.Scope).toBe('string');
    // The secret and the token are not kept in the log.
    const rec = sim.requestsFor('tokenByAkSk')[0];
    expect(rec?.body).toMatchObject({ app_key: 'sim-app-key', app_secret: '[redacted]' });
    expect(rec?.response).toMatchObject({ AccessToken: '[redacted]' });
    expect(sim.violations).toEqual([]);
  });

  it('defaults the lifetime to 600 s', async () => {
    sim = await start();
    const res = await http(sim, 'POST', API_PATHS.tokenByAkSk, { body: { app_key: 'sim-app-key', app_secret: 'sim-app-secret' } });
    expect(res.body.Expires).toBe('600');
  });

  it('rejects wrong credentials with 401 and a gateway body', async () => {
    sim = await start();
    const res = await http(sim, 'POST', API_PATHS.tokenByAkSk, { body: { app_key: 'sim-app-key', app_secret: 'nope' } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errorCode: '401', exceptionInfo: expect.any(String) });
  });

  it('rejects X-Token-Expire outside 1..3600 with 400', async () => {
    sim = await start();
    const res = await http(sim, 'POST', API_PATHS.tokenByAkSk, {
      headers: { 'X-Token-Expire': '3601' },
      body: { app_key: 'sim-app-key', app_secret: 'sim-app-secret' },
    });
    expect(res.status).toBe(400);
    expect(sim.violations.map((v) => v.rule)).toEqual(['invalid-value']);
  });
});

describe('API Fabric gateway (403)', () => {
  it('answers 403 without x-app-key / Authorization and records the missing header', async () => {
    sim = await start();
    const res = await http(sim, 'POST', API_PATHS.applyToken, {
      body: { userId: 'u1', userName: 'U', channelId: sim.channelId, locale: 'en' },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errorCode: '0', exceptionInfo: ResultDesc.accessTokenExpired });
    expect(sim.violations).toEqual([expect.objectContaining({ rule: 'missing-header', api: 'applyToken' })]);
  });

  it('answers 403 when the AccessToken has expired (X-Token-Expire elapsed)', async () => {
    const clock = manualClock();
    sim = await start({ now: clock.now });
    const at = await accessToken(sim, 60);
    const c = await Customer.join(sim, 'u1', at);
    expect((await c.call('queryQueueInfo', queueBody(c))).status).toBe(200);
    clock.advance(60_000);
    const res = await c.call('queryQueueInfo', queueBody(c));
    expect(res.status).toBe(403);
    expect(res.body.exceptionInfo).toBe(ResultDesc.accessTokenExpired);
    // Expiry is normal life, not a client bug.
    expect(sim.violations).toEqual([]);
  });

  it('answers 403 after sim.tokens.expireAccessTokens() until a new AccessToken is used', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.tokens.expireAccessTokens();
    expect((await c.call('queryQueueInfo', queueBody(c))).status).toBe(403);
    c.accessToken = await accessToken(sim);
    expect((await c.call('queryQueueInfo', queueBody(c))).status).toBe(200);
  });

  it('answers 403 for a wrong app key even with a valid token', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const res = await c.call('queryQueueInfo', queueBody(c), { headers: { 'x-app-key': 'other' } });
    expect(res.status).toBe(403);
  });
});

describe('applyToken', () => {
  it('returns an opaque URL-encoded Base64 token like the documented sample', async () => {
    sim = await start();
    const c = await Customer.join(sim, 'alice');
    expect(c.token.startsWith('eyJjcmVhdGVUaW1lI')).toBe(true);
    const decoded = JSON.parse(Buffer.from(decodeURIComponent(c.token), 'base64').toString('utf8'));
    expect(decoded).toMatchObject({ userId: 'alice', channelId: sim.channelId, createTime: expect.any(String) });
    expect(Object.keys(decoded).at(-1)).toBe('channelId');
    expect(sim.session('alice')?.state).toBe('idle');
    expect(sim.requestsFor('applyToken', 'alice')).toHaveLength(1);
  });

  it('answers "1" for a foreign channel id and a bad locale', async () => {
    sim = await start();
    const at = await accessToken(sim);
    const headers = { 'x-app-key': sim.credentials.appKey, authorization: `Bearer ${at}` };
    const wrongChannel = await http(sim, 'POST', API_PATHS.applyToken, {
      headers,
      body: { userId: 'u1', userName: 'U', channelId: '42', locale: 'en' },
    });
    expect(wrongChannel.status).toBe(200);
    expect(wrongChannel.body.resultCode).toBe('1');
    expect(wrongChannel.body.token).toBeUndefined();
    const badLocale = await http(sim, 'POST', API_PATHS.applyToken, {
      headers,
      body: { userId: 'u1', userName: 'U', channelId: sim.channelId, locale: 'english' },
    });
    expect(badLocale.body.resultCode).toBe('1');
    const tooLong = await http(sim, 'POST', API_PATHS.applyToken, {
      headers,
      body: { userId: 'x'.repeat(33), userName: 'U', channelId: sim.channelId, locale: 'zh_CN' },
    });
    expect(tooLong.body.resultCode).toBe('1');
    expect(sim.violations.map((v) => v.rule)).toEqual(['invalid-value', 'invalid-value', 'invalid-value']);
  });
});

describe('ccmessaging-token (401)', () => {
  it('answers 401 without a token and records the missing header', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const res = await c.call('queryQueueInfo', queueBody(c), { token: null });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errorCode: '401', exceptionInfo: expect.any(String) });
    expect(sim.violations.map((v) => v.rule)).toEqual(['missing-header']);
  });

  it('answers 401 for an unknown token', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const res = await c.call('queryQueueInfo', queueBody(c), { token: 'bm90IGEgdG9rZW4%3D' });
    expect(res.status).toBe(401);
    expect(sim.violations).toEqual([]);
  });

  it('answers 401 after sim.tokens.expire until applyToken is called again', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.tokens.expire('u1');
    expect((await c.call('queryQueueInfo', queueBody(c))).status).toBe(401);
    const again = await Customer.join(sim, 'u1', c.accessToken);
    expect((await again.call('queryQueueInfo', queueBody(again))).status).toBe(200);
  });

  it("answers 401 and records identity-mismatch for another user's token", async () => {
    sim = await start();
    const alice = await Customer.join(sim, 'alice');
    const bob = await Customer.join(sim, 'bob', alice.accessToken);
    const res = await alice.call('send', alice.sendBody('CONNECT'), { token: bob.token });
    expect(res.status).toBe(401);
    expect(sim.violations).toEqual([expect.objectContaining({ rule: 'identity-mismatch', api: 'send', userId: 'bob' })]);
    expect(sim.session('alice')?.state).toBe('idle');
    expect(sim.session('bob')?.state).toBe('idle');
  });

  it('rejects an aged token with 401 when no session is active', async () => {
    const clock = manualClock();
    sim = await start({ now: clock.now, timing: { ccmessagingTokenLifetimeMs: 10_000 } });
    const c = await Customer.join(sim);
    clock.advance(10_000);
    expect((await c.call('queryQueueInfo', queueBody(c))).status).toBe(401);
  });

  it('rotates an aged token during a session: same answer, new token in the response header', async () => {
    const clock = manualClock();
    sim = await start({ now: clock.now, scenario: 'robot-only', timing: { ccmessagingTokenLifetimeMs: 10_000, tokenRotationGraceMs: 1_000 } });
    const c = await Customer.join(sim);
    const original = c.token;
    expect((await c.send('CONNECT')).resultCode).toBe('0');
    clock.advance(10_000);
    const res = await c.call('queryQueueInfo', queueBody(c));
    expect(res.status).toBe(200);
    const rotated = res.headers.get('ccmessaging-token');
    expect(rotated).toBeTruthy();
    expect(rotated).not.toBe(original);
    expect(c.token).toBe(rotated);
    // A request already in flight with the old token still passes during the grace period,
    // and is reminded of the new token.
    const inFlight = await c.call('queryQueueInfo', queueBody(c), { token: original });
    expect(inFlight.status).toBe(200);
    expect(inFlight.headers.get('ccmessaging-token')).toBe(rotated);
    // After the grace period the old token is dead; the new one works.
    clock.advance(1_001);
    expect((await c.call('queryQueueInfo', queueBody(c), { token: original })).status).toBe(401);
    expect(sim.violations.map((v) => v.rule)).toEqual(['stale-token']);
    const fresh = await c.call('queryQueueInfo', queueBody(c));
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('ccmessaging-token')).toBeNull();
  });

  it('sim.tokens.rotate puts a new token on the next response', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    const before = c.token;
    sim.tokens.rotate('u1');
    const res = await c.call('queryQueueInfo', queueBody(c));
    expect(res.headers.get('ccmessaging-token')).toBeTruthy();
    expect(c.token).not.toBe(before);
    expect(c.rotations).toBe(1);
    // The old one is still fine within the (default 30 s) grace.
    expect((await c.call('queryQueueInfo', queueBody(c), { token: before })).status).toBe(200);
    expect(sim.violations).toEqual([]);
  });
});
