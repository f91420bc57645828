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
 * The per-process open-file limit (ulimit -Hn, 20000 here) bounds N: the gateway holds two
 * sockets per open poll.
 *
 *   node --import tsx bench/gateway-capacity.ts [--steps 1000,2500,5000,8000] [--samples 400]
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { API_PATHS } from '../src/client/protocol.js';
import type { GatewayChildCommand, GatewayChildStats } from './lib/gateway-child.js';
import { argValue, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { openFileLimit, spawnNode } from './lib/spawn.js';
import { latency, sleep, type Latency } from './lib/stats.js';

const STEPS = (argValue('steps') ?? '1000,2500,5000,8000').split(',').map(Number);
const SAMPLES = Number(argValue('samples') ?? 400);
const CALLERS = 20;
const CONCURRENCY = 4;
const POLL_WINDOW_MS = 600_000;
const CHILD = fileURLToPath(new URL('./lib/gateway-child.ts', import.meta.url));

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface StepResult {
  polls: number;
  /** Polls the simulator had received when the measurement started. */
  pollsUpstream: number;
  /** Polls answered (or failed) before they were aborted: should be 0. */
  pollsEndedEarly: number;
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

function startGateway(config: object) {
  const child = spawnNode(CHILD, { args: [JSON.stringify(config)], nodeFlags: ['--expose-gc', '--max-old-space-size=4096'] });
  const waiting = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  return new Promise<{ url: string; call<T>(command: Omit<GatewayChildCommand, 'id'>): Promise<T>; close(): Promise<void> }>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`gateway process exited (${code})`)));
    child.on('message', (raw) => {
      const reply = raw as { id: number; ok: boolean; value: unknown };
      if (reply.id === 0) {
        const { url } = reply.value as { url: string };
        const call = <T>(command: Omit<GatewayChildCommand, 'id'>): Promise<T> =>
          new Promise<T>((done) => {
            const id = nextId++;
            waiting.set(id, done as (value: unknown) => void);
            child.send({ ...command, id });
          });
        resolve({
          url,
          call,
          close: async () => {
            const gone = new Promise<void>((done) => child.once('exit', () => done()));
            await call({ type: 'close' });
            await gone;
          },
        });
        return;
      }
      waiting.get(reply.id)?.(reply.value);
      waiting.delete(reply.id);
    });
  });
}

interface Answer {
  status: number;
  body: string;
}

function request(agent: http.Agent, url: string, options: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string }, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method, headers: options.headers, agent, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function inBatches<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  console.log(`gateway capacity: steps ${STEPS.join(', ')}; open-file limit ${openFileLimit() ?? '?'}; load ${machine.loadAverage.join(' ')}`);
  const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: POLL_WINDOW_MS, sessionIdleTimeoutMs: 3_600_000 } });
  const gateway = await startGateway({ upstream: sim.url, ...sim.credentials, channelId: sim.channelId, longPollWindowMs: POLL_WINDOW_MS });
  const base = `${gateway.url}/aicc`;
  const calls = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const polls = new http.Agent({ keepAlive: false, maxSockets: Infinity });
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

  for (const n of STEPS) {
    errors = 0;
    const t0 = performance.now();
    const users = await inBatches(n, 100, async (i) => ({ userId: `s${n}-${i}`, token: await login(`s${n}-${i}`) }));
    const loginMs = performance.now() - t0;
    const idle = latency(await sampleCalls());
    const before = await gateway.call<Memory>({ type: 'memory' });
    const pollsBefore = (await sim.stats()).byApi['poll'] ?? 0;

    const t1 = performance.now();
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    let ended = 0;
    for (const u of users) {
      const query = `?receiverId=${encodeURIComponent(u.userId)}&channel=WEB`;
      request(polls, base + API_PATHS.poll + query, { method: 'GET', headers: { 'x-user': u.userId, 'ccmessaging-token': u.token } }, controller.signal).then(
        () => (ended += 1),
        (error: { name?: string }) => {
          if (error.name !== 'AbortError') ended += 1;
        },
      );
    }
    let upstream = 0;
    for (let waited = 0; waited < 120_000; waited += 100) {
      upstream = ((await sim.stats()).byApi['poll'] ?? 0) - pollsBefore;
      if (upstream >= n) break;
      await sleep(100);
    }
    const openMs = performance.now() - t1;
    await gateway.call({ type: 'resetStats' });
    const loaded = latency(await sampleCalls());
    const stats = await gateway.call<GatewayChildStats>({ type: 'stats' });
    const after = await gateway.call<Memory>({ type: 'memory' });
    const result: StepResult = {
      polls: n,
      pollsUpstream: upstream,
      pollsEndedEarly: ended,
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
    results.push(result);
    console.log(
      `N=${n}: ${upstream} polls upstream, ${ended} ended early; non-poll p50/p99/max idle ${idle.p50.toFixed(1)}/${idle.p99.toFixed(1)}/${idle.max.toFixed(1)} ms, ` +
        `with the polls open ${loaded.p50.toFixed(1)}/${loaded.p99.toFixed(1)}/${loaded.max.toFixed(1)} ms, ${errors} errors; ` +
        `per open poll heap ${(result.heapPerPollBytes / 1024).toFixed(2)} KiB, RSS ${(result.rssPerPollBytes / 1024).toFixed(2)} KiB`,
    );
    controller.abort();
    await sleep(2000);
  }

  await gateway.close();
  await sim.close();
  calls.destroy();
  polls.destroy();
  writeResult('gateway-capacity', started, { steps: results, samples: SAMPLES, callers: CALLERS, concurrency: CONCURRENCY }, machine);
}

await main();
