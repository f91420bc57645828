/**
 * What the per-request shortcuts taken for the 10,000-session benchmark must keep: queue figures
 * over the queued sessions only, rotations that touch one user's tokens only, the request-target
 * fast path, copy-on-write redaction, the idle timer re-armed in place, waiting polls released.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../src/client/protocol.js';
import { redactJson } from '../../src/simulator/recorder.js';
import type { Simulator } from '../../src/simulator/index.js';
import { Customer, manualClock, start, type Json } from './helpers.js';
import { budget, eventually, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const queueInfo = (c: Customer): Promise<Json> =>
  c.call('queryQueueInfo', { userId: c.userId, channelConfigId: c.sim.channelId, channel: 'WEB' }).then((r) => r.body);

/** A raw request with the target exactly as given (fetch would normalise it). */
function rawRequest(s: Simulator, method: string, target: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: Json }> {
  const url = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: target, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : (JSON.parse(text) as Json) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('queryQueueInfo over the queued sessions only', () => {
  it('longestWaitTime is the longest wait among sessions still queued', async () => {
    const clock = manualClock();
    sim = await start({ scenario: 'agent-direct', now: clock.now });
    const first = await Customer.join(sim, 'q1');
    const second = await Customer.join(sim, 'q2');
    const bystander = await Customer.join(sim, 'b1');
    await first.send('CONNECT');
    clock.advance(5_000);
    await second.send('CONNECT');
    clock.advance(10_000);
    expect(await queueInfo(second)).toMatchObject({ resultCode: '0', totalWaitTime: 10, longestWaitTime: 15 });
    // Users who never queued, and sessions served or ended, no longer count.
    expect(await queueInfo(bystander)).toEqual({ resultCode: '160004' });
    sim.queue.serve('q1');
    expect(await queueInfo(second)).toMatchObject({ totalWaitTime: 10, longestWaitTime: 10 });
    await first.send('DISCONNECT');
    await first.send('CONNECT');
    clock.advance(2_000);
    expect(await queueInfo(first)).toMatchObject({ totalWaitTime: 2, longestWaitTime: 12 });
    sim.system.disconnect('q2');
    expect(await queueInfo(first)).toMatchObject({ totalWaitTime: 2, longestWaitTime: 2 });
    expect(sim.violations).toEqual([]);
  });

  it('sim.reset forgets the queue', async () => {
    const clock = manualClock();
    sim = await start({ scenario: 'agent-direct', now: clock.now });
    const early = await Customer.join(sim, 'q1');
    await early.send('CONNECT');
    clock.advance(30_000);
    sim.reset();
    const late = await Customer.join(sim, 'q2');
    await late.send('CONNECT');
    clock.advance(1_000);
    expect(await queueInfo(late)).toMatchObject({ totalWaitTime: 1, longestWaitTime: 1 });
  });
});

describe('token rotation per user', () => {
  it('rotating one user supersedes that user’s tokens only', async () => {
    sim = await start({ scenario: 'robot-only' });
    const alice = await Customer.join(sim, 'alice');
    const bob = await Customer.join(sim, 'bob');
    await alice.send('CONNECT');
    await bob.send('CONNECT');
    const bobToken = bob.token;
    sim.tokens.rotate('alice');
    await alice.poll();
    expect(alice.rotations).toBe(1);
    const bobAnswer = await bob.call('poll', undefined, { query: { receiverId: 'bob', channel: 'WEB' } });
    expect(bobAnswer.status).toBe(200);
    expect(bobAnswer.headers.get('ccmessaging-token')).toBeNull();
    expect(bob.token).toBe(bobToken);
    expect(sim.violations).toEqual([]);
  });
});

describe('request target', () => {
  it('a non-normalised API path is still resolved like a URL parser does', async () => {
    sim = await start({ scenario: 'robot-only' });
    const c = await Customer.join(sim);
    const body = JSON.stringify(c.sendBody('CONNECT'));
    const answer = await rawRequest(sim, 'POST', '/apiaccess/ccmessaging/../ccmessaging/./send', { ...c.headers(), 'content-type': 'application/json' }, body);
    expect(answer).toMatchObject({ status: 200, body: { resultCode: '0' } });
    expect(sim.requests.at(-1)).toMatchObject({ api: 'send', path: API_PATHS.send });
  });

  it('query values are percent-decoded on the fast path', async () => {
    sim = await start({ scenario: 'robot-only', timing: { longPollWindowMs: 30 } });
    const c = await Customer.join(sim, 'u 1');
    const answer = await rawRequest(sim, 'GET', `${API_PATHS.poll}?receiverId=u%201&channel=W%45B`, c.headers());
    expect(answer).toMatchObject({ status: 200, body: { resultCode: '0' } });
    expect(sim.requests.at(-1)).toMatchObject({ api: 'poll', userId: 'u 1', query: { receiverId: 'u 1', channel: 'WEB' } });
    expect(sim.violations).toEqual([]);
  });

  it('an unknown path with a query is still an unknown-path violation', async () => {
    sim = await start();
    const answer = await rawRequest(sim, 'GET', '/apiaccess/ccmessaging/Poll?receiverId=u1', {});
    expect(answer.status).toBe(404);
    expect(sim.violations.map((v) => v.rule)).toEqual(['unknown-path']);
    expect(sim.requests.at(-1)).toMatchObject({ api: 'unknown', path: '/apiaccess/ccmessaging/Poll', query: { receiverId: 'u1' } });
  });
});

describe('redactJson (copy-on-write)', () => {
  it('returns the value itself when there is nothing to redact', () => {
    const body = { channel: 'WEB', nested: { list: [1, 'two', null], flag: true } };
    expect(redactJson(body)).toBe(body);
  });

  it('copies only what changes and never mutates its input', () => {
    const long = 'x'.repeat(3000);
    const kept = { a: 1 };
    const input = { first: 'keep', kept, auth: { token: 'secret', other: 'o' }, list: [kept, long], app_secret: 's' };
    const snapshot = structuredClone(input);
    const out = redactJson(input) as typeof input;
    expect(out).toEqual({ first: 'keep', kept: { a: 1 }, auth: { token: '[redacted]', other: 'o' }, list: [{ a: 1 }, '[3000 chars]'], app_secret: '[redacted]' });
    expect(Object.keys(out)).toEqual(Object.keys(input));
    expect(out.kept).toBe(kept);
    expect(input).toEqual(snapshot);
  });
});

describe('idle release with the timer re-armed in place', () => {
  it('polls keep the session alive, and it is released once they stop', async () => {
    // The gap between two polls of the loop must stay below idleMs on a loaded machine too (a race
    // window, scaled); the loop runs 1.75 times as long.
    const idleMs = budget(400);
    sim = await start({ scenario: 'robot-only', timing: { sessionIdleTimeoutMs: idleMs, longPollWindowMs: 30 } });
    const c = await Customer.join(sim);
    await c.send('CONNECT');
    const t0 = performance.now();
    while (performance.now() - t0 < idleMs * 1.75) await c.poll();
    expect(sim.session('u1')?.state).toBe('robot');
    await eventually(() => expect(sim?.session('u1')?.endReason).toBe('idle-release'));
  });
});

describe('waiting polls', () => {
  it('sim.reset answers every waiting poll with [] at once', async () => {
    // A window no test outlives: answers at all mean reset answered them, not the window.
    sim = await start({ scenario: 'robot-only', timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } });
    const customers = await Promise.all(['w1', 'w2', 'w3'].map((id) => Customer.join(sim as Simulator, id)));
    for (const c of customers) await c.send('CONNECT');
    for (const c of customers) await c.poll(); // the greetings
    const t0 = performance.now();
    const waiting = customers.map((c) => c.poll());
    await eventually(() => expect(sim?.requestsFor('poll').filter((r) => r.status === 0)).toHaveLength(3));
    sim.reset();
    expect(await Promise.all(waiting)).toEqual([[], [], []]);
    expect(performance.now() - t0, 'answered before the window closed').toBeLessThan(OUTLASTS_ANY_TEST_MS);
  });
});
