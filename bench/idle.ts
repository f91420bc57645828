/**
 * Benchmark 4 — idle cost. M chatting sessions that nobody talks to, on the real 5000 ms
 * long-poll window, for a fixed window of time: requests per session per minute (should be the
 * long-poll cadence, 60000 / 5000 = 12, with never two polls of one session in flight) and CPU
 * per idle session. createChatSession sessions and bare-axios long-pollers run at the same time
 * in two worker processes (so they see the same machine load), against one simulator process.
 *
 *   node --import tsx bench/idle.ts [--quick]
 */
import { fileURLToPath } from 'node:url';
import { QUICK, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import type { SimInfo } from './lib/sim-protocol.js';
import { nextFromParent, startWorker, toParent } from './lib/spawn.js';
import { cpuMs, latency, monoMs, sleep } from './lib/stats.js';
import { BareSession, Waiter, bareGatewayHeaders, countingAxios, endSession, machineSession, onceChatting, sharedAuth, type RequestCounter } from './lib/wiring.js';
import type { ChatSessionActor } from '../src/index.js';

const SESSIONS = QUICK ? 100 : 500;
const WINDOW_MS = QUICK ? 15_000 : 60_000;
const BASELINE_MS = 5_000;
const LONG_POLL_MS = 5_000;

interface WorkerResult {
  kind: 'machine' | 'bare';
  sessions: number;
  baselineCpuMsPerMin: number;
  cpuMsPerMin: number;
  cpuMsPerSessionPerMin: number;
  client: RequestCounter;
  timersBefore: number;
  timersAfter: number;
  endedCleanly: number;
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function worker(kind: 'machine' | 'bare', sim: SimInfo): Promise<void> {
  const counter: RequestCounter = { byApi: {}, maxInFlightPolls: 0 };
  // Baseline: this process doing nothing.
  const c0 = cpuMs();
  const t0 = monoMs();
  await sleep(BASELINE_MS);
  const baselineCpuMsPerMin = ((cpuMs() - c0) / (monoMs() - t0)) * 60_000;
  const timersBefore = timers();

  const actors: ChatSessionActor[] = [];
  const bares: BareSession[] = [];
  if (kind === 'machine') {
    const auth = sharedAuth(sim);
    const waiter = new Waiter();
    let chatting = 0;
    for (let i = 0; i < SESSIONS; i++) {
      const actor = machineSession(sim, auth, `idlem-${i}`, { axios: countingAxios(counter, { maxRedirects: 0 }) });
      onceChatting(actor, () => {
        chatting++;
        waiter.notify();
      });
      actor.start();
      actors.push(actor);
      if (i % 50 === 49) await sleep(20);
    }
    await waiter.until(() => chatting === SESSIONS);
  } else {
    const gateway = await bareGatewayHeaders(sim);
    for (let i = 0; i < SESSIONS; i++) {
      const bare = new BareSession(sim, gateway, `idleb-${i}`, LONG_POLL_MS + 10_000, countingAxios(counter));
      await bare.applyToken();
      await bare.send('CONNECT');
      bare.startPolling(() => undefined);
      bares.push(bare);
    }
  }
  // Let the greetings and the first polls settle, then measure.
  await sleep(2 * LONG_POLL_MS);
  await toParent({ type: 'ready' });
  await nextFromParent('go');
  const before = { ...counter.byApi };
  const c1 = cpuMs();
  const t1 = monoMs();
  await nextFromParent('stop');
  const cpuMsPerMin = ((cpuMs() - c1) / (monoMs() - t1)) * 60_000;
  const during: Record<string, number> = {};
  for (const [api, n] of Object.entries(counter.byApi)) during[api] = n - (before[api] ?? 0);

  // Shut down and look for leftovers.
  let endedCleanly = 0;
  if (kind === 'machine') {
    const ended = await Promise.all(actors.map((actor) => endSession(actor)));
    endedCleanly = ended.filter(Boolean).length;
  } else {
    for (const bare of bares) {
      await bare.stop();
      await bare.send('DISCONNECT');
      endedCleanly++;
    }
  }
  await sleep(500);
  const result: WorkerResult = {
    kind,
    sessions: SESSIONS,
    baselineCpuMsPerMin,
    cpuMsPerMin,
    cpuMsPerSessionPerMin: (cpuMsPerMin - baselineCpuMsPerMin) / SESSIONS,
    client: { byApi: during, maxInFlightPolls: counter.maxInFlightPolls },
    timersBefore,
    timersAfter: timers(),
    endedCleanly,
  };
  await toParent({ type: 'result', result });
  process.exit(0);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: LONG_POLL_MS } });
  const self = fileURLToPath(import.meta.url);
  const workers = (['machine', 'bare'] as const).map((kind) => startWorker(self, { args: ['--worker', kind, JSON.stringify(sim)] }));
  try {
    await Promise.all(workers.map((w) => w.next('ready', 300_000)));
    await sim.resetStats();
    for (const w of workers) w.send({ type: 'go' });
    const t0 = monoMs();
    await sleep(WINDOW_MS);
    const simStats = await sim.stats();
    for (const w of workers) w.send({ type: 'stop' });
    const elapsedMin = (monoMs() - t0) / 60_000;
    const results = await Promise.all(workers.map((w) => w.next<{ result: WorkerResult }>('result', 120_000)));
    await Promise.all(workers.map((w) => w.exited));

    const perKind = (kind: 'machine' | 'bare', group: string) => {
      const r = results.find((x) => x.result.kind === kind)?.result as WorkerResult;
      const g = simStats.byGroup[group] ?? { byApi: {}, pollGapsMs: [] };
      const total = Object.values(g.byApi).reduce((a, b) => a + b, 0);
      return {
        sessions: r.sessions,
        requestsPerSessionPerMin: total / r.sessions / elapsedMin,
        pollsPerSessionPerMin: (g.byApi.poll ?? 0) / r.sessions / elapsedMin,
        serverSideByApi: g.byApi,
        pollGapMs: latency(g.pollGapsMs),
        minPollGapMs: g.pollGapsMs.length ? Math.min(...g.pollGapsMs) : null,
        maxPollsInFlightPerSession: r.client.maxInFlightPolls,
        cpuMsPerSessionPerMin: r.cpuMsPerSessionPerMin,
        cpuPercentOfCorePer1000Sessions: (r.cpuMsPerSessionPerMin * 1000) / 60_000 * 100,
        baselineCpuMsPerMin: r.baselineCpuMsPerMin,
        timersBefore: r.timersBefore,
        timersAfter: r.timersAfter,
        endedCleanly: r.endedCleanly,
      };
    };
    const result = {
      method: { sessionsEach: SESSIONS, windowMs: WINDOW_MS, longPollWindowMs: LONG_POLL_MS, expectedPollsPerMin: 60_000 / LONG_POLL_MS },
      machine: perKind('machine', 'idlem'),
      bare: perKind('bare', 'idleb'),
      violations: simStats.violations,
      simulatorCpuPercent: (simStats.cpuMs / simStats.elapsedMs) * 100,
    };
    writeResult('idle', startedAt, result, machine);
    console.log(JSON.stringify(result, (k, v) => (k === 'serverSideByApi' ? undefined : v), 1));
  } finally {
    for (const w of workers) w.kill();
    await sim.close();
  }
}

const workerIndex = process.argv.indexOf('--worker');
if (workerIndex >= 0) {
  await worker(process.argv[workerIndex + 1] as 'machine' | 'bare', JSON.parse(process.argv[workerIndex + 2] ?? '{}') as SimInfo);
} else {
  await main();
}
