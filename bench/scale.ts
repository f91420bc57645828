/**
 * Benchmark 3 — scale. N createChatSession sessions in ONE Node process (a worker), the
 * simulator in another, chatting steadily: every session gets a stamped agent message and sends
 * a customer message every INTERVAL_MS (phases spread evenly), on the real 5000 ms long-poll
 * window, on one of the client's transports (`--transport`, default axios). Per N: heap and RSS
 * per session (after gc), event-loop delay p99, delivery latency (agent message injected →
 * visible in the snapshot) p50/p99, errors. Every N is run twice (the machine is shared; both
 * attempts are published) and N holds when both pass (p99 delivery < 250 ms, no error, every
 * session reached `chatting`, every injected message delivered); the search stops at the first N
 * where neither passes. An attempt that sent no customer message, saw no injected message or
 * took no event-loop sample measured nothing: it is recorded as invalid and run again (at most
 * twice more), never reported as a pass or a fail.
 *
 * `--semi-space-mb N` runs the worker with V8's young generation raised to N MB per semi-space
 * (`--max-semi-space-size`, Node's default is 16 on 64-bit): a process setting of the host, not
 * of the library, published beside the default as its own result (`scale-node-semispace64`).
 *
 * `--settle-ms` (default 15 000): how long the sessions keep polling after the forced GC of the
 * heap figure before the window opens, so the window does not measure that GC's aftermath.
 *
 *   node --import tsx bench/scale.ts [--quick] [--steps 500,1000] [--duration-ms 30000] [--settle-ms 15000] [--transport axios|node|fetch|net] [--semi-space-mb 64] [--result NAME]
 */
import os from 'node:os';
import { PerformanceObserver, constants as perfConstants, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { QUICK, argValue, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess, type SimProcess } from './lib/sim-process.js';
import type { SimInfo, SimStats } from './lib/sim-protocol.js';
import { nextFromParent, openFileLimit, startWorker, toParent } from './lib/spawn.js';
import { cpuMs, fullGc, latency, monoMs, sleep, type Latency } from './lib/stats.js';
import { Waiter, machineSession, sharedAuth } from './lib/wiring.js';
import { waitFor } from 'xstate';
import type { ChatSessionActor } from '../src/index.js';
import { LIBRARY_SOURCE } from './lib/library.js';
import { holds, judgeAttempt } from './lib/scaleVerdict.js';
import { isTransportName, makeTransport, type TransportName } from './lib/transports.js';
import { entryAtPosition, transcriptEntries } from '../machines/chatSession.transcript.js';

const STEPS = (argValue('steps') ?? (QUICK ? '200,500' : '500,1000,2000,5000,10000')).split(',').map(Number);
const DURATION_MS = Number(argValue('duration-ms') ?? (QUICK ? 10_000 : 30_000));
const INTERVAL_MS = 15_000;
const LONG_POLL_MS = 5_000;
const P99_LIMIT_MS = 250;
const RAMP_TIMEOUT_MS = 240_000;
const TRANSPORT_ARG = argValue('transport') ?? 'axios';
if (!isTransportName(TRANSPORT_ARG)) throw new Error(`bench/scale: unknown --transport ${TRANSPORT_ARG}`);
const TRANSPORT: TransportName = TRANSPORT_ARG;
const ATTEMPTS = 2;
/** Running time between the forced GC of the heap figure and the measured window. */
const SETTLE_MS = Number(argValue('settle-ms') ?? (QUICK ? 2_000 : 15_000));
/** V8's semi-space size for the worker (MB), when set: a host setting measured beside the default. */
const SEMI_SPACE_MB = argValue('semi-space-mb') === undefined ? undefined : Number(argValue('semi-space-mb'));
if (SEMI_SPACE_MB !== undefined && !(SEMI_SPACE_MB > 0)) throw new Error('bench/scale: --semi-space-mb needs a size in MB');
/** Extra node flags for the worker, e.g. `SCALE_WORKER_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof'`. */
const WORKER_FLAGS = [...(SEMI_SPACE_MB ? [`--max-semi-space-size=${SEMI_SPACE_MB}`] : []), ...(process.env.SCALE_WORKER_FLAGS ?? '').split(' ').filter(Boolean)];
/** Reruns of an attempt that measured nothing, before the step is given up as invalid. */
const INVALID_RETRIES = 2;
/**
 * Sockets per session for the fd check: every client shares Node's global keep-alive agent, so a
 * session holds the socket of its poll, and sends reuse idle sockets (a quarter on top covers
 * sends in flight at once).
 */
const FDS_PER_SESSION = 1.25;

interface StepResult {
  n: number;
  /** 1-minute load average of the machine when the step started (other work on the machine). */
  loadAverage: number;
  /** 1 or 2: every N is run twice. */
  attempt: number;
  transport: TransportName;
  rampMs: number;
  chatting: number;
  heapPerSessionKB: number;
  rssPerSessionKB: number;
  heapPerSessionAfterKB: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Major (mark-compact) GCs of the worker in the window, and the longest one's pause. */
  majorGcs: number;
  majorGcMaxPauseMs: number;
  delivery: Latency;
  messagesPerSession: { received: number; sent: number };
  errors: { pollErrors: number; sessionsEnded: number; failedSends: number; injectFailed: number; violations: number };
  clientCpuPercent: number;
  simulator: { cpuPercent: number; loopDelayP99Ms: number; requestsPerSec: number; connections: number };
  pass: boolean;
  why?: string;
  /** On a pass: what the reader should know (no major GC in the window). */
  note?: string;
  /** Set when the attempt measured nothing (no send, no delivery, no loop sample): neither pass nor fail. */
  invalid?: string;
}

interface WorkerReady {
  type: 'ready';
  rampMs: number;
  chatting: number;
  heapPerSessionKB: number;
  rssPerSessionKB: number;
}

interface WorkerDone {
  type: 'done';
  delivery: number[];
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** Event-loop delay samples taken in the measured window (0: the histogram saw nothing). */
  eventLoopSamples: number;
  majorGcs: number;
  majorGcMaxPauseMs: number;
  heapPerSessionAfterKB: number;
  received: number;
  sent: number;
  pollErrors: number;
  sessionsEnded: number;
  failedSends: number;
  cpuPercent: number;
}

async function worker(n: number, sim: SimInfo): Promise<void> {
  const auth = sharedAuth(sim);
  await auth.gatewayHeaders({ forceRefresh: false });
  // One transport for every session of the process (the node transport's keep-alive agents are
  // shared by the clients given it); undefined: axios, the default.
  const transport = await makeTransport(TRANSPORT);
  const options = { longPollWindowMs: LONG_POLL_MS, ...(transport ? { transport } : {}) };
  // One session first, so code loading, JIT and the once-per-process machine are not charged
  // to the N sessions measured (it keeps running, outside the counts).
  const warm = machineSession(sim, auth, 'scw-warm', options);
  warm.start();
  await waitFor(warm, (s) => s.matches({ connected: 'chatting' }), { timeout: 30_000 });
  await sleep(500);
  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;

  const actors: ChatSessionActor[] = [];
  const waiter = new Waiter();
  let chatting = 0;
  let measuring = false;
  const delivery: number[] = [];
  let received = 0;
  let pollErrors = 0;
  let sessionsEnded = 0;

  const ramp0 = monoMs();
  for (let i = 0; i < n; i++) {
    const actor = machineSession(sim, auth, `sc-${i}`, options);
    let seen = 0;
    let isChatting = false;
    let failures = 0;
    actor.subscribe({
      next: (snapshot) => {
        if (!isChatting && snapshot.matches({ connected: 'chatting' })) {
          isChatting = true;
          chatting++;
          waiter.notify();
        }
        const { pollFailures } = snapshot.context.connection;
        if (pollFailures > failures) pollErrors += pollFailures - failures;
        failures = pollFailures;
        if (snapshot.status !== 'active') sessionsEnded++;
        const { transcript } = snapshot.context;
        for (; seen < transcript.length; seen++) {
          const entry = entryAtPosition(transcript, seen);
          if (entry?.kind !== 'incoming' || entry.message.controlType !== 'CHAT' || entry.message.content.mediaType !== 'TEXT') continue;
          const text = entry.message.content.text;
          if (!text.startsWith('lat:')) continue;
          received++;
          if (measuring) delivery.push(monoMs() - Number(text.slice(4)));
        }
      },
      error: () => sessionsEnded++,
    });
    actor.start();
    actors.push(actor);
    // Back-pressure: at most 300 sessions connecting at once.
    if (i % 100 === 99) await waiter.until(() => chatting >= i + 1 - 300 || monoMs() - ramp0 > RAMP_TIMEOUT_MS);
  }
  await Promise.race([waiter.until(() => chatting === n), sleep(Math.max(0, RAMP_TIMEOUT_MS - (monoMs() - ramp0)))]);
  const rampMs = monoMs() - ramp0;
  await sleep(2000);
  fullGc();
  const mem1 = process.memoryUsage();
  // The forced GC is the benchmark's, not the library's: V8 then lowers its heap limits and runs
  // extra collections for a while. Measured before this settle (2026-12-07, 10 000 sessions):
  // 0.3–0.4 s stalls right after the window opened. The polls keep running meanwhile.
  await sleep(SETTLE_MS);
  await toParent({
    type: 'ready',
    rampMs,
    chatting,
    heapPerSessionKB: (mem1.heapUsed - heap0) / n / 1024,
    rssPerSessionKB: (mem1.rss - rss0) / n / 1024,
  } satisfies WorkerReady as unknown as { type: string });

  await nextFromParent('go');
  received = 0;
  measuring = true;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const majorGcPauses: number[] = [];
  const gcs = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      if (entry.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majorGcPauses.push(entry.duration);
    }
  });
  gcs.observe({ entryTypes: ['gc'] });
  const c0 = cpuMs();
  const t0 = monoMs();
  // Customer messages, phases spread evenly like the simulator's injections.
  let sent = 0;
  const perMessageMs = INTERVAL_MS / n;
  const maxMessages = Math.floor(DURATION_MS / perMessageMs);
  const sender = setInterval(() => {
    const due = Math.min(maxMessages, Math.floor((monoMs() - t0) / perMessageMs));
    for (; sent < due; sent++) actors[(sent + Math.floor(n / 2)) % n]?.send({ type: 'message.send', text: `customer ${sent}` });
  }, 10);
  // Until the simulator has made its last injection (the parent says so; a timer of our own
  // could stop counting before the other process has finished), then a drain.
  await nextFromParent('injected');
  clearInterval(sender);
  await sleep(3000); // drain: the last injections and sends complete
  measuring = false;
  const cpuPercent = ((cpuMs() - c0) / (monoMs() - t0)) * 100;
  loop.disable();
  gcs.disconnect();
  let failedSends = 0;
  for (const actor of actors) {
    for (const entry of transcriptEntries(actor.getSnapshot().context.transcript)) if (entry.kind === 'outgoing' && entry.status === 'failed') failedSends++;
  }
  fullGc();
  const mem2 = process.memoryUsage();
  await toParent({
    type: 'done',
    delivery,
    eventLoopDelayP99Ms: loop.percentile(99) / 1e6,
    eventLoopDelayMaxMs: loop.max / 1e6,
    eventLoopSamples: loop.count,
    majorGcs: majorGcPauses.length,
    majorGcMaxPauseMs: Math.max(0, ...majorGcPauses),
    heapPerSessionAfterKB: (mem2.heapUsed - heap0) / n / 1024,
    received,
    sent,
    pollErrors,
    sessionsEnded,
    failedSends,
    cpuPercent,
  } satisfies WorkerDone as unknown as { type: string });
  process.exit(0);
}

function notReady(n: number, attempt: number, loadAverage: number, why: string): StepResult {
  return {
    n,
    loadAverage,
    attempt,
    transport: TRANSPORT,
    rampMs: Number.NaN,
    chatting: 0,
    heapPerSessionKB: Number.NaN,
    rssPerSessionKB: Number.NaN,
    heapPerSessionAfterKB: Number.NaN,
    eventLoopDelayP99Ms: Number.NaN,
    eventLoopDelayMaxMs: Number.NaN,
    majorGcs: 0,
    majorGcMaxPauseMs: Number.NaN,
    delivery: latency([]),
    messagesPerSession: { received: 0, sent: 0 },
    errors: { pollErrors: 0, sessionsEnded: 0, failedSends: 0, injectFailed: 0, violations: 0 },
    clientCpuPercent: Number.NaN,
    simulator: { cpuPercent: Number.NaN, loopDelayP99Ms: Number.NaN, requestsPerSec: Number.NaN, connections: 0 },
    pass: false,
    why,
  };
}

async function step(n: number, attempt: number): Promise<StepResult> {
  const loadAverage = os.loadavg()[0] ?? 0;
  const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: LONG_POLL_MS } });
  const self = fileURLToPath(import.meta.url);
  const w = startWorker(self, { args: ['--worker', String(n), JSON.stringify(sim), '--duration-ms', String(DURATION_MS), '--transport', TRANSPORT], nodeFlags: ['--expose-gc', '--max-old-space-size=8192', ...WORKER_FLAGS] });
  try {
    const ready = await w.next<WorkerReady>('ready', RAMP_TIMEOUT_MS + 60_000).catch(() => undefined);
    if (!ready) {
      // A worker that could not even report its ramp (an overloaded machine): a failed attempt.
      const why = `the worker did not report its ramp within ${(RAMP_TIMEOUT_MS + 60_000) / 1000} s`;
      console.log(`scale N=${n}: FAIL (${why})`);
      return notReady(n, attempt, loadAverage, why);
    }
    console.log(`scale N=${n}: ${ready.chatting}/${n} chatting after ${(ready.rampMs / 1000).toFixed(1)} s, heap ${ready.heapPerSessionKB.toFixed(1)} KB/session`);
    let injected: Awaited<ReturnType<SimProcess['inject']>>;
    let done: WorkerDone;
    let simStats: SimStats;
    try {
      await sim.resetStats();
      w.send({ type: 'go' });
      injected = await sim.inject('sc-', n, INTERVAL_MS, DURATION_MS);
      w.send({ type: 'injected' });
      done = await w.next<WorkerDone>('done', DURATION_MS + 120_000);
      simStats = await sim.stats();
    } catch (error) {
      // E.g. the simulator out of descriptors (EMFILE) when an overloaded worker opens a socket
      // per waiting send: a failed attempt, recorded, not the end of the whole search.
      const why = `the window broke off: ${error instanceof Error ? error.message : String(error)}`;
      console.log(`scale N=${n}: FAIL (${why})`);
      return { ...notReady(n, attempt, loadAverage, why), rampMs: ready.rampMs, chatting: ready.chatting, heapPerSessionKB: ready.heapPerSessionKB, rssPerSessionKB: ready.rssPerSessionKB };
    }
    const violations = Object.values(simStats.violations).reduce((a, b) => a + b, 0);
    const requests = Object.values(simStats.byApi).reduce((a, b) => a + b, 0);
    const delivery = latency(done.delivery);
    const errors = {
      pollErrors: done.pollErrors,
      sessionsEnded: done.sessionsEnded,
      failedSends: done.failedSends,
      injectFailed: injected.failed,
      violations,
    };
    const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
    const verdict = judgeAttempt(
      { n, chatting: ready.chatting, sent: done.sent, injected: injected.sent, received: done.received, eventLoopSamples: done.eventLoopSamples, deliveryP99Ms: delivery.p99, errors: errorCount, majorGcs: done.majorGcs },
      P99_LIMIT_MS,
    );
    const invalid = 'invalid' in verdict ? verdict.invalid : undefined;
    const why = 'why' in verdict ? verdict.why : undefined;
    const note = 'note' in verdict ? verdict.note : undefined;
    const result: StepResult = {
      n,
      loadAverage,
      attempt,
      transport: TRANSPORT,
      rampMs: ready.rampMs,
      chatting: ready.chatting,
      heapPerSessionKB: ready.heapPerSessionKB,
      rssPerSessionKB: ready.rssPerSessionKB,
      heapPerSessionAfterKB: done.heapPerSessionAfterKB,
      eventLoopDelayP99Ms: done.eventLoopDelayP99Ms,
      eventLoopDelayMaxMs: done.eventLoopDelayMaxMs,
      majorGcs: done.majorGcs,
      majorGcMaxPauseMs: done.majorGcMaxPauseMs,
      delivery,
      messagesPerSession: { received: done.received / n, sent: done.sent / n },
      errors,
      clientCpuPercent: done.cpuPercent,
      simulator: {
        cpuPercent: (simStats.cpuMs / simStats.elapsedMs) * 100,
        loopDelayP99Ms: simStats.loopDelayP99Ms,
        requestsPerSec: requests / (simStats.elapsedMs / 1000),
        connections: simStats.connections,
      },
      pass: 'pass' in verdict && verdict.pass,
      ...(why !== undefined ? { why } : {}),
      ...(note !== undefined ? { note } : {}),
      ...(invalid !== undefined ? { invalid } : {}),
    };
    console.log(
      `scale N=${n}: delivery p50 ${delivery.p50.toFixed(1)} p99 ${delivery.p99.toFixed(1)} ms, loop p99 ${done.eventLoopDelayP99Ms.toFixed(1)} ms, client cpu ${done.cpuPercent.toFixed(0)}%, sim cpu ${result.simulator.cpuPercent.toFixed(0)}%, major GCs ${done.majorGcs} → ${invalid ? `INVALID (${invalid})` : result.pass ? `pass${note ? ` (${note})` : ''}` : `FAIL (${why})`}`,
    );
    return result;
  } finally {
    // The worker exits by itself after `done` (a CPU profile is written then); kill it if not.
    await Promise.race([w.exited, sleep(10_000)]);
    w.kill();
    await w.exited;
    await sim.close();
  }
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  const fdLimit = openFileLimit();
  const steps: StepResult[] = [];
  const skipped: { n: number; why: string }[] = [];
  for (const n of STEPS) {
    const fds = Math.ceil(n * FDS_PER_SESSION) + 1000;
    if (fdLimit !== null && fds > fdLimit) {
      skipped.push({ n, why: `open-file limit ${fdLimit} < ${fds}` });
      break;
    }
    // The machine is shared: every N runs twice and both attempts are published. An attempt that
    // measured nothing is kept (marked invalid) and run again.
    const attempts: StepResult[] = [];
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let r = await step(n, attempt);
      for (let retry = 0; r.invalid !== undefined && retry < INVALID_RETRIES; retry++) {
        steps.push(r);
        r = await step(n, attempt);
      }
      steps.push(r);
      attempts.push(r);
    }
    if (!attempts.some((r) => r.pass)) break;
  }
  const passing = steps.filter((s) => holds(steps.filter((t) => t.n === s.n), ATTEMPTS));
  const result = {
    method: {
      steps: STEPS,
      durationMs: DURATION_MS,
      intervalMs: INTERVAL_MS,
      longPollWindowMs: LONG_POLL_MS,
      p99LimitMs: P99_LIMIT_MS,
      openFileLimit: fdLimit,
      library: LIBRARY_SOURCE,
      transport: TRANSPORT,
      attempts: ATTEMPTS,
      ...(SEMI_SPACE_MB ? { semiSpaceMb: SEMI_SPACE_MB } : {}),
    },
    steps,
    skipped,
    /** Largest N whose two valid attempts both passed. */
    largestPassingN: passing.length ? Math.max(...passing.map((s) => s.n)) : 0,
    target: { sessions: 10_000, heapPerSessionKB: 30 },
  };
  const name = argValue('result') ?? `scale${TRANSPORT === 'axios' ? '' : `-${TRANSPORT}`}${SEMI_SPACE_MB ? `-semispace${SEMI_SPACE_MB}` : ''}`;
  writeResult(name, startedAt, result, machine);
  console.log(`scale: largest N holding p99 < ${P99_LIMIT_MS} ms: ${result.largestPassingN}`);
}

const workerIndex = process.argv.indexOf('--worker');
if (workerIndex >= 0) {
  await worker(Number(process.argv[workerIndex + 1]), JSON.parse(process.argv[workerIndex + 2] ?? '{}') as SimInfo);
} else {
  await main();
}
