/**
 * Capacity (issue 17.1): long polls hold their upstream socket for the whole window, so they get
 * a pool of their own; everything else keeps its pool and never queues behind polls, and the
 * upstream timeout starts when a request has its socket, not while it waits for one.
 *
 * The flood runs against the project's simulator: N users each keep a poll open (a window no
 * test outlives), then other users call a non-poll API. Before the fix the shared pool of 256
 * sockets was full of polls and those calls waited for a poll to end (504 after 15 s here); the
 * assertion is on order (they answer while every poll is still open), not on a time limit.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../src/client/index.js';
import { createGateway, GATEWAY_REASONS, type Gateway, type GatewayIdentity } from '../../src/gateway/index.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { BASE_PATH, FAST_TIMING, jsonHeaders, TOKEN_SECRET } from './helpers.js';
import { open, P, pollPath, send, startStubRig, tokenOf, type Held } from './stubRig.js';
import { eventually, OUTLASTS_ANY_TEST_MS, sleep } from '../support/timeBudget.js';
import { closeServer, listenLocal } from '../support/localServer.js';

/** More polls than the old shared pool had sockets (256). */
const N = 320;
const VICTIMS = 10;

describe(`${N} open long polls through one gateway (issue 17.1)`, () => {
  let sim: Simulator;
  let gateway: Gateway;
  let server: Server;
  let origin: string;
  const identities = new Map<string, GatewayIdentity>();
  const polls: Held[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ timing: { ...FAST_TIMING, longPollWindowMs: OUTLASTS_ANY_TEST_MS }, recordRequests: true });
    gateway = createGateway({
      upstream: sim.url,
      appKey: sim.credentials.appKey,
      appSecret: sim.credentials.appSecret,
      tokenSecret: TOKEN_SECRET,
      basePath: BASE_PATH,
      longPollWindowMs: OUTLASTS_ANY_TEST_MS,
      pollTimeoutMs: OUTLASTS_ANY_TEST_MS,
      // Every test client comes from 127.0.0.1: the per-address limits would stop the flood.
      limits: { pollsPerAddress: 100_000 },
      rateLimit: { perAddress: 1_000_000 },
      identify: (req) => identities.get(String(req.headers['x-user'])) ?? null,
    });
    server = createServer((req, res) => void gateway.handler(req, res));
    origin = await listenLocal(server);
  });

  afterAll(async () => {
    for (const p of polls) p.abort();
    await gateway?.close();
    if (server) await closeServer(server);
    await sim?.close();
  });

  async function login(userId: string): Promise<Record<string, string>> {
    identities.set(userId, { userId, userName: userId, channelId: sim.channelId, locale: 'en_US' });
    const token = await tokenOf(origin, 'c=1', { 'x-user': userId });
    return { ...jsonHeaders('c=1', token), 'x-user': userId };
  }

  const pendingPolls = () => sim.requestsFor('poll').filter((r) => r.status === 0).length;

  it('answers other users’ non-poll calls while every poll is still open, and every poll reaches upstream', async () => {
    const victims: { userId: string; headers: Record<string, string> }[] = [];
    for (let i = 0; i < VICTIMS; i++) victims.push({ userId: `v${i}`, headers: await login(`v${i}`) });
    const call = (v: (typeof victims)[number]) =>
      send(origin, { path: P('queryQueueInfo'), headers: v.headers, body: JSON.stringify({ userId: v.userId, channelConfigId: sim.channelId, channel: 'WEB' }) });

    // The same calls on an idle gateway, for the record.
    const idle: number[] = [];
    for (const v of victims) {
      const t0 = performance.now();
      expect((await call(v)).status).toBe(200);
      idle.push(performance.now() - t0);
    }

    // N users log in (10 at a time), then each opens a long poll.
    const pollers: string[] = [];
    for (let i = 0; i < N; i += 10) {
      const batch = await Promise.all(Array.from({ length: Math.min(10, N - i) }, (_, k) => login(`p${i + k}`).then((h) => ({ id: `p${i + k}`, h }))));
      for (const { id, h } of batch) {
        const { 'content-type': _, ...headers } = h;
        polls.push(open(origin, { method: 'GET', path: pollPath(id), headers }));
        pollers.push(id);
      }
    }
    // At least as many polls are waiting upstream as the old shared pool had sockets.
    await eventually(() => pendingPolls() >= 256, { what: '256 polls waiting upstream' });

    const loaded: number[] = [];
    const answeredPollsWhenDone: number[] = [];
    const statuses: number[] = [];
    await Promise.all(
      victims.map(async (v) => {
        const t0 = performance.now();
        const answer = await call(v);
        loaded.push(performance.now() - t0);
        statuses.push(answer.status);
        answeredPollsWhenDone.push(polls.filter((p) => p.settled).length);
      }),
    );
    expect(statuses).toEqual(Array(VICTIMS).fill(200));
    // Order, not speed: every call answered while no poll had answered yet.
    expect(answeredPollsWhenDone).toEqual(Array(VICTIMS).fill(0));
    // And no poll waits in the gateway: all N reach upstream.
    await eventually(() => pendingPolls() === N, { what: `all ${N} polls waiting upstream` });
    expect(polls.filter((p) => p.settled)).toEqual([]);
    const max = (xs: number[]) => Math.round(Math.max(...xs));
    console.info(`[capacity] ${N} polls open; queryQueueInfo idle max ${max(idle)} ms, under the flood max ${max(loaded)} ms`);
  });
});

describe('upstream timeout and socket queue (issue 17.1)', () => {
  it('counts the upstream timeout from the moment a request has its socket, not while it queues for one', async () => {
    // The default pool for APIs other than poll: 256 sockets, here all busy with slow calls of
    // one customer from one address (their in-flight caps lifted for that).
    const rig = await startStubRig({ upstreamTimeoutMs: 4000, rateLimit: false, limits: { inFlightPerCustomer: Infinity, inFlightPerAddress: Infinity } });
    try {
      const cookieA = rig.login('a');
      const cookieB = rig.login('b');
      const a = jsonHeaders(cookieA, await tokenOf(rig.origin, cookieA));
      const b = jsonHeaders(cookieB, await tokenOf(rig.origin, cookieB));
      rig.stub.delays.set(API_PATHS.getSatisfactionSurveyMode, OUTLASTS_ANY_TEST_MS);
      const busy = Array.from({ length: 256 }, () => open(rig.origin, { path: P('getSatisfactionSurveyMode'), headers: a, body: '{}' }));
      await eventually(() => rig.stub.requests.filter((q) => q.path === API_PATHS.getSatisfactionSurveyMode).length === 256, { what: '256 calls upstream' });
      // B's call queues for 2.5 s, then takes 2.5 s upstream: 5 s in all, more than the 4 s
      // timeout, but less than it on each side.
      rig.stub.delays.set(API_PATHS.queryPhraseByKeyword, 2500);
      const queued = open(rig.origin, { path: P('queryPhraseByKeyword'), headers: b, body: JSON.stringify({ strContent: 'hou', locale: 'en', channel: 'WEB' }) });
      await sleep(2500);
      rig.stub.delays.set(API_PATHS.getSatisfactionSurveyMode, 0);
      for (const h of busy) h.abort();
      const answer = await queued.answer;
      expect(answer?.status).toBe(200);
    } finally {
      await rig.close();
    }
  });

  it('answers 503 + Retry-After when a request waits for an upstream socket longer than its timeout', async () => {
    const rig = await startStubRig({ upstreamTimeoutMs: 400, limits: { upstreamSockets: 1 } });
    try {
      const headers = [];
      for (const id of ['a', 'b', 'c']) {
        const cookie = rig.login(id);
        headers.push(jsonHeaders(cookie, await tokenOf(rig.origin, cookie)));
      }
      // No answer comes within the test: the gateway gives up on each after 400 ms on its socket.
      rig.stub.delays.set(API_PATHS.getSatisfactionSurveyMode, OUTLASTS_ANY_TEST_MS);
      const call = (h: Record<string, string>) => open(rig.origin, { path: P('getSatisfactionSurveyMode'), headers: h, body: '{}' });
      const first = call(headers[0]!);
      await eventually(() => rig.stub.requests.some((q) => q.path === API_PATHS.getSatisfactionSurveyMode), { what: 'the first call upstream' });
      // Both queue for the one socket; when the first times out, the socket goes to the second,
      // and the third, still queued after its 400 ms, is told the gateway is busy.
      const queued = [call(headers[1]!), call(headers[2]!)];
      const answers = await Promise.all([first, ...queued].map((h) => h.answer));
      const busy = answers.filter((a) => a?.status === 503);
      // The first held the socket until its timeout. Of the two queued, the third waits past its
      // timeout; the second gets the socket in time unless a loaded machine fires the first's
      // timeout late (then it is told "busy" too): at least one 503, never anything else.
      expect(answers[0]?.status).toBe(504);
      expect(busy.length).toBeGreaterThanOrEqual(1);
      expect(answers.every((a) => a?.status === 503 || a?.status === 504)).toBe(true);
      expect(Number(busy[0]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(busy[0]?.body ?? '{}')).toEqual({ errorCode: '503', exceptionInfo: GATEWAY_REASONS.upstreamBusy, reason: 'upstreamBusy' });
    } finally {
      await rig.close();
    }
  });
});
