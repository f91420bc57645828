/**
 * Gateway capacity (issue 17.1): how many customers one gateway process holds with a long poll
 * open each, what that costs in memory, and what it does to everyone else's calls.
 *
 * Three processes: the simulator (bench/lib/sim-child.ts, agent channel, a poll window longer
 * than a step), the gateway (bench/lib/gateway-child.ts: createGateway + createGatewayServer, the
 * sources), and this one, which plays the customers over bare node:http. Per step N:
 *
 *   1. N customers fetch a sealed token through the gateway (/token → applyToken upstream).
 *   2. Baseline: gateway heap and RSS after a full GC; latency of non-poll calls
 *      (getsatisfactionsurveymode, 20 other customers, 4 at a time) with no poll open.
 *   3. Every customer opens one long poll (its own socket); the step waits until the simulator
 *      has received all N.
 *   4. With the N polls open: the same non-poll calls (p50/p99/max), gateway heap and RSS after
 *      a full GC (→ per open poll), gateway CPU and event-loop delay p99 while they ran.
 *   5. Every poll is aborted (the browser leaves); the gateway aborts them upstream.
 *
 * Each step runs `--rounds` times (default 2; rounds alternate over the steps, so a burst of
 * other work on the shared machine does not land on one N only), with fresh customers each time.
 * Every step records the 1-minute load average, the gateway's open descriptors and what it
 * answered, and this process's own event-loop delay and CPU while it measured (the load generator
 * must not be the bottleneck: polls and calls go over bare node:http, calls on a keep-alive agent).
 *
 * The per-process open-file limit (`ulimit -Hn`, 20000 here; spawn.ts raises the soft limit to
 * it) bounds N: the gateway holds two sockets per open poll (browser side, upstream side), so
 * 10 000 polls need 20 000 descriptors plus the process's own (about 25).
 *
 * The gateway's poll pool is what that limit leaves (9 680 here, limits.pollSockets' default): at
 * N above it the rest of the polls wait in the gateway. `--poll-sockets Infinity` shows what an
 * unbounded pool does instead (→ bench/results/gateway-capacity-pool-Infinity.json).
 *
 * `--front h2`: the customers' requests (tokens, polls, the measured calls) reach the gateway as
 * streams of a few h2c connections, `--per-connection` customers each (default 1 000), round robin,
 * as a balancer speaking HTTP/2 to its backends sends them (createGatewayHttp2Server). An open
 * poll then holds one descriptor in the gateway, its upstream socket; the poll pool is what the
 * limit leaves after the API pool and the reserve (19 616 here) → bench/results/gateway-capacity-front-h2.json
 * (`--front http1`, the default made explicit: → gateway-capacity-front-http1.json, for a side-by-side run).
 *
 *   node --import tsx bench/gateway-capacity.ts [--steps 1000,2500,5000,8000,9500,10000] [--rounds 2] [--samples 400] [--poll-sockets N|Infinity] [--front http1|h2] [--per-connection 1000]
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { API_PATHS } from '../src/client/protocol.js';
import type { GatewayChildStats } from './lib/gateway-child.js';
import type { ClientHttp2Session } from 'node:http2';
import { h2Connection, h2Request, httpRequest, inBatches, startGatewayProcess, type Answer } from './lib/gateway-process.js';
import { argValue, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { openFileLimit } from './lib/spawn.js';
import { cpuMs, latency, monoMs, sleep, type Latency } from './lib/stats.js';

const STEPS = (argValue('steps') ?? '1000,2500,5000,8000,9500,10000').split(',').map(Number);
const ROUNDS = Number(argValue('rounds') ?? 2);
/** `limits.pollSockets` of the gateway ("Infinity" allowed); its default when not given. */
const POLL_SOCKETS = argValue('poll-sockets');
const SAMPLES = Number(argValue('samples') ?? 400);
const FRONT = argValue('front') === 'h2' ? 'h2' : 'http1';
/** With `--front h2`: customers per h2c connection (a balancer's connections to this gateway). */
const PER_CONNECTION = Number(argValue('per-connection') ?? 1000);
const CALLERS = 20;
const OPEN_BATCH = 500;
const CONCURRENCY = 4;
const POLL_WINDOW_MS = 600_000;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface StepResult {
  round: number;
  /** HTTP/1.1 connection per customer, or h2c streams over `connections` connections. */
  front: 'http1' | 'h2';
  connections: number;
  polls: number;
  /** 1-minute load average when the step started (other work on the shared machine). */
  load1: number;
  /** Polls the simulator had received when the measurement started. */
  pollsUpstream: number;
  /** Polls neither upstream nor ended: waiting in the gateway for a socket of the poll pool. */
  pollsWaiting: number;
  /** Polls answered (or failed) before they were aborted: should be 0. */
  pollsEndedEarly: number;
  /** How those ended: HTTP status, or the client-side error code. */
  pollsEndedHow: Record<string, number>;
  /** The gateway's open descriptors with the polls open. */
  gatewayOpenFds: number;
  /** The gateway's answers (status) and upstream network errors (code) while the polls opened and the calls ran. */
  gatewayAnswers: Record<string, number>;
  /** This process (the load generator) while it measured with the polls open. */
  generatorCpuPercent: number;
  generatorLoopDelayP99Ms: number;
  idle: Latency;
  loaded: Latency;
  /** Non-poll calls that did not answer 200 (idle + loaded). */
  errors: number;
  heapPerPollBytes: number;
  rssPerPollBytes: number;
  externalPerPollBytes: number;
  gatewayCpuPercent: number;
  gatewayLoopDelayP99Ms: number;
  loginMs: number;
  openMs: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  console.log(`gateway capacity: steps ${STEPS.join(', ')}; open-file limit ${openFileLimit() ?? '?'}; load ${machine.loadAverage.join(' ')}`);
  const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: POLL_WINDOW_MS, sessionIdleTimeoutMs: 3_600_000 } });
  const gateway = await startGatewayProcess({
    upstream: sim.url,
    ...sim.credentials,
    channelId: sim.channelId,
    longPollWindowMs: POLL_WINDOW_MS,
    front: FRONT,
    ...(POLL_SOCKETS !== undefined ? { pollSockets: POLL_SOCKETS } : {}),
  });
  console.log(`gateway poll pool: ${gateway.pollSockets} sockets; front ${FRONT}${FRONT === 'h2' ? `, ${PER_CONNECTION} customers per connection` : ''}`);
  const base = `${gateway.url}/aicc`;
  const calls = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const polls = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  /** The balancer's h2c connections (front h2), enough for the largest step. */
  const connections: ClientHttp2Session[] = [];
  if (FRONT === 'h2') {
    const count = Math.ceil((Math.max(...STEPS) + CALLERS) / PER_CONNECTION);
    for (let i = 0; i < count; i++) connections.push(await h2Connection(gateway.url));
  }
  let nextConnection = 0;
  /** One request the way the front sends it: HTTP/1.1 on `agent`, or a stream of the next h2 connection (round robin). */
  const request = (agent: http.Agent, url: string, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, signal?: AbortSignal): Promise<Answer> => {
    if (FRONT === 'http1') return httpRequest(agent, url, options, signal);
    const session = connections[nextConnection++ % connections.length]!;
    return h2Request(session, url, options, signal);
  };
  const results: StepResult[] = [];

  const login = async (userId: string): Promise<string> => {
    const answer = await request(calls, `${base}/token`, { method: 'POST', headers: { 'x-user': userId, 'content-type': 'application/json' }, body: '{}' });
    const token = (JSON.parse(answer.body) as { token?: string }).token;
    if (answer.status !== 200 || !token) throw new Error(`token for ${userId}: HTTP ${answer.status}`);
    return token;
  };
  const callers = await inBatches(CALLERS, CALLERS, async (i) => ({ userId: `c${i}`, token: await login(`c${i}`) }));
  let errors = 0;
  const sampleCalls = async (): Promise<number[]> =>
    inBatches(SAMPLES, CONCURRENCY, async (i) => {
      const caller = callers[i % CALLERS]!;
      const t0 = performance.now();
      const answer = await request(calls, base + API_PATHS.getSatisfactionSurveyMode, {
        method: 'POST',
        headers: { 'x-user': caller.userId, 'ccmessaging-token': caller.token, 'content-type': 'application/json' },
        body: '{"language":"en_US"}',
      }).catch(() => ({ status: 0, body: '' }));
      if (answer.status !== 200) errors += 1;
      return performance.now() - t0;
    });
  await sampleCalls(); // warm-up
  const idleFds = (await gateway.call<GatewayChildStats>({ type: 'stats' })).openFds;

  const generatorLoop = monitorEventLoopDelay({ resolution: 10 });
  generatorLoop.enable();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const n of STEPS) results.push(await step(round, n));
  }

  async function step(round: number, n: number): Promise<StepResult> {
    errors = 0;
    const load1 = loadavg()[0] ?? 0;
    await gateway.call({ type: 'resetStats' });
    const t0 = performance.now();
    const users = await inBatches(n, 100, async (i) => ({ userId: `r${round}s${n}-${i}`, token: await login(`r${round}s${n}-${i}`) }));
    const loginMs = performance.now() - t0;
    const idle = latency(await sampleCalls());
    const before = await gateway.call<Memory>({ type: 'memory' });
    const pollsBefore = (await sim.stats()).byApi['poll'] ?? 0;

    const t1 = performance.now();
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const endedHow: Record<string, number> = {};
    let ended = 0;
    const end = (how: string): void => {
      ended += 1;
      endedHow[how] = (endedHow[how] ?? 0) + 1;
    };
    // Customers arrive OPEN_BATCH at a time, each batch once the previous one is upstream: the
    // step measures polls held open, not thousands of connections in the same instant (on this
    // starved machine that surge alone made Node's server answer 408 to some: its headers
    // timeout counts from the connection's start).
    for (let i = 0; i < users.length; i += OPEN_BATCH) {
      for (const u of users.slice(i, i + OPEN_BATCH)) {
        const query = `?receiverId=${encodeURIComponent(u.userId)}&channel=WEB`;
        request(polls, base + API_PATHS.poll + query, { method: 'GET', headers: { 'x-user': u.userId, 'ccmessaging-token': u.token } }, controller.signal).then(
          (answer) => end(String(answer.status)),
          (error: { name?: string; code?: string }) => {
            if (error.name !== 'AbortError') end(error.code ?? 'error');
          },
        );
      }
      const opened = Math.min(users.length, i + OPEN_BATCH, gateway.pollSockets);
      for (let waited = 0; waited < 10_000; waited += 50) {
        if (((await sim.stats()).byApi['poll'] ?? 0) - pollsBefore + ended >= opened) break;
        await sleep(50);
      }
    }
    // Until every poll is upstream (as many as the poll pool holds; the rest wait in the gateway)
    // or has ended (a poll the gateway could not forward).
    let upstream = 0;
    for (let waited = 0; waited < 120_000; waited += 100) {
      upstream = ((await sim.stats()).byApi['poll'] ?? 0) - pollsBefore;
      if (upstream + ended >= Math.min(n, gateway.pollSockets)) break;
      await sleep(100);
    }
    // Those that could still arrive have had their chance.
    await sleep(1000);
    upstream = ((await sim.stats()).byApi['poll'] ?? 0) - pollsBefore;
    const openMs = performance.now() - t1;
    const opening = await gateway.call<GatewayChildStats>({ type: 'stats' });
    await gateway.call({ type: 'resetStats' });
    generatorLoop.reset();
    const generatorCpu0 = cpuMs();
    const generatorT0 = monoMs();
    const loaded = latency(await sampleCalls());
    const generatorCpuPercent = ((cpuMs() - generatorCpu0) / (monoMs() - generatorT0)) * 100;
    const stats = await gateway.call<GatewayChildStats>({ type: 'stats' });
    const after = await gateway.call<Memory>({ type: 'memory' });
    const answers = { ...opening.answers };
    for (const [key, count] of Object.entries(stats.answers)) answers[key] = (answers[key] ?? 0) + count;
    const result: StepResult = {
      round,
      front: FRONT,
      connections: FRONT === 'h2' ? Math.min(connections.length, Math.ceil(n / PER_CONNECTION)) : n,
      polls: n,
      load1,
      pollsUpstream: upstream,
      pollsWaiting: n - upstream - ended,
      pollsEndedEarly: ended,
      pollsEndedHow: endedHow,
      gatewayOpenFds: stats.openFds,
      gatewayAnswers: answers,
      generatorCpuPercent,
      generatorLoopDelayP99Ms: generatorLoop.percentile(99) / 1e6,
      idle,
      loaded,
      errors,
      heapPerPollBytes: (after.heapUsed - before.heapUsed) / n,
      rssPerPollBytes: (after.rss - before.rss) / n,
      externalPerPollBytes: (after.external - before.external) / n,
      gatewayCpuPercent: (stats.cpuMs / stats.elapsedMs) * 100,
      gatewayLoopDelayP99Ms: stats.loopDelayP99Ms,
      loginMs,
      openMs,
    };
    console.log(
      `round ${round} N=${n} (load ${load1.toFixed(1)}): ${upstream} polls upstream, ${n - upstream - ended} waiting, ${ended} ended early ${JSON.stringify(endedHow)}; gateway fds ${stats.openFds}, answers ${JSON.stringify(answers)}; ` +
        `non-poll p50/p99/max idle ${idle.p50.toFixed(1)}/${idle.p99.toFixed(1)}/${idle.max.toFixed(1)} ms, ` +
        `with the polls open ${loaded.p50.toFixed(1)}/${loaded.p99.toFixed(1)}/${loaded.max.toFixed(1)} ms, ${errors} errors; ` +
        `per open poll heap ${(result.heapPerPollBytes / 1024).toFixed(2)} KiB, RSS ${(result.rssPerPollBytes / 1024).toFixed(2)} KiB; ` +
        `generator CPU ${generatorCpuPercent.toFixed(0)} %, loop p99 ${result.generatorLoopDelayP99Ms.toFixed(1)} ms`,
    );
    controller.abort();
    // The next step starts once the gateway has let go of this one's sockets.
    let fds = 0;
    for (let waited = 0; waited < 60_000; waited += 250) {
      fds = (await gateway.call<GatewayChildStats>({ type: 'stats' })).openFds;
      if (fds < idleFds + 100) break;
      await sleep(250);
    }
    console.log(`  after the polls were aborted: gateway fds ${fds} (idle ${idleFds})`);
    return result;
  }

  await gateway.close();
  await sim.close();
  calls.destroy();
  polls.destroy();
  for (const session of connections) session.destroy();
  // `--front` given (http1 too): the file names it, so a side-by-side run does not replace the full sweep.
  const name = ['gateway-capacity', ...(argValue('front') !== undefined ? [`front-${FRONT}`] : []), ...(POLL_SOCKETS !== undefined ? [`pool-${POLL_SOCKETS}`] : [])].join('-');
  writeResult(
    name,
    started,
    { pollSockets: String(gateway.pollSockets), front: FRONT, ...(FRONT === 'h2' ? { perConnection: PER_CONNECTION, connections: connections.length } : {}), steps: results, rounds: ROUNDS, samples: SAMPLES, callers: CALLERS, concurrency: CONCURRENCY },
    machine,
  );
}

await main();
