/**
 * The gateway fleet's own overhead (issue 17; docs/security.md, "A fleet of gateways on Redis"):
 * what the Redis store costs per request next to the in-memory one, side by side in one run.
 *
 * Processes: the simulator (bench/lib/sim-child.ts, agent channel, a poll window longer than a
 * phase), a real redis-server started the way the fleet tests start it (test/gateway/redisServer.ts),
 * four gateways (bench/lib/gateway-child.ts: the rate and per-address limits lifted, still
 * counted), and this one, the customers over bare node:http with keep-alive. Setups:
 *
 *   memory   one gateway, the default in-memory store;
 *   redis    one gateway, redisGatewayStore on the redis-server;
 *   redis-2  two gateways on the same redis-server (a key prefix of their own), the requests sent
 *            to them in turn, as a round-robin balancer does. The turn is taken here, without a
 *            proxy hop: a hop would add its own cost to this setup only and hide the fleet's.
 *
 * Per round, every setup (the order rotates round by round, so a burst of other work on the shared
 * machine does not land on one setup only; the 1-minute load average is stamped per round and
 * setup), with customers of its own, who first fetch a token:
 *
 *   1. light: one getsatisfactionsurveymode call per customer, one call at a time → latency
 *      p50/p99/max of a call on an otherwise idle gateway (what a Redis round trip adds shows
 *      undiluted);
 *   2. busy: `--calls` more calls per customer, `--concurrency` at a time (the gateway near a
 *      core's worth of work: what it adds under load, where CPU counts more than waiting);
 *   3. polls: `--pollers` of them CONNECT (an agent takes them at once), then twice: the agent
 *      says something, then the customer polls → time until the poll answers with it (the whole
 *      poll: the one-poll claim, upstream, the answer; the lease's release follows the answer);
 *   4. replacement: the same customers one at a time: a poll held upstream, then a second poll of
 *      the same customer (redis-2: on the other instance, so the older is ended over Redis
 *      pub/sub) → time from the second poll sent until it arrives upstream (the older answered
 *      empty and gone first), read on the shared monotonic clock in the simulator; also until the
 *      older is answered. Then the agent answers the second.
 *
 * For each phase: the gateways' CPU per request (process.cpuUsage in the children), and from
 * Redis's own counters (INFO commandstats, INFO cpu) the round trips (EVALSHA/PUBLISH the
 * gateways sent), the commands Redis executed (script-internal ones included) and Redis's CPU per
 * request. Before round 1 every setup runs `--warmup` passes of the same phases (not recorded): the
 * first requests of a process pay for JIT and connections. In trial runs the gateway's CPU per
 * call was still falling after two passes (one process: about 600 µs in the 3rd pass, 300 µs by
 * the 9th; the two-process setup, whose instances see half the requests each, 1 340 → 700 µs).
 *
 *   node --import tsx bench/gateway-fleet.ts [--rounds 4] [--customers 200] [--calls 5] [--concurrency 4] [--pollers 40] [--warmup 6]
 */
import http from 'node:http';
import { loadavg } from 'node:os';
import { createClient } from 'redis';
import { API_PATHS } from '../src/client/protocol.js';
import { startRedisServer } from '../test/gateway/redisServer.js';
import type { GatewayChildStats } from './lib/gateway-child.js';
import { httpRequest, inBatches, startGatewayProcess, type Answer, type GatewayProcess } from './lib/gateway-process.js';
import { readRedisCounters, redisWork, type RedisCounters, type RedisWork } from './lib/redis-stats.js';
import { argValue, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess, type SimProcess } from './lib/sim-process.js';
import { latency, median, monoMs, sleep, type Latency } from './lib/stats.js';

const ROUNDS = Number(argValue('rounds') ?? 4);
const CUSTOMERS = Number(argValue('customers') ?? 200);
const CALLS = Number(argValue('calls') ?? 5);
const CONCURRENCY = Number(argValue('concurrency') ?? 4);
const POLLERS = Number(argValue('pollers') ?? 40);
/** Unrecorded passes first (JIT: see above). */
const WARMUP = Number(argValue('warmup') ?? 6);
/** Longer than a phase (a held poll stays upstream); short enough that a poll gone wrong ends the run in time. */
const POLL_WINDOW_MS = 20_000;
const SETUPS = ['memory', 'redis', 'redis-2'] as const;
type SetupName = (typeof SETUPS)[number];

/** Per request of a phase. */
interface PhaseCost {
  requests: number;
  /** Gateway CPU (user + system, every instance of the setup), µs per request. */
  gatewayCpuUs: number;
  /** The same, as a share of one core while the phase ran (every instance together). */
  gatewayCpuPercent: number;
  requestsPerSecond: number;
  /** The gateways' answers by status, and their error lines by text (every instance). */
  gatewayAnswers: Record<string, number>;
  redis: {
    roundTrips: number;
    commands: number;
    /** Redis's server time in the round trips, µs per request. */
    usec: number;
    /** Redis process CPU, µs per request. */
    cpuUs: number;
    byCommand: Record<string, number>;
  };
}

interface RoundResult {
  round: number;
  setup: SetupName;
  /** Position of the setup in this round's order (1 = first). */
  position: number;
  load1: number;
  light: Latency & PhaseCost & { errors: number };
  busy: Latency & PhaseCost & { errors: number };
  polls: Latency & PhaseCost & { errors: number };
  replacement: PhaseCost & {
    /** Second poll sent → it arrives upstream. */
    upstream: Latency;
    /** Second poll sent → the older answered (empty). */
    olderAnswered: Latency;
    /** Older polls not answered 200 with nothing in them, or second polls not answered with the agent's text. */
    errors: number;
  };
}

type Phase = 'light' | 'busy' | 'polls' | 'replacement';
type Samples = Record<'light' | 'busy' | 'polls' | 'upstream' | 'olderAnswered', number[]>;

/** Medians over the rounds, per request (replacement: per replacement, two polls). */
interface PhaseCostSummary {
  gatewayCpuUs: number;
  gatewayCpuPercent: number;
  redisRoundTrips: number;
  redisCommands: number;
  redisCpuUs: number;
}

/** Every round's samples pooled; costs per request, medians over the rounds. */
interface SetupSummary {
  light: Latency;
  busy: Latency;
  polls: Latency;
  replacementUpstream: Latency;
  replacementOlderAnswered: Latency;
  cost: Record<Phase, PhaseCostSummary>;
  load1: number[];
}

interface Setup {
  name: SetupName;
  gateways: GatewayProcess[];
  agents: http.Agent[];
  /** Next instance in turn (round robin over every request of the setup). */
  turn: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  console.log(`gateway fleet: ${ROUNDS} rounds; ${CUSTOMERS} customers, a call each one at a time, then ${CALLS} each ${CONCURRENCY} at a time; ${POLLERS} pollers; load ${machine.loadAverage.join(' ')}`);
  const redisServer = await startRedisServer();
  const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: POLL_WINDOW_MS, sessionIdleTimeoutMs: 3_600_000 } });
  const gatewayConfig = { upstream: sim.url, ...sim.credentials, channelId: sim.channelId, longPollWindowMs: POLL_WINDOW_MS };
  const redis = createClient({ url: redisServer.url });
  await redis.connect();
  const counters = (): Promise<RedisCounters> => readRedisCounters(redis);

  const setups: Setup[] = [];
  const gatewaysOf: Record<SetupName, GatewayProcess[]> = {
    memory: [await startGatewayProcess(gatewayConfig)],
    redis: [await startGatewayProcess({ ...gatewayConfig, redisUrl: redisServer.url, keyPrefix: 'bench-one:' })],
    'redis-2': await Promise.all([0, 1].map(() => startGatewayProcess({ ...gatewayConfig, redisUrl: redisServer.url, keyPrefix: 'bench-two:' }))),
  };
  for (const name of SETUPS) {
    const gateways = gatewaysOf[name];
    setups.push({ name, gateways, agents: gateways.map(() => new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 2 })), turn: 0 });
  }

  const results: RoundResult[] = [];
  /** Every sample of every round, per setup: the pooled figures of the summary. */
  const pooled = Object.fromEntries(SETUPS.map((s): [SetupName, Samples] => [s, { light: [], busy: [], polls: [], upstream: [], olderAnswered: [] }])) as Record<SetupName, Samples>;

  for (let pass = 1; pass <= WARMUP; pass++) {
    for (const setup of setups) await runSetup(setup, sim, counters, 0, `w${pass}`, CUSTOMERS, POLLERS);
  }
  console.log(`warm-up: ${WARMUP} passes, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  for (let round = 1; round <= ROUNDS; round++) {
    const order = SETUPS.map((_, i) => setups[(i + round - 1) % setups.length]!);
    for (const [i, setup] of order.entries()) {
      const { result, samples } = await runSetup(setup, sim, counters, round, `r${round}`, CUSTOMERS, POLLERS);
      result.position = i + 1;
      results.push(result);
      for (const key of Object.keys(samples) as (keyof typeof samples)[]) pooled[setup.name][key].push(...samples[key]);
      const l = (x: Latency) => `${x.p50.toFixed(2)}/${x.p99.toFixed(2)}/${x.max.toFixed(1)}`;
      const c = (x: PhaseCost) => `gw CPU ${x.gatewayCpuUs.toFixed(0)} µs, Redis ${x.redis.roundTrips.toFixed(2)} round trips / ${x.redis.commands.toFixed(1)} commands, ${x.redis.cpuUs.toFixed(0)} µs CPU`;
      console.log(
        `round ${round} ${setup.name.padEnd(7)} (load ${result.load1.toFixed(2)}): calls one at a time p50/p99/max ${l(result.light)} ms (${c(result.light)}; ${result.light.errors} errors); ` +
          `${CONCURRENCY} at a time ${l(result.busy)} ms (${c(result.busy)}, gw ${result.busy.gatewayCpuPercent.toFixed(0)} % CPU; ${result.busy.errors} errors); ` +
          `polls ${l(result.polls)} ms (${c(result.polls)}; ${result.polls.errors} errors); ` +
          `replacement → upstream ${l(result.replacement.upstream)} ms, older answered ${l(result.replacement.olderAnswered)} ms (${c(result.replacement)}; ${result.replacement.errors} errors)`,
      );
    }
  }

  const summary = {} as Record<SetupName, SetupSummary>;
  for (const name of SETUPS) {
    const mine = results.filter((r) => r.setup === name);
    const costs = (phase: Phase): PhaseCostSummary => ({
      gatewayCpuUs: median(mine.map((r) => r[phase].gatewayCpuUs)),
      gatewayCpuPercent: median(mine.map((r) => r[phase].gatewayCpuPercent)),
      redisRoundTrips: median(mine.map((r) => r[phase].redis.roundTrips)),
      redisCommands: median(mine.map((r) => r[phase].redis.commands)),
      redisCpuUs: median(mine.map((r) => r[phase].redis.cpuUs)),
    });
    const p = pooled[name];
    summary[name] = {
      light: latency(p.light),
      busy: latency(p.busy),
      polls: latency(p.polls),
      replacementUpstream: latency(p.upstream),
      replacementOlderAnswered: latency(p.olderAnswered),
      cost: { light: costs('light'), busy: costs('busy'), polls: costs('polls'), replacement: costs('replacement') },
      load1: mine.map((r) => r.load1),
    };
  }
  /**
   * What a setup adds to memory's: within each round (the setups ran seconds apart, under the
   * same load) the difference of the figures, then the median over the rounds.
   */
  const delta = (name: SetupName) => {
    const paired = (figure: (r: RoundResult) => number): number =>
      median(results.filter((r) => r.setup === name).map((r) => figure(r) - figure(results.find((m) => m.setup === 'memory' && m.round === r.round)!)));
    return {
      lightP50Ms: paired((r) => r.light.p50),
      lightP99Ms: paired((r) => r.light.p99),
      busyP50Ms: paired((r) => r.busy.p50),
      busyP99Ms: paired((r) => r.busy.p99),
      pollsP50Ms: paired((r) => r.polls.p50),
      pollsP99Ms: paired((r) => r.polls.p99),
      replacementP50Ms: paired((r) => r.replacement.upstream.p50),
      replacementP99Ms: paired((r) => r.replacement.upstream.p99),
      gatewayCpuUsPerCall: paired((r) => r.busy.gatewayCpuUs),
      gatewayCpuUsPerPoll: paired((r) => r.polls.gatewayCpuUs),
    };
  };
  const overMemory = { redis: delta('redis'), 'redis-2': delta('redis-2') };
  for (const name of SETUPS) {
    const s = summary[name];
    console.log(
      `${name.padEnd(7)} all rounds: calls one at a time p50/p99 ${s.light.p50.toFixed(2)}/${s.light.p99.toFixed(2)} ms, ${CONCURRENCY} at a time ${s.busy.p50.toFixed(2)}/${s.busy.p99.toFixed(2)} ms, polls ${s.polls.p50.toFixed(2)}/${s.polls.p99.toFixed(2)} ms, replacement ${s.replacementUpstream.p50.toFixed(2)}/${s.replacementUpstream.p99.toFixed(2)} ms; ` +
        `per call gw CPU ${s.cost.busy.gatewayCpuUs.toFixed(0)} µs, Redis ${s.cost.busy.redisRoundTrips.toFixed(2)} round trips, ${s.cost.busy.redisCommands.toFixed(2)} commands`,
    );
  }
  const signed = (x: number, digits = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
  for (const [name, d] of Object.entries(overMemory)) {
    console.log(
      `${name} over memory (median of the rounds' differences): calls one at a time p50 ${signed(d.lightP50Ms)} ms, p99 ${signed(d.lightP99Ms)} ms; ${CONCURRENCY} at a time p50 ${signed(d.busyP50Ms)}, p99 ${signed(d.busyP99Ms)} ms; ` +
        `polls p50 ${signed(d.pollsP50Ms)}, p99 ${signed(d.pollsP99Ms)} ms; replacement p50 ${signed(d.replacementP50Ms)}, p99 ${signed(d.replacementP99Ms)} ms; ` +
        `gateway CPU ${signed(d.gatewayCpuUsPerCall, 0)} µs per call, ${signed(d.gatewayCpuUsPerPoll, 0)} µs per poll`,
    );
  }

  const redisVersion = /redis_version:(\S+)/.exec(String(await redis.sendCommand(['INFO', 'server'])))?.[1] ?? 'unknown';
  for (const setup of setups) for (const agent of setup.agents) agent.destroy();
  for (const gateway of setups.flatMap((s) => s.gateways)) await gateway.close();
  await sim.close();
  await redis.quit();
  await redisServer.stop();
  writeResult(
    'gateway-fleet',
    started,
    { redisVersion, method: { rounds: ROUNDS, customers: CUSTOMERS, calls: CALLS, concurrency: CONCURRENCY, pollers: POLLERS, pollWindowMs: POLL_WINDOW_MS }, summary, overMemory, rounds: results },
    machine,
  );
}

async function runSetup(
  setup: Setup,
  sim: SimProcess,
  counters: () => Promise<RedisCounters>,
  round: number,
  tag: string,
  customers: number,
  pollers: number,
): Promise<{ result: RoundResult; samples: Samples }> {
  const load1 = loadavg()[0] ?? 0;
  const n = setup.gateways.length;
  /** A request to instance `instance` (default: the next in turn). */
  const request = (path: string, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, instance = setup.turn++ % n): Promise<Answer> =>
    httpRequest(setup.agents[instance]!, `${setup.gateways[instance]!.url}/aicc${path}`, options).catch((error: { code?: string }) => ({ status: 0, body: String(error.code ?? error) }));
  const post = (userId: string, token: string | undefined, path: string, body: object) =>
    request(path, { method: 'POST', headers: { 'x-user': userId, 'content-type': 'application/json', ...(token ? { 'ccmessaging-token': token } : {}) }, body: JSON.stringify(body) });
  const poll = (userId: string, token: string, instance?: number) =>
    request(`${API_PATHS.poll}?receiverId=${encodeURIComponent(userId)}&channel=WEB`, { method: 'GET', headers: { 'x-user': userId, 'ccmessaging-token': token } }, instance);

  /** Gateway CPU and Redis's work while `work` runs, per request. */
  async function measured<T>(requests: number, work: () => Promise<T>): Promise<{ value: T; cost: PhaseCost }> {
    await Promise.all(setup.gateways.map((g) => g.call({ type: 'resetStats' })));
    const before = await counters();
    const t0 = performance.now();
    const value = await work();
    const seconds = (performance.now() - t0) / 1000;
    const after = await counters();
    const stats = await Promise.all(setup.gateways.map((g) => g.call<GatewayChildStats>({ type: 'stats' })));
    const redis: RedisWork = redisWork(before, after);
    const per = (x: number) => x / requests;
    const gatewayAnswers: Record<string, number> = {};
    for (const { answers } of stats) for (const [key, count] of Object.entries(answers)) gatewayAnswers[key] = (gatewayAnswers[key] ?? 0) + count;
    return {
      value,
      cost: {
        requests,
        gatewayCpuUs: per(stats.reduce((sum, s) => sum + s.cpuMs, 0) * 1000),
        gatewayCpuPercent: (stats.reduce((sum, s) => sum + s.cpuMs / s.elapsedMs, 0)) * 100,
        requestsPerSecond: requests / seconds,
        gatewayAnswers,
        redis: {
          roundTrips: per(redis.roundTrips),
          commands: per(redis.commands),
          usec: per(redis.usec),
          cpuUs: per(redis.cpuMs * 1000),
          byCommand: Object.fromEntries(Object.entries(redis.byCommand).map(([k, v]) => [k, per(v)])),
        },
      },
    };
  }

  const users = Array.from({ length: customers }, (_, i) => `${setup.name}${tag}-${i}`);
  const tokens = await inBatches(customers, CONCURRENCY, async (i) => {
    const answer = await post(users[i]!, undefined, '/token', {});
    const token = answer.status === 200 ? (JSON.parse(answer.body) as { token?: string }).token : undefined;
    if (!token) throw new Error(`${setup.name}: no token for ${users[i]}: HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
    return token;
  });

  // 1 and 2. Non-poll calls, one at a time, then several at a time.
  let callErrors = 0;
  const call = async (i: number): Promise<number> => {
    const t0 = performance.now();
    const answer = await post(users[i]!, tokens[i], API_PATHS.getSatisfactionSurveyMode, { language: 'en_US' });
    if (answer.status !== 200) callErrors += 1;
    return performance.now() - t0;
  };
  const light = await measured(customers, () => inBatches(customers, 1, call));
  const lightErrors = callErrors;
  callErrors = 0;
  // Customer by customer, each one's calls spread over the run.
  const busy = await measured(customers * CALLS, () => inBatches(customers * CALLS, CONCURRENCY, (k) => call(k % customers)));

  // 2. Polls answered with what the agent said.
  const polling = users.slice(0, pollers);
  await inBatches(pollers, CONCURRENCY, async (i) => {
    const answer = await post(polling[i]!, tokens[i], API_PATHS.send, { controlType: 'CONNECT', mediaType: 'TEXT', sourceType: 'CUSTOMER', from: polling[i], to: sim.channelId, channel: 'WEB' });
    if (answer.status !== 200) throw new Error(`${setup.name}: CONNECT of ${polling[i]}: HTTP ${answer.status}`);
  });
  let pollErrors = 0;
  const says = async (userId: string): Promise<void> => {
    const said = await sim.say([userId]);
    if (said.sent !== 1) throw new Error(`${setup.name}: the agent could not talk to ${userId}`);
  };
  const hasAgentText = (answer: Answer) => answer.status === 200 && answer.body.includes('lat:');
  const polls = await measured(pollers * 2, async () =>
    (
      await inBatches(pollers, CONCURRENCY, async (i) => {
        // Two polls, one after the other (a customer has one poll at a time).
        const times: number[] = [];
        for (let k = 0; k < 2; k++) {
          await says(polling[i]!);
          const t0 = performance.now();
          const answer = await poll(polling[i]!, tokens[i]!);
          times.push(performance.now() - t0);
          if (!hasAgentText(answer)) pollErrors += 1;
        }
        return times;
      })
    ).flat(),
  );

  // 3. A second poll replacing the first.
  await sim.watchPolls(polling);
  const arrivals = async (userId: string, count: number): Promise<number[]> => {
    for (;;) {
      const at = await sim.pollArrivals(userId);
      if (at.length >= count) return at;
      await sleep(1);
    }
  };
  let replacementErrors = 0;
  const upstream: number[] = [];
  const olderAnswered: number[] = [];
  const replacement = await measured(pollers, async () => {
    for (const [i, userId] of polling.entries()) {
      const token = tokens[i]!;
      const first = i % n;
      const older = poll(userId, token, first);
      await arrivals(userId, 1);
      const t0 = monoMs();
      const newer = poll(userId, token, (first + 1) % n);
      const olderAnswer = await older;
      olderAnswered.push(monoMs() - t0);
      if (olderAnswer.status !== 200 || ((JSON.parse(olderAnswer.body) as { downlinkMessages?: unknown[] }).downlinkMessages ?? []).length !== 0) replacementErrors += 1;
      const at = await arrivals(userId, 2);
      upstream.push(at[1]! - t0);
      await says(userId);
      if (!hasAgentText(await newer)) replacementErrors += 1;
    }
  });

  return {
    result: {
      round,
      setup: setup.name,
      position: 0,
      load1,
      light: { ...latency(light.value), ...light.cost, errors: lightErrors },
      busy: { ...latency(busy.value), ...busy.cost, errors: callErrors },
      polls: { ...latency(polls.value), ...polls.cost, errors: pollErrors },
      replacement: { upstream: latency(upstream), olderAnswered: latency(olderAnswered), ...replacement.cost, errors: replacementErrors },
    },
    samples: { light: light.value, busy: busy.value, polls: polls.value, upstream, olderAnswered },
  };
}

await main();
