/**
 * A fleet of gateways on one Redis (issue 17, the fleet): a real redis-server started by the test
 * (none installed: the test fails saying how to install it), two gateway instances, a round-robin
 * load balancer, the simulator or a stub upstream.
 *
 * - The chat works with every request alternating between two instances (separate processes),
 *   and carries on through one when the other is SIGKILLed mid-chat, nothing lost.
 * - The limits hold across instances: a poll on B replaces the customer's poll on A; the rate
 *   limits (per user and per address) and the address cap count requests on both.
 * - Redis killed or frozen: every request is still answered, each instance enforces the limits on
 *   its own, one error line each; when Redis is back, the fleet-wide view comes back. The same for
 *   instances started while Redis is down or silent; `onError` hears every connection error.
 */
import { randomUUID } from 'node:crypto';
import axios from 'axios';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAiccClient, ResultDesc } from '../../src/client/index.js';
import { gatewayTokenProvider, GATEWAY_REASONS, type GatewayOptions } from '../../src/gateway/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { fastSimulator } from '../client/helpers.js';
import { duplicateKeys, incomingTexts, outgoing, startSession, type SessionRig } from '../integration/harness.js';
import { eventually, OUTLASTS_ANY_TEST_MS, sleep } from '../support/timeBudget.js';
import { startBalancer, type Balancer } from './balancer.js';
import { startLocalInstance, startProcessInstance, type LocalInstance, type LocalStoreSetup, type ProcessInstance } from './fleetRig.js';
import { FAST_TIMING, jsonHeaders, newUserId, TOKEN_SECRET } from './helpers.js';
import { startRedisServer, type RedisServer } from './redisServer.js';
import { open, P, pollPath, send, tokenOf, type Held } from './stubRig.js';
import { startStubUpstream, type StubUpstream } from './stubUpstream.js';

const EMPTY_POLL = { resultCode: '0', resultDesc: ResultDesc.pollSuccess, downlinkMessages: [] };
const STORE_FAILED = /^shared store failed \(\w+\): rate limits, the one-poll rule and the address caps now count on this instance only$/;
const STORE_BACK = /^shared store answers again/;

/** The customer's session, its client talking to the load balancer as a web page would. */
function customerVia(lb: Balancer, sim: Simulator): SessionRig {
  const userId = newUserId();
  const cookie = `sid=${userId}`;
  const gatewayUrl = `${lb.url}/aicc`;
  const client = createAiccClient({
    baseUrl: gatewayUrl,
    token: gatewayTokenProvider(gatewayUrl, { headers: { cookie } }),
    axios: axios.create({ headers: { cookie } }),
    longPollWindowMs: FAST_TIMING.longPollWindowMs,
  });
  return startSession(sim, {}, userId, { client, userId, tokenRequests: [], issuedTokens: [] });
}

/** A customer through the balancer, queued, then served by an agent. */
async function chattingWithAgent(lb: Balancer, sim: Simulator): Promise<SessionRig> {
  const rig = customerVia(lb, sim);
  await rig.until((s) => s.context.queue?.status === 'queuing');
  sim.queue.serve(rig.userId);
  await rig.until((s) => s.matches({ connected: 'chatting' }) && s.context.agentNickname !== null);
  return rig;
}

/** What the server sent the customer as agent text, in order. */
const agentTextsSent = (sim: Simulator, userId: string) =>
  (sim.session(userId)?.transcript ?? []).filter((t) => t.direction === 'downlink' && t.sourceType === 'AGENT' && t.controlType === 'CHAT' && t.mediaType === 'TEXT').map((t) => t.content);
const customerTextsReceived = (sim: Simulator, userId: string) =>
  (sim.session(userId)?.transcript ?? []).filter((t) => t.direction === 'uplink' && t.controlType === 'CHAT').map((t) => t.content);

/** One exchange: customer asks, agent answers it and says one more thing; both reach the customer. */
async function exchange(rig: SessionRig, sim: Simulator, i: number): Promise<void> {
  rig.actor.send({ type: 'message.send', text: `question ${i}` });
  await rig.until((s) => incomingTexts(s, 'AGENT').some((t) => t.includes(`question ${i}`)));
  sim.agent.say(rig.userId, `note ${i}`);
  await rig.until((s) => incomingTexts(s, 'AGENT').includes(`note ${i}`));
}

async function finishChat(rig: SessionRig, sim: Simulator) {
  sim.agent.end(rig.userId);
  await rig.untilState('connected.survey-agent');
  rig.actor.send({ type: 'survey.submit', evaluation: '5', comment: 'fleet', npsScore: 10, fcr: true });
  const done = await rig.until((s) => s.status === 'done');
  return done;
}

/** Nothing lost or doubled: every agent text the server sent is shown once, in order; every customer text reached the server once. */
function expectNothingLost(rig: SessionRig, sim: Simulator, asked: number): void {
  const snapshot = rig.actor.getSnapshot();
  expect(incomingTexts(snapshot, 'AGENT')).toEqual(agentTextsSent(sim, rig.userId));
  expect(customerTextsReceived(sim, rig.userId)).toEqual(Array.from({ length: asked }, (_, i) => `question ${i + 1}`));
  expect(outgoing(snapshot).map((m) => m.status)).toEqual(Array(asked).fill('sent'));
  expect(duplicateKeys(snapshot)).toEqual([]);
  expect(sim.violations.filter((v) => v.userId === rig.userId)).toEqual([]);
}

describe('two gateway processes on one Redis behind a load balancer', () => {
  let redis: RedisServer | undefined;
  let sim: Simulator | undefined;
  let lb: Balancer | undefined;
  const instances: ProcessInstance[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    sim = await fastSimulator({ scenario: 'agent-direct' });
    const keyPrefix = `fleet-${randomUUID()}:`;
    for (const name of ['A', 'B']) {
      instances.push(
        await startProcessInstance({
          name,
          upstream: sim.url,
          ...sim.credentials,
          channelId: sim.channelId,
          redisUrl: redis.url,
          keyPrefix,
          tokenSecret: TOKEN_SECRET,
          longPollWindowMs: FAST_TIMING.longPollWindowMs,
        }),
      );
    }
    lb = await startBalancer(instances.map((i) => i.origin));
  });
  afterAll(async () => {
    await lb?.close();
    for (const instance of instances) await instance.kill();
    await sim?.close();
    await redis?.stop();
  });

  it("a customer's requests alternate between the instances and the chat works, nothing lost or doubled", async () => {
    if (!lb || !sim) throw new Error('set-up failed');
    const rig = await chattingWithAgent(lb, sim);
    for (let i = 1; i <= 5; i++) await exchange(rig, sim, i);
    const done = await finishChat(rig, sim);
    expect(done.output?.endReason).toBe('agent-ended');
    expectNothingLost(rig, sim, 5);

    const mine = lb.served.filter((s) => s.userId === rig.userId);
    const polls = mine.filter((s) => s.path.endsWith('/poll'));
    // Round robin: both instances served this customer's polls and other calls, every one answered.
    expect(new Set(polls.map((s) => s.backend))).toEqual(new Set([0, 1]));
    expect(new Set(mine.filter((s) => !s.path.endsWith('/poll')).map((s) => s.backend))).toEqual(new Set([0, 1]));
    // Every request answered by an instance (499: the client itself gave up on it, e.g. the poll in flight at the end).
    expect(mine.filter((s) => s.status !== 200 && s.status !== 499)).toEqual([]);
    // A token sealed by one instance opened on the other, and Redis never failed.
    for (const instance of instances) expect(instance.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('one instance is killed mid-chat: the customer carries on through the other, nothing lost or doubled', async () => {
    if (!lb || !sim) throw new Error('set-up failed');
    const rig = await chattingWithAgent(lb, sim);
    for (let i = 1; i <= 2; i++) await exchange(rig, sim, i);

    // Killed while it holds the customer's poll; the agent's next message may be in that poll's answer.
    const balancer = lb;
    await eventually(() => [...balancer.inFlight].some((r) => r.backend === 0 && r.userId === rig.userId && r.path.endsWith('/poll')), {
      what: "A to hold the customer's poll",
      intervalMs: 1,
    });
    sim.agent.say(rig.userId, 'said while A dies');
    await instances[0]!.kill();
    const servedBefore = lb.served.length;
    for (let i = 3; i <= 5; i++) await exchange(rig, sim, i);
    await rig.until((s) => incomingTexts(s, 'AGENT').includes('said while A dies'));
    const done = await finishChat(rig, sim);
    expect(done.output?.endReason).toBe('agent-ended');
    expectNothingLost(rig, sim, 5);

    // After the kill, B served everything this customer asked (at most one request cut in flight by the kill).
    const after = lb.served.slice(servedBefore).filter((s) => s.userId === rig.userId);
    expect(after.filter((s) => s.status === 200).every((s) => s.backend === 1)).toBe(true);
    expect(after.filter((s) => s.status === 502).length).toBeLessThanOrEqual(1);
    expect(after.filter((s) => s.path.endsWith('/poll') && s.status === 200).length).toBeGreaterThan(3);
  });
});

/**
 * Two gateway instances in this process on a real Redis (started once per describe) in front of
 * one stub upstream whose polls stay open; a fresh pair (and key prefix) per test.
 */
function instancePairs(optionsFor: (overrides: Partial<GatewayOptions>) => Partial<GatewayOptions>) {
  let redis: RedisServer | undefined;
  let instances: LocalInstance[] = [];
  let stub: StubUpstream | undefined;
  const held: Held[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    for (const h of held.splice(0)) h.abort();
    for (const instance of instances.splice(0)) await instance.close();
    await stub?.close();
  });
  afterAll(() => redis?.stop());
  const server = (): RedisServer => {
    if (!redis) throw new Error('redis-server did not start');
    return redis;
  };
  return {
    redis: server,
    async pair(overrides: Partial<GatewayOptions> = {}, setupOf: (name: 'A' | 'B') => LocalStoreSetup = () => ({})): Promise<[LocalInstance, LocalInstance, StubUpstream]> {
      const up = await startStubUpstream();
      stub = up;
      const keyPrefix = `pair-${randomUUID()}:`;
      const options = { longPollWindowMs: 600_000, pollTimeoutMs: 600_000, ...optionsFor(overrides) };
      const a = await startLocalInstance('A', up.url, server().url, keyPrefix, options, setupOf('A'));
      instances = [a];
      const b = await startLocalInstance('B', up.url, server().url, keyPrefix, options, setupOf('B'));
      instances = [a, b];
      return [a, b, up];
    },
    /** A poll on `instance`, held open until answered or aborted. */
    pollOn(instance: LocalInstance, userId: string, headers: Record<string, string>): Held {
      const { 'content-type': _, ...rest } = headers;
      const h = open(instance.origin, { method: 'GET', path: pollPath(userId), headers: rest });
      held.push(h);
      return h;
    },
    abortPolls(): void {
      for (const h of held.splice(0)) h.abort();
    },
  };
}

describe('limits across two instances sharing Redis', () => {
  // A fixed clock: a window boundary in mid-test would reset the counters.
  const now = () => Date.UTC(2026, 0, 1, 12, 0, 10);
  const fleet = instancePairs((overrides) => ({ now, ...overrides }));
  const { pair, pollOn } = fleet;
  const headersOf = async (instance: LocalInstance, userId: string, extra: Record<string, string> = {}) => {
    const cookie = `sid=${userId}`;
    return { ...jsonHeaders(cookie, await tokenOf(instance.origin, cookie, extra)), ...extra };
  };

  it("the second poll, on instance B, replaces the customer's first, on A: answered at once, empty, and gone upstream before B's arrives", async () => {
    const [A, B, up] = await pair();
    const headers = await headersOf(A, 'alice');
    const first = pollOn(A, 'alice', headers);
    await eventually(() => up.heldPolls === 1, { what: "A's poll held upstream" });
    const second = pollOn(B, 'alice', headers);
    const older = await first.answer;
    expect(older?.status).toBe(200);
    expect(JSON.parse(older?.body ?? '{}')).toEqual(EMPTY_POLL);
    await eventually(() => up.pollLog.length === 3, { what: "B's poll upstream" });
    expect(up.pollLog).toEqual(['open 1', 'closed 1', 'open 2']);
    expect(second.settled).toBe(false);
    expect(A.logs.some((l) => l.userId === 'alice' && l.msg.includes('replaced by a newer poll'))).toBe(true);
    // And back: a third poll on A replaces B's.
    const third = pollOn(A, 'alice', headers);
    expect(JSON.parse((await second.answer)?.body ?? '{}')).toEqual(EMPTY_POLL);
    await eventually(() => up.pollLog.length === 5, { what: "A's poll upstream" });
    expect(up.pollLog.slice(3)).toEqual(['closed 2', 'open 3']);
    expect(third.settled).toBe(false);
  });

  it('the rate limit counts requests on both instances', async () => {
    const [A, B] = await pair({ rateLimit: { max: 4 } });
    const headers = await headersOf(A, 'alice');
    const survey = (instance: LocalInstance) => send(instance.origin, { path: P('getSatisfactionSurveyMode'), headers, body: '{}' });
    const statuses: number[] = [];
    for (const instance of [A, B, A, B, A, B]) statuses.push((await survey(instance)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('the rate limit per client address counts requests on both instances, whoever the customers are', async () => {
    const [A, B] = await pair({ rateLimit: { max: 1000, perAddress: 4 } });
    // Two customers behind one NAT; what each client wrote left of the trusted proxy's entry differs and does not count.
    const alice = await headersOf(A, 'alice', { 'x-forwarded-for': '10.9.9.1, 203.0.113.60' });
    const bob = await headersOf(B, 'bob', { 'x-forwarded-for': '10.9.9.2, 203.0.113.60' });
    const survey = (instance: LocalInstance, headers: Record<string, string>) => send(instance.origin, { path: P('getSatisfactionSurveyMode'), headers, body: '{}' });
    // Two /token calls above and two surveys use up the address's 4, one on each instance in turn.
    const answers = [];
    for (const [instance, headers] of [[A, alice], [B, bob], [A, bob], [B, alice]] as const) answers.push(await survey(instance, headers));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429]);
    expect(JSON.parse(answers[3]?.body ?? '{}')).toEqual({ errorCode: '429', exceptionInfo: GATEWAY_REASONS.rateLimitedAddress, reason: 'rateLimitedAddress' });
    expect(Number(answers[3]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another address is not affected, on either instance.
    const carol = await headersOf(B, 'carol', { 'x-forwarded-for': '198.51.100.1' });
    for (const instance of [A, B]) expect((await survey(instance, carol)).status).toBe(200);
  });

  it('the cap on open polls per address counts polls on both instances', async () => {
    const [A, B, up] = await pair({ limits: { pollsPerAddress: 2 } });
    const natted = { 'x-forwarded-for': '203.0.113.50' };
    pollOn(A, 'u1', await headersOf(A, 'u1', natted));
    pollOn(B, 'u2', await headersOf(B, 'u2', natted));
    const u3 = await headersOf(A, 'u3', natted);
    await eventually(() => up.heldPolls === 2, { what: 'two polls from one address held' });
    for (const instance of [A, B]) {
      const refused = await pollOn(instance, 'u3', u3).answer;
      expect(refused?.status).toBe(429);
      expect(JSON.parse(refused?.body ?? '{}')).toEqual({ errorCode: '429', exceptionInfo: GATEWAY_REASONS.pollsPerAddress, reason: 'pollsPerAddress' });
    }
    expect(up.heldPolls).toBe(2);
  });
});

describe('when Redis is down', () => {
  let clock = Date.UTC(2026, 0, 1, 12, 0, 10);
  const STORE_TIMEOUT_MS = 300;
  const STORE_RETRY_MS = 100;
  const fleet = instancePairs((overrides) => ({ now: () => clock, rateLimit: { max: 3 }, storeTimeoutMs: STORE_TIMEOUT_MS, storeRetryMs: STORE_RETRY_MS, ...overrides }));
  const { pollOn } = fleet;
  const pair = async (...args: Parameters<typeof fleet.pair>) => [...(await fleet.pair(...args)), fleet.redis()] as const;
  /** How long the gateway held the instance's last getSatisfactionSurveyMode, by its own log line. */
  const lastSurveyMs = (instance: LocalInstance) => instance.logs.filter((l) => l.api === 'getSatisfactionSurveyMode').at(-1)?.ms ?? -1;
  /** A timer may fire up to a millisecond early by performance.now(); the log rounds. */
  const TIMER_SLACK_MS = 5;
  const survey = (instance: LocalInstance, headers: Record<string, string>) => send(instance.origin, { path: P('getSatisfactionSurveyMode'), headers, body: '{}' });
  /**
   * Redis restarted: both instances say they use it again (one info line each), then count
   * together — [A, B, A, B] over a limit of 3 is 200, 200, 200, 429.
   */
  async function rejoin(server: ReturnType<typeof fleet.redis>, A: LocalInstance, B: LocalInstance, headers: Record<string, string>): Promise<void> {
    await server.restart();
    clock += 60_000;
    await eventually(
      async () => {
        await survey(A, headers);
        await survey(B, headers);
        return [A, B].every((i) => i.logs.some((l) => l.level === 'info' && STORE_BACK.test(l.msg)));
      },
      { what: 'both instances to use Redis again' },
    );
    clock += 60_000;
    const shared: number[] = [];
    for (const instance of [A, B, A, B]) shared.push((await survey(instance, headers)).status);
    expect(shared).toEqual([200, 200, 200, 429]);
  }

  it('killed: every request is still answered, each instance enforces the limits on its own and logs it once; when Redis is back, the fleet-wide view is back', async () => {
    const [A, B, up, server] = await pair();
    clock += 60_000;
    const cookie = 'sid=alice';
    const headers = jsonHeaders(cookie, await tokenOf(A.origin, cookie));
    await server.kill();

    // Rate limit per instance: 3 on each, then 429 (fleet-wide 6 instead of 3).
    const statuses: number[] = [];
    for (const instance of [A, A, A, A, B, B, B, B]) statuses.push((await survey(instance, headers)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 200, 200, 200, 429]);
    for (const instance of [A, B]) {
      const errors = instance.logs.filter((l) => l.level === 'error');
      expect(errors.map((l) => l.msg)).toHaveLength(1);
      expect(errors[0]?.msg).toMatch(STORE_FAILED);
      expect(JSON.stringify(instance.logs)).not.toContain(server.url);
    }

    // The one-poll rule per instance: a newer poll on A replaces A's; one on B does not see A's.
    clock += 60_000;
    const first = pollOn(A, 'alice', headers);
    await eventually(() => up.heldPolls === 1, { what: "A's poll held" });
    pollOn(A, 'alice', headers);
    expect(JSON.parse((await first.answer)?.body ?? '{}')).toEqual(EMPTY_POLL);
    await eventually(() => up.pollLog.length === 3, { what: "A's second poll upstream" });
    pollOn(B, 'alice', headers);
    await eventually(() => up.heldPolls === 2, { what: "B's poll held next to A's" });
    fleet.abortPolls();
    await eventually(() => up.heldPolls === 0, { what: 'the polls to end' });

    // Back: shared counting and the fleet-wide one-poll rule again, one info line each.
    await rejoin(server, A, B, headers);
    clock += 60_000;
    const onA = pollOn(A, 'alice', headers);
    await eventually(() => up.heldPolls === 1, { what: "A's poll held" });
    pollOn(B, 'alice', headers);
    expect(JSON.parse((await onA.answer)?.body ?? '{}')).toEqual(EMPTY_POLL);
  });

  it('frozen (connections open, no answers): requests and polls are served after storeTimeoutMs instead of hanging, and the instance recovers when it thaws', async () => {
    const [A, B, up, server] = await pair();
    clock += 60_000;
    const cookie = 'sid=bob';
    const headers = jsonHeaders(cookie, await tokenOf(A.origin, cookie));
    pollOn(B, 'bob', headers);
    await eventually(() => up.heldPolls === 1, { what: "bob's poll on B held" });
    server.freeze();
    try {
      expect((await survey(A, headers)).status).toBe(200);
      // Held for storeTimeoutMs (a lower bound only: how much longer a loaded machine takes is not asserted).
      expect(lastSurveyMs(A)).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - TIMER_SLACK_MS);
      expect(A.logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringMatching(STORE_FAILED)]);
      // A poll on A goes upstream; it cannot reach B to end bob's poll there.
      pollOn(A, 'bob', headers);
      await eventually(() => up.heldPolls === 2, { what: "bob's poll on A held" });
      fleet.abortPolls();
      // Every storeRetryMs Redis is tried again, and a request that meets the retry is held for
      // storeTimeoutMs again (its last shared-store call ended before the poll went upstream).
      await sleep(STORE_RETRY_MS + TIMER_SLACK_MS);
      expect((await survey(A, headers)).status).toBe(200);
      expect(lastSurveyMs(A)).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - TIMER_SLACK_MS);
      expect(A.logs.filter((l) => l.level === 'error')).toHaveLength(1);
    } finally {
      server.thaw();
    }
    await eventually(
      async () => {
        await survey(A, headers);
        return A.logs.some((l) => l.level === 'info' && STORE_BACK.test(l.msg));
      },
      { what: 'A to use Redis again' },
    );
  });
  it('an instance started while Redis is down serves at once, on its own, logs it once, and joins the shared counters when Redis is up', async () => {
    const server = fleet.redis();
    await server.kill();
    // storeTimeoutMs longer than any test: a request answered at all did not wait for Redis.
    const [A, B] = await fleet.pair({ storeTimeoutMs: OUTLASTS_ANY_TEST_MS }, () => ({ readyTimeoutMs: 100 }));
    for (const instance of [A, B]) expect(instance.readyError?.message).toBe('redisGatewayStore: not connected after 100 ms');
    clock += 60_000;
    const cookie = 'sid=carol';
    const headers = jsonHeaders(cookie, await tokenOf(A.origin, cookie));
    const statuses: number[] = [];
    for (const instance of [A, A, A, A, B, B, B, B]) statuses.push((await survey(instance, headers)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 200, 200, 200, 429]);
    for (const instance of [A, B]) {
      expect(instance.logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringMatching(STORE_FAILED)]);
      expect(JSON.stringify(instance.logs)).not.toContain(server.url);
    }

    await rejoin(server, A, B, headers);
  });

  it('an instance started while Redis takes connections but never answers (frozen) serves at once too: nothing waits for Redis', async () => {
    const server = fleet.redis();
    server.freeze();
    try {
      // storeTimeoutMs longer than any test: were a call queued until Redis answers, the request would hang.
      const [A, B] = await fleet.pair({ storeTimeoutMs: OUTLASTS_ANY_TEST_MS }, () => ({ readyTimeoutMs: 100 }));
      for (const instance of [A, B]) expect(instance.readyError?.message).toBe('redisGatewayStore: not connected after 100 ms');
      clock += 60_000;
      const cookie = 'sid=erin';
      const headers = jsonHeaders(cookie, await tokenOf(B.origin, cookie));
      const statuses: number[] = [];
      for (const instance of [A, A, A, A, B]) statuses.push((await survey(instance, headers)).status);
      expect(statuses).toEqual([200, 200, 200, 429, 200]);
      expect(A.logs.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringMatching(STORE_FAILED)]);
    } finally {
      server.thaw();
    }
  });

  it('redisGatewayStore({ onError }) hears every connection error, which the gateway never logs; a handler that throws harms nothing', async () => {
    const heard: Error[] = [];
    let thrown = 0;
    const onError = (name: 'A' | 'B') =>
      name === 'A'
        ? (error: Error) => void heard.push(error)
        : () => {
            thrown += 1;
            throw new Error('the monitoring is down');
          };
    const [A, B, , server] = await pair({}, (name) => ({ onError: onError(name) }));
    clock += 60_000;
    const cookie = 'sid=dave';
    const headers = jsonHeaders(cookie, await tokenOf(A.origin, cookie));
    expect((await survey(A, headers)).status).toBe(200);
    expect([heard, thrown]).toEqual([[], 0]);

    await server.kill();
    // The connections reset, then every reconnection attempt is refused: each one reported.
    const refused = () => heard.filter((e) => (e as NodeJS.ErrnoException).code === 'ECONNREFUSED').length;
    await eventually(() => refused() >= 2 && thrown >= 2, { what: 'refused reconnections reported to both handlers' });
    expect(heard.every((e) => e instanceof Error)).toBe(true);
    // Reported as well: the open connections cut by the kill (before the refusals).
    expect(heard.length).toBeGreaterThan(refused());
    // B's handler threw each time; B serves on, on its own, like A.
    for (const instance of [A, B]) {
      expect((await survey(instance, headers)).status).toBe(200);
      const logged = JSON.stringify(instance.logs);
      for (const error of heard.filter((e) => e.message !== '')) expect(logged).not.toContain(error.message);
    }

    await server.restart();
    await eventually(
      async () => {
        await survey(A, headers);
        return A.logs.some((l) => l.level === 'info' && STORE_BACK.test(l.msg));
      },
      { what: 'A to use Redis again' },
    );
  });
});
