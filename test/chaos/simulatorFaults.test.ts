/**
 * The simulator's fault injection used by the chaos suite: seeded plans (reproducible per
 * session whatever the interleaving), faults after processing, malformed answers, reordered
 * batches, batches given back when their answer was never written, and the bookkeeping the
 * chaos checks read (deliveries, pending messages, wire timestamps of accepted CHATs).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PlannedFault, Simulator } from '../../src/simulator/index.js';
import { FaultQueue, hashSeed, seededRandom, shuffled } from '../../src/simulator/faults.js';
import { Customer, start } from '../simulator/helpers.js';
import { CHAOS_API_RATES, CHAOS_RATES, FAULT_PROFILES } from './config.js';
import { budget, eventually } from '../support/timeBudget.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('seeded fault plans', () => {
  it('decide per (seed, user, api, n): the same whatever the order users arrive in', () => {
    const rates = { 'http-5xx': 0.2, reset: 0.2, 'duplicate-delivery': 0.2 };
    const run = (order: string[]) => {
      const q = new FaultQueue();
      q.setPlan({ seed: 42, rates });
      const seen: Record<string, (PlannedFault | undefined)[]> = {};
      for (const user of order) (seen[user] ??= []).push(q.decide('poll', user)?.type);
      return seen;
    };
    const a = run(['a', 'b', 'a', 'c', 'b', 'a', 'c', 'c', 'b', 'a']);
    const b = run(['c', 'c', 'c', 'b', 'b', 'b', 'a', 'a', 'a', 'a']);
    expect(b).toEqual(a);
    const other = new FaultQueue();
    other.setPlan({ seed: 43, rates });
    const changed = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'].map((u) => other.decide('poll', u)?.type);
    expect(changed).not.toEqual(run(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'])['a']);
  });

  it('hits at about the configured rate, never poll-only faults elsewhere, and counts them', () => {
    const q = new FaultQueue();
    q.setPlan({ seed: 7, rates: { 'http-5xx': 0.1, reorder: 0.1 }, skipFirst: 1 });
    let hits = 0;
    for (let u = 0; u < 200; u++) {
      for (let n = 0; n < 10; n++) {
        const decision = q.decide('send', `user-${u}`);
        if (n === 0) expect(decision).toBeUndefined();
        if (decision) {
          expect(decision.type).toBe('http-5xx');
          hits += 1;
        }
      }
    }
    expect(hits / 1800).toBeGreaterThan(0.07);
    expect(hits / 1800).toBeLessThan(0.13);
    expect(q.stats().planned).toEqual({ 'http-5xx': hits });
    expect(q.stats().byApi.send).toEqual({ 'http-5xx': hits });
  });

  it('refuses bad plans', () => {
    const q = new FaultQueue();
    expect(() => q.setPlan({ seed: 1, rates: { reset: 1.5 } })).toThrow(/0\.\.1/);
    expect(() => q.setPlan({ seed: 1, rates: { reset: 0.6, 'http-5xx': 0.6 } })).toThrow(/more than 1/);
    expect(() => q.setPlan({ seed: 1, rates: { nonsense: 0.1 } as never })).toThrow(/unknown/);
    expect(() => q.setPlan({ seed: Number.NaN, rates: {} })).toThrow(/seed/);
  });

  it('the PRNG and the shuffle are deterministic; a shuffled batch always changes order', () => {
    expect(hashSeed(1, 'u', 'poll', 0)).toBe(hashSeed(1, 'u', 'poll', 0));
    expect(hashSeed(1, 'u', 'poll', 0)).not.toBe(hashSeed(1, 'u', 'poll', 1));
    const r1 = seededRandom(5);
    const r2 = seededRandom(5);
    expect([r1(), r1(), r1()]).toEqual([r2(), r2(), r2()]);
    for (let seed = 0; seed < 50; seed++) {
      const items = [1, 2];
      expect(shuffled(items, seededRandom(seed))).toEqual([2, 1]);
      expect(shuffled([1, 2, 3, 4].slice(), seededRandom(seed)).sort()).toEqual([1, 2, 3, 4]);
    }
    expect(shuffled([1], seededRandom(1))).toEqual([1]);
  });

  it('over HTTP: planned faults hit the same requests of each user in two runs', async () => {
    const runOnce = async (users: string[]) => {
      const s = await start();
      try {
        s.faults.plan({ seed: 99, rates: { 'http-5xx': 0.3, delay: 0.2 }, delayMs: 1 });
        const customers = await Promise.all(users.map((u) => Customer.join(s, u)));
        for (let round = 0; round < 6; round++) {
          await Promise.all(customers.map((c) => c.call('queryQueueInfo', { userId: c.userId, channelConfigId: s.channelId, channel: 'WEB' })));
        }
        const seen: Record<string, (string | undefined)[]> = {};
        for (const u of users) seen[u] = s.requestsFor('queryQueueInfo', u).map((r) => r.plannedFault);
        return { seen, stats: s.faults.stats() };
      } finally {
        await s.close();
      }
    };
    const first = await runOnce(['p', 'q', 'r']);
    const second = await runOnce(['r', 'p', 'q']);
    expect(second.seen).toEqual(first.seen);
    expect(second.stats.planned).toEqual(first.stats.planned);
    expect(Object.values(first.seen).flat().filter(Boolean).length).toBeGreaterThan(0);
  });
});

describe('faults of the chaos suite', () => {
  it('status after processing: the CONNECT happens, the answer is a 502', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.next('send', { status: 502, afterProcessing: true });
    const res = await c.call('send', c.sendBody('CONNECT'));
    expect(res.status).toBe(502);
    expect(sim.session('u1')?.state).toBe('robot');
  });

  it('raw: any text as the body (broken JSON)', async () => {
    sim = await start();
    const c = await Customer.join(sim);
    sim.faults.next('send', { status: 200, raw: '{"resultCode":' });
    const res = await c.call('send', c.sendBody('CONNECT'));
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"resultCode":');
    expect(() => sim?.faults.next('send', { status: 200, raw: 5 as never })).toThrow();
  });

  it('reorder: a poll batch arrives shuffled', async () => {
    sim = await start({ scenario: 'agent-direct' });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await c.poll(); // Queuing...
    sim.queue.serve('u1');
    sim.agent.say('u1', 'one');
    sim.agent.say('u1', 'two');
    sim.faults.next('poll', { reorder: true });
    const batch = await c.poll();
    const stamps = batch.map((m) => Number(m.timestamp));
    expect(batch.length).toBeGreaterThanOrEqual(2);
    expect(stamps).not.toEqual([...stamps].sort((a, b) => a - b));
    expect(sim.requestsFor('poll').at(-1)?.fault).toBe('reorder');
  });

  it('a poll answer never written (client gone during a delay) goes back to the queue', async () => {
    const s = (sim = await start({ scenario: 'robot-only' }));
    const c = await Customer.join(s);
    await c.send('CONNECT');
    // The client leaves once the server holds the poll (event order, not a 30 ms timer that a stalled
    // thread could fire before the poll even arrived). The hold must outlast that and then end within
    // the test: a race window, scaled.
    s.faults.next('poll', { delayMs: budget(300) });
    const controller = new AbortController();
    const gone = c.poll({ signal: controller.signal });
    await eventually(() => s.requestsFor('poll').at(-1)?.fault === 'delay', { what: 'the held poll at the server' });
    controller.abort();
    await expect(gone).rejects.toThrow();
    await eventually(() => s.faults.stats().batchesGivenBack === 1, { what: 'the unwritten batch given back' });
    const again = await c.poll();
    expect(again.map((m) => m.sourceType)).toEqual(['ROBOT']);
    expect(s.faults.stats().batchesGivenBack).toBe(1);
    const view = s.session('u1');
    expect(view?.transcript.find((e) => e.direction === 'downlink')).toMatchObject({ deliveries: 1, pending: false });
  });

  it('reset after processing loses the batch (what the client must catch up on)', async () => {
    sim = await start({ scenario: 'robot-only' });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    sim.faults.next('poll', { reset: true, afterProcessing: true });
    await expect(c.poll()).rejects.toThrow();
    const greeting = sim.session('u1')?.transcript.find((e) => e.direction === 'downlink');
    expect(greeting).toMatchObject({ deliveries: 0, pending: false });
    expect(sim.session('u1')?.pendingDownlink).toBe(0);
  });

  it('uplink CHATs keep the wire timestamp the client sent; pending downlinks are flagged', async () => {
    sim = await start({ scenario: 'robot-only', timing: { robotReplyDelayMs: 5 } });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    await c.send('CHAT', { content: 'hi', timestamp: '1700000000123' });
    await new Promise((r) => setTimeout(r, 30));
    const view = sim.session('u1');
    expect(view?.transcript.filter((e) => e.direction === 'uplink')).toMatchObject([{ content: 'hi', wireTimestamp: '1700000000123' }]);
    expect(view?.transcript.filter((e) => e.direction === 'downlink').map((e) => e.pending)).toEqual([true, true]);
  });

  it('planned world faults: rotation, revoked token, expired AccessTokens, session release', async () => {
    sim = await start({ scenario: 'robot-only' });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    const only = (type: PlannedFault) => sim?.faults.plan({ seed: 1, rates: { [type]: 1 }, users: (u) => u === 'u1' });

    only('token-rotation');
    await c.send('INPUT');
    expect(c.rotations).toBe(1);

    only('unauthorized');
    expect((await c.call('send', c.sendBody('INPUT'))).status).toBe(401);

    sim.faults.plan(null);
    const d = await Customer.join(sim, 'u2');
    await d.send('CONNECT');
    sim.faults.plan({ seed: 1, rates: { 'access-token-expiry': 1 }, users: (u) => u === 'u2' });
    expect((await d.call('send', d.sendBody('INPUT'))).status).toBe(403);

    const e = await Customer.join(sim, 'u3');
    await e.send('CONNECT');
    sim.faults.plan({ seed: 1, rates: { 'session-release': 1 }, users: (u) => u === 'u3' });
    await e.send('INPUT');
    expect(sim.session('u3')?.state).toBe('ended');
    expect(sim.session('u3')?.endReason).toBe('idle-release');
    expect(sim.faults.stats().planned).toMatchObject({ 'token-rotation': 1, unauthorized: 1, 'access-token-expiry': 1 });
  });

  it('recordRequests: false keeps no request log but still answers and counts', async () => {
    sim = await start({ recordRequests: false });
    const c = await Customer.join(sim);
    sim.faults.next('send', { status: 503 });
    expect((await c.call('send', c.sendBody('CONNECT'))).status).toBe(503);
    expect(sim.requests).toEqual([]);
    expect(sim.faults.stats().oneShot).toEqual({ status: 1 });
  });
});

describe('fault profiles of the chaos run', () => {
  it('default is the plan the suites were tuned on: the same rates, no bursts', () => {
    expect(FAULT_PROFILES.default()).toEqual({ rates: CHAOS_RATES, apis: CHAOS_API_RATES });
  });

  it('flaky-tenant is a valid plan hitting the auth APIs, survey mode and history with bursts, 429, 403 and 10010000002', () => {
    const profile = FAULT_PROFILES['flaky-tenant'](45);
    const q = new FaultQueue();
    expect(() => q.setPlan({ ...profile, seed: 1 })).not.toThrow();
    for (const api of ['tokenByAkSk', 'applyToken', 'getSatisfactionSurveyMode', 'queryHistoryChatMessage'] as const) {
      expect(profile.apis?.[api]?.['rate-limited'], api).toBeGreaterThan(0);
    }
    expect(profile.apis?.feedbackSatisfaction?.['flow-control']).toBeGreaterThan(0);
    expect(profile.rates['ip-forbidden']).toBeGreaterThan(0);
    const bursts = profile.bursts ?? [];
    expect(bursts.length).toBeGreaterThanOrEqual(4);
    expect(bursts.some((b) => b.apis?.includes('tokenByAkSk') && (b.rates['ip-forbidden'] ?? 0) > 0)).toBe(true);
    expect(bursts.some((b) => b.apis?.includes('poll') && b.apis.includes('queryHistoryChatMessage'))).toBe(true);
    // The token endpoint, keyed by the app key, is hit at about its rate.
    let hits = 0;
    for (let n = 0; n < 2000; n++) if (q.decide('tokenByAkSk', { appKey: 'sim-app-key' })) hits += 1;
    expect(hits / 2000).toBeGreaterThan(0.08);
    expect(hits / 2000).toBeLessThan(0.16);
  });
});
