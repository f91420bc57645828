/**
 * Transports side by side (issue #16): CPU per long poll and heap per long-polling session for
 * the axios (default), node:http, net (HTTP/1.1 on sockets) and fetch transports, at three levels:
 * - `raw`: the floor — a long-poller written directly on node:http, fetch, axios or a socket
 *   (bench/lib/rawPoller.ts), after the library's client applied the token and sent CONNECT;
 * - `client`: the library's client alone, CONNECT then `client.poll` in a loop (one poll in
 *   flight per user) — what the transport itself costs;
 * - `session`: createChatSession sessions in `chatting` that nobody talks to — what a Node back
 *   end pays per idle customer.
 * The workers of a level (one per transport) run at the same time (same machine load) against one simulator
 * process on the real 5000 ms long-poll window; polls are counted by the simulator. Ratios are
 * taken against axios within a round; rounds repeat the whole thing.
 *
 *   node --import tsx bench/transport.ts [--quick] [--level raw,client,session] [--rounds N]
 *   BENCH_DIST=/tmp/build  use a build of your own instead of dist/ (bench/lib/library.ts)
 */
import { fileURLToPath } from 'node:url';
import type { AiccClient } from '../src/index.js';
import { lib, LIBRARY_SOURCE } from './lib/library.js';
import { rawLongPoll } from './lib/rawPoller.js';
import { TRANSPORTS, makeTransport, type TransportName } from './lib/transports.js';
import { QUICK, machineInfo, writeResult } from './lib/results.js';
import { measureWindow, startSimProcess } from './lib/sim-process.js';
import type { SimInfo } from './lib/sim-protocol.js';
import { nextFromParent, startWorker, toParent } from './lib/spawn.js';
import { cpuMs, fullGc, monoMs, sleep, spread } from './lib/stats.js';
import { identityFor, machineSession, onceChatting, sharedAuth, startUsers } from './lib/wiring.js';

const LEVELS = ['raw', 'client', 'session'] as const;
type Level = (typeof LEVELS)[number];
/** The simulator groups users by id prefix: one prefix per transport and level. */
const groupOf = (name: TransportName, level: Level): string => `t${name}${level[0]}`;

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SESSIONS = Number(arg('sessions') ?? (QUICK ? 100 : 500));
const WINDOW_MS = QUICK ? 15_000 : 60_000;
const BASELINE_MS = 3_000;
const LONG_POLL_MS = 5_000;
const ROUNDS = Number(arg('rounds') ?? (QUICK ? 1 : 2));

interface WorkerResult {
  transport: TransportName;
  level: Level;
  sessions: number;
  heapPerSessionKB: number;
  /** Process CPU in the window: polls, timers, GC, everything the process did. */
  cpuMsInWindow: number;
  /** The process's CPU per ms before any session (reported, not subtracted: a start-up GC or compile would be charged to the polls' credit). */
  baselineCpuMsPerMs: number;
  windowMs: number;
  /** Polls this worker completed in the window (client level; the session level counts server-side). */
  pollsCounted: number;
  /** Polls of the raw and client levels that failed (timed out on a loaded machine) over the whole run. */
  pollErrors: number;
}

async function worker(name: TransportName, level: Level, sim: SimInfo): Promise<void> {
  // This process doing nothing of its own (IPC, timers): its CPU before any session starts,
  // reported next to the figures.
  const b0 = cpuMs();
  const bt = monoMs();
  await sleep(BASELINE_MS);
  const baselineCpuMsPerMs = (cpuMs() - b0) / (monoMs() - bt);
  const transport = await makeTransport(name);
  const via = transport ? { transport } : {};
  const auth = sharedAuth(sim);
  const prefix = groupOf(name, level);
  let polls = 0;
  let pollErrors = 0;
  let stopping = false;
  const loops: Promise<void>[] = [];

  const startClient = async (userId: string): Promise<void> => {
    const identity = identityFor(sim, userId);
    const client: AiccClient = lib.createAiccClient({
      baseUrl: sim.url,
      gatewayHeaders: auth.gatewayHeaders,
      token: lib.applyTokenProvider(auth.tokenClient, identity),
      longPollWindowMs: LONG_POLL_MS,
      ...via,
    });
    await client.send({ controlType: 'CONNECT', from: userId, to: sim.channelId });
    loops.push(
      (async () => {
        while (!stopping) {
          try {
            await client.poll({ userId });
            polls++;
          } catch {
            // A poll that timed out on a loaded machine: counted, and the loop goes on.
            pollErrors++;
          }
        }
      })(),
    );
  };
  // The floor: the session set up by the client, then polled with nothing of the library's.
  const startRaw = async (userId: string): Promise<void> => {
    let token = '';
    const client: AiccClient = lib.createAiccClient({
      baseUrl: sim.url,
      gatewayHeaders: auth.gatewayHeaders,
      token: async () => (token = (await auth.tokenClient.applyToken(identityFor(sim, userId))).token),
      onTokenRotated: (rotated) => (token = rotated),
    });
    await client.send({ controlType: 'CONNECT', from: userId, to: sim.channelId });
    const gateway = await auth.gatewayHeaders({ forceRefresh: false });
    loops.push(rawLongPoll(name, sim.url, userId, gateway, token, () => stopping, () => polls++, () => pollErrors++));
  };
  const startSession = (userId: string): Promise<void> =>
    new Promise((resolve) => {
      const actor = machineSession(sim, auth, userId, { longPollWindowMs: LONG_POLL_MS, ...via });
      onceChatting(actor, resolve);
      actor.start();
    });
  const start = level === 'raw' ? startRaw : level === 'client' ? startClient : startSession;

  // Warm-up: code loaded, JIT warm, the transport's first connection made; then the baseline.
  await start(`${prefix}-warm`);
  await sleep(2 * LONG_POLL_MS);
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed;

  // At most 200 users setting up at once (the simulator and this process share a loaded machine).
  await startUsers(SESSIONS, prefix, start, 200);
  await sleep(2 * LONG_POLL_MS);
  fullGc();
  const heapPerSessionKB = (process.memoryUsage().heapUsed - heapBefore) / SESSIONS / 1024;

  await toParent({ type: 'ready' });
  await nextFromParent('go');
  const c0 = cpuMs();
  const t0 = monoMs();
  const p0 = polls;
  await nextFromParent('stop');
  const windowMs = monoMs() - t0;
  const cpuMsInWindow = cpuMs() - c0;
  const pollsCounted = polls - p0;
  const result: WorkerResult = { transport: name, level, sessions: SESSIONS, heapPerSessionKB, cpuMsInWindow, baselineCpuMsPerMs, windowMs, pollsCounted, pollErrors };
  stopping = true;
  await toParent({ type: 'result', result });
  process.exit(0);
}

interface LevelRound {
  level: Level;
  round: number;
  byTransport: Record<TransportName, { heapPerSessionKB: number; cpuUsPerPoll: number; polls: number; pollErrors: number; cpuPercentOfCore: number; idleCpuPercentOfCore: number }>;
  simulatorCpuPercent: number;
  violations: Record<string, number>;
}

async function runLevel(level: Level, round: number): Promise<LevelRound> {
  const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: LONG_POLL_MS } });
  const self = fileURLToPath(import.meta.url);
  const workers = TRANSPORTS.map((t) => startWorker(self, { args: ['--worker', t, level, JSON.stringify(sim), '--sessions', String(SESSIONS)], nodeFlags: ['--expose-gc'] }));
  try {
    await Promise.all(workers.map((w) => w.next('ready', 600_000)));
    const { stats, results } = await measureWindow<WorkerResult>(sim, workers, WINDOW_MS);
    const byTransport = {} as LevelRound['byTransport'];
    for (const r of results) {
      const group = groupOf(r.transport, level);
      // Server-side count for both levels (the same measure); the client-level loop count is a cross-check.
      const polls = stats.byGroup[group]?.byApi.poll ?? r.pollsCounted;
      byTransport[r.transport] = {
        heapPerSessionKB: r.heapPerSessionKB,
        cpuUsPerPoll: (r.cpuMsInWindow * 1000) / Math.max(1, polls),
        polls,
        pollErrors: r.pollErrors,
        cpuPercentOfCore: (r.cpuMsInWindow / r.windowMs) * 100,
        idleCpuPercentOfCore: r.baselineCpuMsPerMs * 100,
      };
    }
    return { level, round, byTransport, simulatorCpuPercent: (stats.cpuMs / stats.elapsedMs) * 100, violations: stats.violations };
  } finally {
    for (const w of workers) w.kill();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  const levelArg = arg('level');
  const levels: Level[] = levelArg ? LEVELS.filter((l) => levelArg.split(',').includes(l)) : [...LEVELS];
  const rounds: LevelRound[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const level of levels) {
      const r = await runLevel(level, round);
      rounds.push(r);
      console.log(`transport ${level} round ${round + 1}: ${JSON.stringify(r.byTransport)}`);
    }
  }
  const summary = Object.fromEntries(
    levels.map((level) => {
      const mine = rounds.filter((r) => r.level === level);
      const per = (t: TransportName, key: 'heapPerSessionKB' | 'cpuUsPerPoll') => spread(mine.map((r) => r.byTransport[t][key]));
      const ratio = (t: TransportName, key: 'heapPerSessionKB' | 'cpuUsPerPoll') => spread(mine.map((r) => r.byTransport[t][key] / r.byTransport.axios[key]));
      return [
        level,
        Object.fromEntries(TRANSPORTS.map((t) => [t, { cpuUsPerPoll: per(t, 'cpuUsPerPoll'), heapPerSessionKB: per(t, 'heapPerSessionKB'), cpuRatioToAxios: ratio(t, 'cpuUsPerPoll'), heapRatioToAxios: ratio(t, 'heapPerSessionKB') }])),
      ];
    }),
  );
  const result = {
    method: { sessionsEach: SESSIONS, windowMs: WINDOW_MS, longPollWindowMs: LONG_POLL_MS, rounds: ROUNDS, library: LIBRARY_SOURCE },
    summary,
    rounds,
  };
  writeResult('transport', startedAt, result, machine);
  console.log(JSON.stringify(summary, null, 1));
}

const workerIndex = process.argv.indexOf('--worker');
if (workerIndex >= 0) {
  await worker(process.argv[workerIndex + 1] as TransportName, process.argv[workerIndex + 2] as Level, JSON.parse(process.argv[workerIndex + 3] ?? '{}') as SimInfo);
} else {
  await main();
}
