/**
 * The 1,100-identity flood (issue 17): one honest customer chats while 1,100 identities, each
 * from an address of its own, flood the gateway with long polls and calls. Before issue 17 the
 * same flood (an attack run) pushed another customer's call from 2–3 ms to 13 s and their poll to
 * 504: every upstream request shared one pool of 256 sockets, full of the flood's polls.
 *
 * Four processes: the simulator (robot channel, the service's 5 s poll window), the gateway
 * (bench/lib/gateway-child.ts with every default limit, one trusted proxy hop), the flood
 * (bench/lib/flood-worker.ts) and this one, the honest customer. Per round:
 *
 *   1. Baseline: the honest customer chats on the idle gateway (CONNECT, then `--exchanges`
 *      times: send a text, poll until the robot's answer arrives, queryQueueInfo, 1 s pause).
 *   2. The flood starts: each identity opens `--burst` polls at once (one customer, many polls:
 *      the newest replaces the others), then keeps one poll open and calls queryQueueInfo every
 *      `--call-interval` ms. At once, a second honest customer chats the same way, on until
 *      every identity has had a poll upstream and `--windows` poll windows (6: 30 s) have passed.
 *   3. Their non-poll latency (p50/p90/p99/max) against the baseline, every poll's status, the
 *      time from a sent text to the robot's answer at the customer, and what the flood got.
 *
 *   node --import tsx bench/gateway-flood.ts [--identities 1100] [--burst 8] [--call-interval 2000] [--exchanges 20] [--rounds 2] [--backlog 4096]
 */
import http from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { API_PATHS, type DownlinkMessage } from '../src/client/index.js';
import type { GatewayChildStats } from './lib/gateway-child.js';
import type { FloodConfig, FloodStopped } from './lib/flood-worker.js';
import { httpRequest, startGatewayProcess } from './lib/gateway-process.js';
import { argValue, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { openFileLimit, startWorker } from './lib/spawn.js';
import { latency, sleep, type Latency } from './lib/stats.js';

const IDENTITIES = Number(argValue('identities') ?? 1100);
const BURST = Number(argValue('burst') ?? 8);
const CALL_INTERVAL_MS = Number(argValue('call-interval') ?? 2000);
const EXCHANGES = Number(argValue('exchanges') ?? 20);
/** An honest customer's pause between texts (also keeps them under the per-user rate limit, 300 a minute). */
const THINK_MS = 1000;
const ROUNDS = Number(argValue('rounds') ?? 2);
const WINDOW_MS = 5000;
/** The honest customer chats under the flood for at least this many poll windows. */
const FLOOD_WINDOWS = Number(argValue('windows') ?? 6);
/** Where the burst is taken to be over: calls started later count as the steady flood. */
const STEADY_AFTER_MS = Number(argValue('steady-after') ?? 15_000);
/** The gateway's listen backlog (`--backlog`); Node's default, 511, when not given. */
const BACKLOG = argValue('backlog') === undefined ? undefined : Number(argValue('backlog'));
const FLOOD_WORKER = fileURLToPath(new URL('./lib/flood-worker.ts', import.meta.url));

interface Chat {
  nonPoll: Latency;
  /** The same, only the calls started once the flood's burst was over (`--steady-after` ms after it began). */
  nonPollSteady: Latency;
  /** Sent text → the robot's answer in the customer's poll. */
  delivery: Latency;
  /** Every poll's status. */
  pollStatuses: Record<string, number>;
  /** Non-poll calls that did not answer 200. */
  errors: number;
  replies: number;
  /** Texts sent (CONNECT included). */
  exchanges: number;
}

interface Round {
  round: number;
  load1: number;
  idle: Chat;
  flood: Chat;
  /** How much slower under the flood: p50, p90, p99 of the non-poll calls. */
  ratio: { p50: number; p90: number; p99: number };
  floodAnswers: Record<string, number>;
  floodRequests: number;
  floodRequestsPerSecond: number;
  floodCpuPercent: number;
  floodLoopDelayP99Ms: number;
  gatewayCpuPercent: number;
  gatewayLoopDelayP99Ms: number;
  gatewayOpenFdsAfter: number;
  /** The simulator (AICC's stand-in, one process) while the honest customer chatted under the flood. */
  upstreamCpuPercent: number;
  upstreamLoopDelayP99Ms: number;
  chatMs: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  console.log(`gateway flood: ${IDENTITIES} identities, ${BURST} polls at once each, a call / ${CALL_INTERVAL_MS} ms each; open-file limit ${openFileLimit() ?? '?'}; load ${machine.loadAverage.join(' ')}`);
  const sim = await startSimProcess({ scenario: 'robot', timing: { longPollWindowMs: WINDOW_MS, robotReplyDelayMs: 5, sessionIdleTimeoutMs: 3_600_000 } });
  const gateway = await startGatewayProcess({ upstream: sim.url, ...sim.credentials, channelId: sim.channelId, longPollWindowMs: WINDOW_MS, defaultLimits: true, ...(BACKLOG ? { backlog: BACKLOG } : {}) });
  const base = `${gateway.url}/aicc`;
  const rounds: Round[] = [];

  /** Chats EXCHANGES times, and on until `more()` says no. */
  async function chat(userId: string, address: string, more: () => Promise<boolean> = async () => false, steadyFrom = 0): Promise<Chat> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const headers: Record<string, string> = { 'x-user': userId, 'x-forwarded-for': address };
    const post = (path: string, body: object) => httpRequest(agent, base + path, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => ({ status: 0, body: '' }));
    const token = (JSON.parse((await post('/token', {})).body || '{}') as { token?: string }).token;
    if (!token) throw new Error(`no token for ${userId}`);
    headers['ccmessaging-token'] = token;
    const nonPoll: number[] = [];
    const nonPollSteady: number[] = [];
    const delivery: number[] = [];
    const pollStatuses: Record<string, number> = {};
    let errors = 0;
    let replies = 0;
    let sent = 0;
    const timed = async (path: string, body: object): Promise<void> => {
      const t0 = performance.now();
      const answer = await post(path, body);
      nonPoll.push(performance.now() - t0);
      if (t0 >= steadyFrom) nonPollSteady.push(performance.now() - t0);
      if (answer.status !== 200) errors += 1;
    };
    const untilRobot = async (sentAt: number): Promise<void> => {
      for (let polls = 0; polls < 10; polls++) {
        const answer = await httpRequest(agent, `${base}${API_PATHS.poll}?receiverId=${userId}&channel=WEB`, { method: 'GET', headers }).catch(() => ({ status: 0, body: '' }));
        pollStatuses[answer.status] = (pollStatuses[answer.status] ?? 0) + 1;
        if (answer.status !== 200) continue;
        const messages = (JSON.parse(answer.body) as { downlinkMessages?: DownlinkMessage[] }).downlinkMessages ?? [];
        if (messages.some((m) => m.sourceType === 'ROBOT')) {
          replies += 1;
          delivery.push(performance.now() - sentAt);
          return;
        }
      }
    };
    const to = sim.channelId;
    let sentAt = performance.now();
    sent += 1;
    await timed(API_PATHS.send, { controlType: 'CONNECT', mediaType: 'TEXT', sourceType: 'CUSTOMER', from: userId, to, channel: 'WEB' });
    await untilRobot(sentAt);
    for (let i = 0; i < EXCHANGES || (await more()); i++) {
      sentAt = performance.now();
      sent += 1;
      await timed(API_PATHS.send, { controlType: 'CHAT', mediaType: 'TEXT', sourceType: 'CUSTOMER', content: `question ${i}`, from: userId, to, channel: 'WEB' });
      await untilRobot(sentAt);
      await timed(API_PATHS.queryQueueInfo, { userId, channelConfigId: to, channel: 'WEB' });
      await sleep(THINK_MS);
    }
    agent.destroy();
    return { nonPoll: latency(nonPoll), nonPollSteady: latency(nonPollSteady), delivery: latency(delivery), pollStatuses, errors, replies, exchanges: sent };
  }

  for (let round = 1; round <= ROUNDS; round++) {
    const load1 = loadavg()[0] ?? 0;
    const idle = await chat(`idle${round}`, `198.51.100.${round}`);
    const flood = startWorker(FLOOD_WORKER, {
      args: [JSON.stringify({ base, channelId: sim.channelId, identities: IDENTITIES, burst: BURST, callIntervalMs: CALL_INTERVAL_MS } satisfies FloodConfig)],
    });
    await flood.next('ready');
    await gateway.call({ type: 'resetStats' });
    await sim.resetStats();
    const pollsBefore = (await sim.stats()).byApi['poll'] ?? 0;
    flood.send({ type: 'start' });
    const t0 = performance.now();
    // From the flood's first request until every identity has held a poll upstream and
    // FLOOD_WINDOWS poll windows have passed (the burst, then the flood's steady cycle).
    const more = async (): Promise<boolean> =>
      performance.now() - t0 < FLOOD_WINDOWS * WINDOW_MS || ((await sim.stats()).byApi['poll'] ?? 0) - pollsBefore < IDENTITIES;
    const underFlood = await chat(`honest${round}`, `203.0.113.${round}`, more, t0 + STEADY_AFTER_MS);
    const simStats = await sim.stats();
    const chatMs = performance.now() - t0;
    const gatewayStats = await gateway.call<GatewayChildStats>({ type: 'stats' });
    flood.send({ type: 'stop' });
    const stopped = await flood.next<FloodStopped>('stopped');
    await flood.exited;
    const after = await gateway.call<GatewayChildStats>({ type: 'stats' });
    const result: Round = {
      round,
      load1,
      idle,
      flood: underFlood,
      ratio: { p50: underFlood.nonPoll.p50 / idle.nonPoll.p50, p90: underFlood.nonPoll.p90 / idle.nonPoll.p90, p99: underFlood.nonPoll.p99 / idle.nonPoll.p99 },
      floodAnswers: stopped.statuses,
      floodRequests: stopped.requests,
      floodRequestsPerSecond: stopped.requests / (chatMs / 1000),
      floodCpuPercent: stopped.cpuPercent,
      floodLoopDelayP99Ms: stopped.loopDelayP99Ms,
      gatewayCpuPercent: (gatewayStats.cpuMs / gatewayStats.elapsedMs) * 100,
      gatewayLoopDelayP99Ms: gatewayStats.loopDelayP99Ms,
      gatewayOpenFdsAfter: after.openFds,
      upstreamCpuPercent: (simStats.cpuMs / simStats.elapsedMs) * 100,
      upstreamLoopDelayP99Ms: simStats.loopDelayP99Ms,
      chatMs,
    };
    rounds.push(result);
    const l = (x: Latency) => `${x.p50.toFixed(1)}/${x.p90.toFixed(1)}/${x.p99.toFixed(1)}/${x.max.toFixed(1)}`;
    console.log(
      `round ${round} (load ${load1.toFixed(1)}): honest non-poll p50/p90/p99/max idle ${l(idle.nonPoll)} ms, under the flood ${l(underFlood.nonPoll)} ms, once the burst was over ${l(underFlood.nonPollSteady)} ms ` +
        `(×${result.ratio.p50.toFixed(1)}/×${result.ratio.p90.toFixed(1)}/×${result.ratio.p99.toFixed(1)}), ${underFlood.errors} errors; ` +
        `polls ${JSON.stringify(underFlood.pollStatuses)}, replies ${underFlood.replies}/${underFlood.exchanges} in ${(chatMs / 1000).toFixed(1)} s, delivery p50/p99 ${underFlood.delivery.p50.toFixed(1)}/${underFlood.delivery.p99.toFixed(1)} ms (idle ${idle.delivery.p50.toFixed(1)}/${idle.delivery.p99.toFixed(1)}); ` +
        `flood ${stopped.requests} requests (${result.floodRequestsPerSecond.toFixed(0)}/s) ${JSON.stringify(stopped.statuses)}, flood CPU ${stopped.cpuPercent.toFixed(0)} %; upstream (simulator) CPU ${result.upstreamCpuPercent.toFixed(0)} %, loop p99 ${result.upstreamLoopDelayP99Ms.toFixed(0)} ms; gateway CPU ${result.gatewayCpuPercent.toFixed(0)} %, loop p99 ${result.gatewayLoopDelayP99Ms.toFixed(1)} ms`,
    );
  }

  await gateway.close();
  await sim.close();
  writeResult(BACKLOG ? `gateway-flood-backlog-${BACKLOG}` : 'gateway-flood', started, { backlog: BACKLOG ?? 511, steadyAfterMs: STEADY_AFTER_MS, identities: IDENTITIES, burst: BURST, callIntervalMs: CALL_INTERVAL_MS, exchanges: EXCHANGES, windowMs: WINDOW_MS, rounds }, machine);
}

await main();
