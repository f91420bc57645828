/**
 * What one idle long poll allocates, promotes and costs on `transport-node` (issue #16): N users
 * long-polling the simulator on the real 5000 ms window, and per poll in a measured window:
 * - bytes allocated (all heap spaces), and of those the bytes promoted to the old generation by
 *   scavenges (what lives the window is promoted, and the major GC pays for it later), and the
 *   old generation's whole inflow (promoted, plus what V8 allocated there directly: pretenured
 *   allocation sites, large objects);
 * - bytes scavenges copied within the young generation (survived one scavenge, not yet promoted);
 * - scavenge and major-GC time on the main thread (V8's own cost figure per GC);
 * - the process's CPU.
 * GC figures come from `v8.GCProfiler` (heap and per-space statistics before and after each GC):
 * allocated = heap used before each GC minus after the one before; promoted = old-space growth
 * across each scavenge. Polls are counted by the simulator.
 *
 * Levels, each in its own process, all at the same time against one simulator process (same
 * machine load): `raw` — the floor, a long-poller written on node:http (bench/lib/rawPoller.ts; `--raw node,net`
 * also on a socket, each in its own process);
 * `transport` — the same poller through `nodeTransport().request`; `client` — `client.poll` in
 * a loop on `nodeTransport()`; `session` — createChatSession sessions in `chatting` that nobody
 * talks to. With `--builds name=dir,name=dir` every client and session
 * level runs once per build (tsc output, like BENCH_DIST), so an old and a new build are measured
 * side by side in one round; rounds repeat the whole thing with fresh processes.
 *
 *   node --import tsx bench/poll-alloc.ts [--sessions 2000] [--window-ms 30000] [--rounds 3]
 *        [--levels raw,client,session] [--builds base=/tmp/a,new=/tmp/b] [--semi-space-mb 1] [--raw node,net] [--transport node]
 *        [--profile DIR] [--quick]
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GCProfiler, getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { loadavg } from 'node:os';
import { API_PATHS, HEADERS } from '../src/client/protocol.js';
import type { AiccClient } from '../src/index.js';
import { lib, LIBRARY_SOURCE } from './lib/library.js';
import { rawLongPoll } from './lib/rawPoller.js';
import { isTransportName, makeTransport, type TransportName } from './lib/transports.js';
import { QUICK, argValue, machineInfo, writeResult } from './lib/results.js';
import { measureWindow, startSimProcess } from './lib/sim-process.js';
import type { SimInfo } from './lib/sim-protocol.js';
import { nextFromParent, startWorker, toParent } from './lib/spawn.js';
import { cpuMs, fullGc, monoMs, sleep, spread } from './lib/stats.js';
import { identityFor, machineSession, onceChatting, sharedAuth, startUsers } from './lib/wiring.js';

const LEVELS = ['raw', 'transport', 'client', 'session'] as const;
type Level = (typeof LEVELS)[number];

const SESSIONS = Number(argValue('sessions') ?? (QUICK ? 300 : 2000));
const WINDOW_MS = Number(argValue('window-ms') ?? (QUICK ? 10_000 : 30_000));
const ROUNDS = Number(argValue('rounds') ?? (QUICK ? 1 : 3));
const LONG_POLL_MS = 5_000;
/**
 * V8's young generation per worker (semi-space, MB). 1 MB makes 2 000 idle pollers scavenge
 * every ~100–150 ms, as often as the 10 000-session scale worker does on Node's default: what
 * lives longer than two scavenges is promoted, so per poll that is what it keeps for its window,
 * averaged over a few hundred scavenges (with Node's default, ~1 s apart here, the figure moved
 * by ±15 % between rounds). 0: Node's default.
 */
const SEMI_SPACE_MB = Number(argValue('semi-space-mb') ?? 1);
/** `--transport net`: the transport of the transport, client and session levels (default node). */
const TRANSPORT = transportNamed(argValue('transport') ?? 'node');
/** `--raw node,net`: the stacks the raw level's floors are written on (bench/lib/rawPoller.ts), side by side. */
const RAW_STACKS = (argValue('raw') ?? 'node').split(',').map(transportNamed);

function transportNamed(name: string): TransportName {
  // Every transport has a raw poller of its own.
  if (!isTransportName(name)) throw new Error(`bench/poll-alloc: no raw poller on ${name}`);
  return name;
}

/** `--profile DIR`: each worker writes a CPU profile of the measured window only (bench/lib/top-functions.mjs reads it). */
const PROFILE_DIR = argValue('profile');

/** What V8 reported over a window (GCProfiler). */
export interface GcTotals {
  allocatedBytes: number;
  /** Old-space (and large-object) growth across scavenges. */
  promotedBytes: number;
  /**
   * Everything that entered the old generation: promoted, plus what V8 allocated there directly
   * between GCs (pretenured allocation sites, large objects). What the major GC then sweeps.
   */
  oldInflowBytes: number;
  /** Young-generation bytes left after each scavenge, summed (copied within the young generation). */
  copiedBytes: number;
  scavenges: number;
  scavengeMs: number;
  /** Mark-sweep-compact and incremental-marking steps. */
  majorGcs: number;
  majorMs: number;
}

interface SpaceStats {
  spaceName: string;
  spaceUsedSize: number;
}
interface HeapAt {
  heapStatistics: { usedHeapSize: number };
  heapSpaceStatistics: SpaceStats[];
}
interface GcEntry {
  gcType: string;
  cost: number;
  beforeGC: HeapAt;
  afterGC: HeapAt;
}

const OLD_SPACES = new Set(['old_space', 'large_object_space']);
const YOUNG_SPACES = new Set(['new_space', 'new_large_object_space']);
const used = (at: HeapAt, spaces: Set<string>): number => at.heapSpaceStatistics.reduce((sum, s) => (spaces.has(s.spaceName) ? sum + s.spaceUsedSize : sum), 0);

/** Heap used now, in all spaces and in the old generation (what a GCProfiler entry holds). */
export function heapNow(): { used: number; old: number } {
  const old = getHeapSpaceStatistics().reduce((sum, s) => (OLD_SPACES.has(s.space_name) ? sum + s.space_used_size : sum), 0);
  return { used: getHeapStatistics().used_heap_size, old };
}

/** Sums a GCProfiler recording; `atStart`/`atEnd`: heap used when it started and stopped. */
export function gcTotals(entries: readonly GcEntry[], atStart: { used: number; old: number }, atEnd: { used: number; old: number }): GcTotals {
  const totals: GcTotals = { allocatedBytes: 0, promotedBytes: 0, oldInflowBytes: 0, copiedBytes: 0, scavenges: 0, scavengeMs: 0, majorGcs: 0, majorMs: 0 };
  let usedAfterLast = atStart.used;
  let oldAfterLast = atStart.old;
  for (const gc of entries) {
    totals.allocatedBytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - usedAfterLast);
    totals.oldInflowBytes += Math.max(0, used(gc.beforeGC, OLD_SPACES) - oldAfterLast);
    usedAfterLast = gc.afterGC.heapStatistics.usedHeapSize;
    oldAfterLast = used(gc.afterGC, OLD_SPACES);
    if (gc.gcType === 'Scavenge' || gc.gcType === 'MinorMarkCompact') {
      totals.scavenges++;
      totals.scavengeMs += gc.cost / 1000;
      const promoted = Math.max(0, used(gc.afterGC, OLD_SPACES) - used(gc.beforeGC, OLD_SPACES));
      totals.promotedBytes += promoted;
      totals.oldInflowBytes += promoted;
      totals.copiedBytes += used(gc.afterGC, YOUNG_SPACES);
    } else if (gc.gcType === 'MarkSweepCompact' || gc.gcType === 'IncrementalMarking') {
      totals.majorGcs += gc.gcType === 'MarkSweepCompact' ? 1 : 0;
      totals.majorMs += gc.cost / 1000;
    }
  }
  totals.allocatedBytes += Math.max(0, atEnd.used - usedAfterLast);
  totals.oldInflowBytes += Math.max(0, atEnd.old - oldAfterLast);
  return totals;
}

interface WorkerSpec {
  level: Level;
  /** The build's name ('dist' without --builds); for the raw level, the HTTP stack it is written on. */
  build: string;
  /** Simulator group (user-id prefix). */
  group: string;
}

interface WorkerResult {
  heapPerSessionKB: number;
  cpuMsInWindow: number;
  windowMs: number;
  gc: GcTotals;
  pollErrors: number;
}

async function worker(spec: WorkerSpec, sim: SimInfo): Promise<void> {
  const transport = await makeTransport(TRANSPORT);
  const auth = sharedAuth(sim);
  let pollErrors = 0;
  let stopping = false;

  const startClient = async (userId: string): Promise<void> => {
    const client: AiccClient = lib.createAiccClient({
      baseUrl: sim.url,
      gatewayHeaders: auth.gatewayHeaders,
      token: lib.applyTokenProvider(auth.tokenClient, identityFor(sim, userId)),
      longPollWindowMs: LONG_POLL_MS,
      transport,
    });
    await client.send({ controlType: 'CONNECT', from: userId, to: sim.channelId });
    void (async () => {
      while (!stopping) {
        try {
          await client.poll({ userId });
        } catch {
          pollErrors++;
        }
      }
    })();
  };
  /** CONNECT through a client of the library's, then what a hand-written poller sends: the gateway headers and the token. */
  const connectBare = async (userId: string): Promise<{ gateway: Record<string, string>; token: string }> => {
    let token = '';
    const client: AiccClient = lib.createAiccClient({
      baseUrl: sim.url,
      gatewayHeaders: auth.gatewayHeaders,
      token: async () => (token = (await auth.tokenClient.applyToken(identityFor(sim, userId))).token),
      onTokenRotated: (rotated) => (token = rotated),
    });
    await client.send({ controlType: 'CONNECT', from: userId, to: sim.channelId });
    return { gateway: await auth.gatewayHeaders({ forceRefresh: false }), token };
  };
  const startRaw = async (userId: string): Promise<void> => {
    const { gateway, token } = await connectBare(userId);
    void rawLongPoll(transportNamed(spec.build), sim.url, userId, gateway, token, () => stopping, () => undefined, () => pollErrors++);
  };
  // The transport alone: what the raw poller does, through `nodeTransport().request`.
  const startTransport = async (userId: string): Promise<void> => {
    const { gateway, token } = await connectBare(userId);
    const headers: Record<string, string> = { ...gateway, [HEADERS.ccmessagingToken]: token };
    const url = `${sim.url}${API_PATHS.poll}?receiverId=${encodeURIComponent(userId)}&channel=WEB`;
    void (async () => {
      while (!stopping) {
        try {
          const answer = await transport!.request({ method: 'GET', url, headers, timeoutMs: LONG_POLL_MS + 10_000 });
          JSON.parse(answer.body);
          const rotated = answer.headers[HEADERS.ccmessagingToken];
          if (typeof rotated === 'string' && rotated !== '') headers[HEADERS.ccmessagingToken] = rotated;
        } catch {
          pollErrors++;
        }
      }
    })();
  };
  const startSession = (userId: string): Promise<void> =>
    new Promise((resolve) => {
      const actor = machineSession(sim, auth, userId, { longPollWindowMs: LONG_POLL_MS, transport });
      onceChatting(actor, resolve);
      actor.start();
    });
  const start = { raw: startRaw, transport: startTransport, client: startClient, session: startSession }[spec.level];

  // Warm-up user (code loaded, JIT warm, a connection made), then the heap baseline.
  await start(`${spec.group}-warm`);
  await sleep(2 * LONG_POLL_MS);
  fullGc();
  const heapBefore = process.memoryUsage().heapUsed;
  // The workers set up their users one after the other (the simulator and a loaded machine
  // time out set-up calls when all do at once).
  await toParent({ type: 'warm' });
  await nextFromParent('setup');
  // At most 100 users setting up at once.
  await startUsers(SESSIONS, spec.group, start, 100);
  // Two windows: every user's polls spread over the window, the set-up garbage collected.
  await sleep(2 * LONG_POLL_MS);
  fullGc();
  const heapPerSessionKB = (process.memoryUsage().heapUsed - heapBefore) / SESSIONS / 1024;
  // The forced GC leaves the young generation empty and the old one fresh: one more window first.
  await sleep(LONG_POLL_MS);

  await toParent({ type: 'ready' });
  await nextFromParent('go');
  const cpuProfile = PROFILE_DIR ? await startCpuProfile() : undefined;
  const profiler = new GCProfiler();
  const atStart = heapNow();
  profiler.start();
  const c0 = cpuMs();
  const t0 = monoMs();
  await nextFromParent('stop');
  const cpuMsInWindow = cpuMs() - c0;
  const windowMs = monoMs() - t0;
  const atEnd = heapNow();
  const recorded = profiler.stop() as unknown as { statistics: GcEntry[] };
  if (cpuProfile) writeFileSync(join(PROFILE_DIR!, `${spec.level}-${spec.build.replace(/\W+/g, '_')}.cpuprofile`), JSON.stringify(await cpuProfile()));
  stopping = true;
  const result: WorkerResult = { heapPerSessionKB, cpuMsInWindow, windowMs, gc: gcTotals(recorded.statistics, atStart, atEnd), pollErrors };
  await toParent({ type: 'result', result });
  process.exit(0);
}

/** Starts V8's CPU profiler in this process; the function returned stops it and gives the profile. */
async function startCpuProfile(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<{ profile?: object }>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as { profile?: object }))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return async () => {
    const { profile } = await post('Profiler.stop');
    session.disconnect();
    return profile ?? {};
  };
}

/** Per poll: what a worker's window comes to, divided by the polls the simulator counted for it. */
interface PerPoll {
  polls: number;
  allocatedKB: number;
  promotedKB: number;
  oldInflowKB: number;
  copiedKB: number;
  cpuUs: number;
  /** Main-thread GC time per poll (scavenges and major GC), µs. */
  scavengeUs: number;
  majorGcUs: number;
  scavengesPerS: number;
  heapPerSessionKB: number;
  cpuPercentOfCore: number;
  pollErrors: number;
}

function perPoll(r: WorkerResult, polls: number): PerPoll {
  const n = Math.max(1, polls);
  return {
    polls,
    allocatedKB: r.gc.allocatedBytes / n / 1024,
    promotedKB: r.gc.promotedBytes / n / 1024,
    oldInflowKB: r.gc.oldInflowBytes / n / 1024,
    copiedKB: r.gc.copiedBytes / n / 1024,
    cpuUs: (r.cpuMsInWindow * 1000) / n,
    scavengeUs: (r.gc.scavengeMs * 1000) / n,
    majorGcUs: (r.gc.majorMs * 1000) / n,
    scavengesPerS: r.gc.scavenges / (r.windowMs / 1000),
    heapPerSessionKB: r.heapPerSessionKB,
    cpuPercentOfCore: (r.cpuMsInWindow / r.windowMs) * 100,
    pollErrors: r.pollErrors,
  };
}

/** `name=dir,name=dir` → builds; none: the one library build of this process ('dist' or BENCH_DIST). */
function parseBuilds(arg: string | undefined): { name: string; dir?: string }[] {
  if (!arg) return [{ name: LIBRARY_SOURCE === 'src' ? 'src' : (process.env.BENCH_DIST ?? 'dist') }];
  return arg.split(',').map((pair) => {
    const [name, dir] = pair.split('=');
    if (!name || !dir) throw new Error(`bench/poll-alloc: --builds wants name=dir pairs, got ${pair}`);
    return { name, dir };
  });
}

interface Round {
  round: number;
  loadAverage1m: number;
  simulatorCpuPercent: number;
  byWorker: Record<string, PerPoll>;
}

async function runRound(round: number, levels: Level[], builds: { name: string; dir?: string }[]): Promise<Round> {
  const loadAverage1m = loadavg()[0] ?? Number.NaN;
  const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: LONG_POLL_MS } });
  const self = fileURLToPath(import.meta.url);
  const specs: (WorkerSpec & { dir?: string })[] = [];
  for (const level of levels) {
    if (level === 'raw') {
      RAW_STACKS.forEach((stack, i) => specs.push({ level, build: stack, group: `par${i}` }));
      continue;
    }
    builds.forEach((b, i) => specs.push({ level, build: b.name, group: `pa${level[0]}${i}`, ...(b.dir ? { dir: b.dir } : {}) }));
  }
  const workers = specs.map((spec) =>
    startWorker(self, {
      args: ['--worker', JSON.stringify(spec), JSON.stringify(sim), '--sessions', String(SESSIONS), ...(PROFILE_DIR ? ['--profile', PROFILE_DIR] : [])],
      nodeFlags: ['--expose-gc', ...(SEMI_SPACE_MB > 0 ? [`--max-semi-space-size=${SEMI_SPACE_MB}`] : [])],
      ...(spec.dir ? { env: { BENCH_DIST: spec.dir } } : {}),
    }),
  );
  try {
    await Promise.all(workers.map((w) => w.next('warm', 300_000)));
    for (const w of workers) {
      w.send({ type: 'setup' });
      await w.next('ready', 900_000);
    }
    const { stats, results } = await measureWindow<WorkerResult>(sim, workers, WINDOW_MS);
    const byWorker: Record<string, PerPoll> = {};
    specs.forEach((spec, i) => {
      byWorker[`${spec.level}:${spec.build}`] = perPoll(results[i]!, stats.byGroup[spec.group]?.byApi.poll ?? 0);
    });
    return { round, loadAverage1m, simulatorCpuPercent: (stats.cpuMs / stats.elapsedMs) * 100, byWorker };
  } finally {
    for (const w of workers) w.kill();
    await sim.close();
  }
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  const levelArg = argValue('levels');
  const levels: Level[] = levelArg ? LEVELS.filter((l) => levelArg.split(',').includes(l)) : ['raw', 'session'];
  const builds = parseBuilds(argValue('builds'));
  const rounds: Round[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const r = await runRound(round, levels, builds);
    rounds.push(r);
    console.log(`poll-alloc round ${round + 1} (load ${r.loadAverage1m.toFixed(2)}):`);
    for (const [name, p] of Object.entries(r.byWorker)) {
      console.log(
        `  ${name.padEnd(16)} polls ${p.polls}  alloc ${p.allocatedKB.toFixed(2)} KB  promoted ${p.promotedKB.toFixed(2)} KB  old inflow ${p.oldInflowKB.toFixed(2)} KB  copied ${p.copiedKB.toFixed(2)} KB  cpu ${p.cpuUs.toFixed(0)} µs  scavenge ${p.scavengeUs.toFixed(1)} µs  major ${p.majorGcUs.toFixed(1)} µs  heap ${p.heapPerSessionKB.toFixed(2)} KB/session  errors ${p.pollErrors}`,
      );
    }
  }
  const names = Object.keys(rounds[0]?.byWorker ?? {});
  const keys = ['allocatedKB', 'promotedKB', 'oldInflowKB', 'copiedKB', 'cpuUs', 'scavengeUs', 'majorGcUs', 'heapPerSessionKB'] as const;
  const summary = Object.fromEntries(names.map((name) => [name, Object.fromEntries(keys.map((k) => [k, spread(rounds.map((r) => r.byWorker[name]![k]))]))]));
  const result = {
    method: { transport: TRANSPORT, rawStacks: RAW_STACKS, sessionsEach: SESSIONS, windowMs: WINDOW_MS, longPollWindowMs: LONG_POLL_MS, semiSpaceMB: SEMI_SPACE_MB, rounds: ROUNDS, levels, builds: builds.map((b) => b.name), library: LIBRARY_SOURCE },
    summary,
    rounds,
  };
  writeResult('poll-alloc', startedAt, result, machine);
  console.log(JSON.stringify(summary, null, 1));
}

const workerIndex = process.argv.indexOf('--worker');
if (workerIndex >= 0) {
  await worker(JSON.parse(process.argv[workerIndex + 1] ?? '{}') as WorkerSpec, JSON.parse(process.argv[workerIndex + 2] ?? '{}') as SimInfo);
} else {
  await main();
}
