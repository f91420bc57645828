/**
 * Faults a real tenant produces, on the wire: faults on the auth APIs (tokenByAkSk keyed by its
 * app key, applyToken by the userId it applies for), bursts (time windows of other rates on the
 * simulator's clock), and the gateway's refusals — 429 + Retry-After, the IP allow-list 403 —
 * and feedbacksatisfaction's flow-control result code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../src/client/protocol.js';
import { FaultQueue, hashSeed, seededRandom } from '../../src/simulator/faults.js';
import { PLANNED_FAULTS, type FaultPlan, type Simulator } from '../../src/simulator/index.js';
import { Customer, http, manualClock, start, type Answer } from './helpers.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function tokenRequest(s: Simulator): Promise<Answer> {
  return http(s, 'POST', API_PATHS.tokenByAkSk, { body: { app_key: s.credentials.appKey, app_secret: s.credentials.appSecret } });
}

function applyToken(s: Simulator, accessToken: string, userId: string): Promise<Answer> {
  return http(s, 'POST', API_PATHS.applyToken, {
    headers: { 'x-app-key': s.credentials.appKey, authorization: `Bearer ${accessToken}` },
    body: { userId, userName: userId, channelId: s.channelId, locale: 'en' },
  });
}

const history = (c: Customer) =>
  c.call('queryHistoryChatMessage', { channelId: c.sim.channelId, userId: c.userId, limit: '10', offset: '0', channel: 'WEB' });

/** A robot session with its greeting (interIdx "1") taken, ready for feedbacksatisfaction. */
async function robotCustomer(s: Simulator, userId = 'u1'): Promise<Customer> {
  const c = await Customer.join(s, userId);
  await c.send('CONNECT');
  await c.pollUntil((all) => all.some((m) => m.sourceType === 'ROBOT'));
  return c;
}

describe('faults on the auth APIs', () => {
  it('one-shot faults hit tokenByAkSk: a 500 and a 429 issue no AccessToken, then it works again', async () => {
    sim = await start();
    sim.faults.next('tokenByAkSk', { status: 500 });
    sim.faults.next('tokenByAkSk', { rateLimited: true, retryAfterSeconds: 3 });

    const failed = await tokenRequest(sim);
    expect(failed.status).toBe(500);
    expect(failed.body).toEqual({ errorCode: '500', exceptionInfo: 'injected fault' });
    const limited = await tokenRequest(sim);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    expect(limited.body.AccessToken).toBeUndefined();

    const fine = await tokenRequest(sim);
    expect(fine.status).toBe(200);
    expect(typeof fine.body.AccessToken).toBe('string');
    expect(sim.requestsFor('tokenByAkSk').map((r) => [r.status, r.fault])).toEqual([
      [500, 'status'],
      [429, 'rate-limited'],
      [200, undefined],
    ]);
    expect(sim.faults.stats().oneShot).toEqual({ status: 1, 'rate-limited': 1 });
  });

  it('one-shot faults hit applyToken: nothing applied (no user, no token), then it works again', async () => {
    sim = await start();
    const customer = await Customer.join(sim, 'warm-up');
    sim.faults.next('applyToken', { status: 503 });
    sim.faults.next('applyToken', { ipForbidden: true });

    expect((await applyToken(sim, customer.accessToken, 'u1')).status).toBe(503);
    const forbidden = await applyToken(sim, customer.accessToken, 'u1');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ errorCode: '160033' });
    expect(sim.session('u1')).toBeUndefined();

    const ok = await applyToken(sim, customer.accessToken, 'u1');
    expect(ok.status).toBe(200);
    expect(ok.body.resultCode).toBe('0');
    expect(sim.session('u1')?.state).toBe('idle');
  });

  it('a plan reaches tokenByAkSk only through apis.tokenByAkSk, keyed by the app key: the same seed hits the same token requests', async () => {
    const statuses = async (plan: FaultPlan, calls: number) => {
      const s = await start();
      try {
        s.faults.plan(plan);
        const out: number[] = [];
        for (let i = 0; i < calls; i++) out.push((await tokenRequest(s)).status);
        return { out, stats: s.faults.stats() };
      } finally {
        await s.close();
      }
    };
    // rates and users are about users: they never reach the tenant's token request.
    const spared = await statuses({ seed: 5, rates: { 'http-5xx': 1 }, users: () => true }, 3);
    expect(spared.out).toEqual([200, 200, 200]);

    const plan: FaultPlan = { seed: 5, rates: {}, apis: { tokenByAkSk: { 'http-5xx': 0.4, 'rate-limited': 0.2 } } };
    const first = await statuses(plan, 16);
    const second = await statuses(plan, 16);
    expect(second.out).toEqual(first.out);
    expect(first.out.filter((status) => status === 200).length).toBeGreaterThan(0);
    expect(first.out.filter((status) => status !== 200).length).toBeGreaterThan(0);
    expect(first.out.every((status) => status === 200 || status === 429 || (status >= 500 && status <= 504))).toBe(true);
    const hits = first.out.filter((status) => status !== 200).length;
    expect((first.stats.byApi.tokenByAkSk?.['http-5xx'] ?? 0) + (first.stats.byApi.tokenByAkSk?.['rate-limited'] ?? 0)).toBe(hits);

    // Exactly the draws of hash(seed, appKey, 'tokenByAkSk', n).
    const expected = first.out.map((_, n) => {
      const r = seededRandom(hashSeed(5, 'sim-app-key', 'tokenByAkSk', n))();
      return r < 0.4 ? 'http-5xx' : r < 0.6 ? 'rate-limited' : undefined;
    });
    expect(first.out.map((status) => (status === 200 ? undefined : status === 429 ? 'rate-limited' : 'http-5xx'))).toEqual(expected);
  });

  it('user-bound faults drawn for tokenByAkSk leave it alone; access-token-expiry still applies', () => {
    const q = new FaultQueue();
    q.setPlan({ seed: 1, rates: {}, apis: { tokenByAkSk: { unauthorized: 1 } } });
    expect(q.decide('tokenByAkSk', { appKey: 'k' })).toBeUndefined();
    q.setPlan({ seed: 1, rates: {}, apis: { tokenByAkSk: { 'access-token-expiry': 1 } } });
    expect(q.decide('tokenByAkSk', { appKey: 'k' })?.type).toBe('access-token-expiry');
    // A user API without a user is never planned, whatever the rates.
    q.setPlan({ seed: 1, rates: { 'http-5xx': 1 }, apis: { send: { 'http-5xx': 1 } } });
    expect(q.decide('send', { appKey: 'k' })).toBeUndefined();
    expect(q.decide('send', undefined)).toBeUndefined();
    expect(q.stats().planned).toEqual({ 'access-token-expiry': 1 });
  });

  it('applyToken is keyed by the userId in its body: users, per-user sequences, the same whatever the order', async () => {
    const run = async (order: string[]) => {
      const s = await start();
      try {
        const accessToken = (await tokenRequest(s)).body.AccessToken as string;
        s.faults.plan({ seed: 11, rates: {}, apis: { applyToken: { 'ip-forbidden': 0.5 } }, users: (u) => u !== 'spared' });
        const seen: Record<string, number[]> = {};
        for (const user of order) (seen[user] ??= []).push((await applyToken(s, accessToken, user)).status);
        return seen;
      } finally {
        await s.close();
      }
    };
    const a = await run(['a', 'b', 'a', 'spared', 'b', 'a', 'b', 'spared', 'a', 'b']);
    const b = await run(['b', 'b', 'b', 'b', 'spared', 'a', 'a', 'a', 'spared', 'a']);
    expect(b).toEqual(a);
    expect(a['spared']).toEqual([200, 200]);
    const statuses = [...(a['a'] ?? []), ...(a['b'] ?? [])];
    expect(statuses).toContain(403);
    expect(statuses).toContain(200);
    const expectedFor = (user: string) =>
      [0, 1, 2, 3].map((n) => (seededRandom(hashSeed(11, user, 'applyToken', n))() < 0.5 ? 403 : 200));
    expect(a['a']).toEqual(expectedFor('a'));
    expect(a['b']).toEqual(expectedFor('b'));
  });
});

describe('bursts', () => {
  it('apply other rates to the named APIs inside [startMs, startMs + durationMs) of the simulator clock, and are counted', async () => {
    const clock = manualClock();
    sim = await start({ scenario: 'robot-only', now: clock.now });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    sim.faults.plan({
      seed: 3,
      rates: {},
      bursts: [{ name: 'storm', startMs: 1_000, durationMs: 3_000, apis: ['poll', 'queryHistoryChatMessage'], rates: { 'http-5xx': 0.5 } }],
    });

    const round = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push((await history(c)).status);
      return out;
    };
    expect(await round(10)).toEqual(Array(10).fill(200));

    clock.advance(1_000);
    const inside = await round(40);
    const failed = inside.filter((status) => status !== 200).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
    expect(inside.every((status) => status === 200 || (status >= 500 && status <= 504))).toBe(true);
    // send is not named by the burst: untouched.
    expect((await c.call('send', c.sendBody('INPUT'))).status).toBe(200);

    clock.advance(2_999);
    await round(1); // still inside (the last millisecond)
    clock.advance(1);
    expect(await round(10)).toEqual(Array(10).fill(200));

    const stats = sim.faults.stats();
    expect(stats.bursts['storm']?.requests).toBe(41);
    const lastInside = sim.requestsFor('queryHistoryChatMessage').at(-11);
    const failedTotal = failed + (lastInside?.status === 200 ? 0 : 1);
    expect(stats.bursts['storm']?.planned).toEqual({ 'http-5xx': failedTotal });
    expect(stats.byApi.queryHistoryChatMessage).toEqual({ 'http-5xx': failedTotal });
  });

  it('count from when the plan was set; without apis they cover every user API but not tokenByAkSk', async () => {
    const clock = manualClock();
    sim = await start({ now: clock.now });
    const c = await Customer.join(sim);
    clock.advance(50_000);
    sim.faults.plan({ seed: 1, rates: {}, bursts: [{ startMs: 0, durationMs: 500, rates: { 'rate-limited': 1 } }], retryAfterSeconds: 2 });
    const refused = await c.call('send', c.sendBody('CONNECT'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(sim.session('u1')?.state).toBe('idle'); // nothing processed
    expect((await tokenRequest(sim)).status).toBe(200);
    expect(sim.faults.stats().bursts).toEqual({ 'burst-0': { requests: 1, planned: { 'rate-limited': 1 } } });

    clock.advance(500);
    expect((await c.call('send', c.sendBody('CONNECT'))).status).toBe(200);
  });

  it('a burst naming tokenByAkSk hits it (a WAF rule blocking the token endpoint for a while); the first matching burst wins', async () => {
    const clock = manualClock();
    sim = await start({ now: clock.now });
    sim.faults.plan({
      seed: 1,
      rates: {},
      bursts: [
        { name: 'waf', startMs: 100, durationMs: 100, apis: ['tokenByAkSk', 'applyToken'], rates: { 'ip-forbidden': 1 } },
        { name: 'later', startMs: 100, durationMs: 1_000, apis: ['tokenByAkSk'], rates: { 'http-5xx': 1 } },
      ],
    });
    expect((await tokenRequest(sim)).status).toBe(200);
    clock.advance(100);
    const blocked = await tokenRequest(sim);
    expect(blocked.status).toBe(403);
    expect(blocked.body).toMatchObject({ errorCode: '160033' });
    clock.advance(100);
    expect((await tokenRequest(sim)).status).toBeGreaterThanOrEqual(500);
    expect(Object.keys(sim.faults.stats().bursts).sort()).toEqual(['later', 'waf']);
  });

  it('refuses bad bursts and bad plan fields', () => {
    const q = new FaultQueue();
    const burst = { startMs: 0, durationMs: 10, rates: { reset: 0.1 } };
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: [{ ...burst, startMs: -1 }] })).toThrow(/startMs/);
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: [{ ...burst, durationMs: Number.NaN }] })).toThrow(/durationMs/);
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: [{ ...burst, rates: { reset: 2 } }] })).toThrow(/0\.\.1/);
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: [{ ...burst, rates: { reset: 0.6, slow: 0.6 } }] })).toThrow(/more than 1/);
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: [{ ...burst, apis: ['nonsense' as never] }] })).toThrow(/unknown API/);
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: [{ ...burst, apis: [] }] })).toThrow(/non-empty/);
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: [burst, { ...burst, name: 'burst-0' }] })).toThrow(/twice/);
    expect(() => q.setPlan({ seed: 1, rates: {}, bursts: {} as never })).toThrow(/array/);
    expect(() => q.setPlan({ seed: 1, rates: {}, apis: { nonsense: {} } as never })).toThrow(/unknown API/);
    expect(() => q.setPlan({ seed: 1, rates: {}, retryAfterSeconds: 1.5 })).toThrow(/retryAfterSeconds/);
    expect(() => q.setPlan({ seed: 1, rates: {}, retryAfterSeconds: null, bursts: [burst, { ...burst, name: 'x' }] })).not.toThrow();
  });
});

describe('gateway refusals and flow control', () => {
  it('rate-limited: HTTP 429 with Retry-After and a gateway body, nothing processed; the header is exposed to browsers', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.plan({ seed: 1, rates: { 'rate-limited': 1 }, retryAfterSeconds: 7 });
    const res = await c.call('send', c.sendBody('CONNECT'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(res.headers.get('access-control-expose-headers')).toContain('retry-after');
    expect(res.body).toEqual({ errorCode: '429', exceptionInfo: expect.stringMatching(/limit/) });
    expect(sim.session('u1')?.state).toBe('idle');
    expect(sim.requestsFor('send').at(-1)).toMatchObject({ status: 429, fault: 'rate-limited', plannedFault: 'rate-limited' });

    sim.faults.plan({ seed: 1, rates: { 'rate-limited': 1 }, retryAfterSeconds: null });
    const bare = await c.call('send', c.sendBody('CONNECT'));
    expect(bare.status).toBe(429);
    expect(bare.headers.get('retry-after')).toBeNull();

    sim.faults.plan(null);
    sim.faults.next('send', { rateLimited: true });
    expect((await c.call('send', c.sendBody('CONNECT'))).headers.get('retry-after')).toBe('1');
    sim.faults.next('send', { status: 429, headers: { 'retry-after': '120' } });
    const custom = await c.call('send', c.sendBody('CONNECT'));
    expect([custom.status, custom.headers.get('retry-after')]).toEqual([429, '120']);
    expect((await c.send('CONNECT')).resultCode).toBe('0');
  });

  it('ip-forbidden: HTTP 403 with errorCode 160033, unlike the AccessToken 403; the AccessToken stays valid', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.next('queryQueueInfo', { ipForbidden: true });
    const body = { userId: 'u1', channelConfigId: sim.channelId, channel: 'WEB' };
    const blocked = await c.call('queryQueueInfo', body);
    expect(blocked.status).toBe(403);
    expect(blocked.body).toEqual({ errorCode: '160033', exceptionInfo: expect.stringMatching(/client IP not allowed/) });
    expect(sim.requestsFor('queryQueueInfo').at(-1)).toMatchObject({ status: 403, fault: 'ip-forbidden' });

    // The same AccessToken still works: this 403 is not an expired token.
    expect((await c.call('queryQueueInfo', body)).status).toBe(200);
    sim.tokens.expireAccessTokens();
    const expired = await c.call('queryQueueInfo', body);
    expect(expired.status).toBe(403);
    expect(expired.body.errorCode).toBe('0');
  });

  it('flow-control: feedbacksatisfaction answers HTTP 200 resultCode 10010000002 and stores nothing; no other API is hit', async () => {
    sim = await start({ scenario: 'robot-only' });
    const c = await robotCustomer(sim);
    sim.faults.plan({ seed: 1, rates: { 'flow-control': 1 } });
    // Drawn for other APIs, flow-control leaves the request alone (and is not counted).
    expect((await c.send('INPUT')).resultCode).toBe('0');
    expect((await history(c)).status).toBe(200);

    const limited = await c.call('feedbackSatisfaction', { feedback: 1, from: 'u1', interIdx: '1' });
    expect(limited.status).toBe(200);
    expect(limited.body).toEqual({ resultCode: '10010000002', resultDesc: expect.any(String) });
    expect(sim.session('u1')?.feedback).toBeNull();
    expect(sim.faults.stats().byApi).toEqual({ feedbackSatisfaction: { 'flow-control': 1 } });

    sim.faults.plan(null);
    sim.faults.next('feedbackSatisfaction', { flowControl: true });
    expect((await c.call('feedbackSatisfaction', { feedback: 1, from: 'u1', interIdx: '1' })).body.resultCode).toBe('10010000002');
    expect((await c.call('feedbackSatisfaction', { feedback: 1, from: 'u1', interIdx: '1' })).body.resultCode).toBe('0');
    expect(sim.session('u1')?.feedback).toMatchObject({ feedback: 1 });
    expect(sim.faults.stats().oneShot).toEqual({ 'flow-control': 1 });
  });

  it('refuses one-shot faults that make no sense', async () => {
    sim = await start();
    expect(() => sim?.faults.next('send', { flowControl: true })).toThrow(/feedbackSatisfaction only/);
    expect(() => sim?.faults.next('send', { rateLimited: true, retryAfterSeconds: -1 })).toThrow(/retryAfterSeconds/);
    expect(() => sim?.faults.next('send', { rateLimited: true, retryAfterSeconds: 0.5 })).toThrow(/retryAfterSeconds/);
    expect(() => sim?.faults.next('send', { status: 429, headers: { 'retry-after': 5 as never } })).toThrow(/header/);
    expect(() => sim?.faults.next('nonsense' as never, { status: 500 })).toThrow(/unknown API/);
    expect(() => sim?.faults.next('tokenByAkSk', { rateLimited: true, retryAfterSeconds: null })).not.toThrow();
  });

  it('the new planned types come last, so existing plans draw exactly as before', () => {
    expect(PLANNED_FAULTS.slice(-3)).toEqual(['rate-limited', 'ip-forbidden', 'flow-control']);
  });
});
