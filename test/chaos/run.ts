/**
 * runChaos: many customers at once against three simulators (robot-only, robot-then-agent,
 * agent-direct) under a seeded fault plan; every session is checked (checks.ts) and the run
 * reports figures: sessions, faults injected by type, bad inputs, lost and duplicated messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import axios from 'axios';
import { akSkGatewayHeaders, createAiccClient } from '../../src/client/index.js';
import { netTransport } from '../../src/client/transports/net.js';
import { nodeTransport } from '../../src/client/transports/node.js';
import { PLANNED_FAULTS, startSimulator, type FaultStats, type PlannedFault, type Simulator } from '../../src/simulator/index.js';
import { checkSession, type ProblemCode, type SessionCheck } from './checks.js';
import { DELAY_MS, FAULT_PROFILES, SIM_TIMING, clientTimeouts, type ChaosOptions, type ChaosTransport, type FaultProfileName } from './config.js';
import { Customer, planFor, type CustomerEnv, type CustomerLog, type Flow } from './customer.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';

export interface ChaosReport {
  seed: number;
  /** The fault profile of the run. */
  profile: FaultProfileName;
  sessionsPlanned: number;
  sessions: number;
  byFlow: Record<string, number>;
  endReasons: Record<string, number>;
  /** Why sessions ended without a conversation (auth/connect/network failures), by error. */
  endErrors: Record<string, number>;
  faults: {
    total: number;
    byType: Partial<Record<PlannedFault, number>>;
    batchesGivenBack: number;
    /** Requests met by each burst of the plan and what hit them (all simulators). */
    bursts: FaultStats['bursts'];
  };
  requestsHit: number;
  badInputs: number;
  badInputEffects: number;
  reloads: number;
  offlineEpisodes: number;
  hiddenEpisodes: number;
  customer: {
    texts: number;
    files: number;
    sent: number;
    failed: number;
    failedOutcomeUnknown: number;
    retriedAfterKnownFailure: number;
    retriedAfterUnknownOutcome: number;
    acceptedTwiceAfterExplicitRetry: number;
    /** Failures the customer saw (and retried), by kind. */
    retriedFailures: Record<string, number>;
  };
  incoming: {
    expected: number;
    received: number;
    leftUnreadWhenCustomerLeft: number;
    redeliveriesAbsorbed: number;
    recoveredFromHistory: number;
    /** Missing messages covered by a gap entry (history unreadable until the end): shown, typed. */
    shownAsGap: number;
    /** Gap entries shown. */
    gaps: number;
    lostDisconnectsDetected: number;
    lostDisconnectsPremature: number;
    endsOfUnconfirmedSessions: number;
  };
  /** Sends refused by the server and resent automatically (in order). */
  autoResends: number;
  lost: number;
  duplicated: number;
  problems: Partial<Record<ProblemCode, number>>;
  /** Up to 20 problem details, for debugging. */
  examples: { userId: string; code: string; detail: string; plan: unknown; notes: string[]; trace?: string[] }[];
  /** Protocol violations recorded by the simulators, by rule (tolerated ones are listed in checks.ts). */
  violations: Record<string, number>;
  unhandledRejections: number;
  uncaughtExceptions: number;
  seconds: number;
  sessionSeconds: { p50: number; p95: number; max: number };
  /** Event-loop delay of the whole run (clients and simulators share one process), ms. */
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  /** The machine's load: CPU hogs run beside it (`--overload`) and the 1-minute load average. */
  load: { hogs: number; loadAverageAtStart: number; loadAverageMax: number; loadAverageAtEnd: number; patience: number; clientTimeoutMs: number; pollTimeoutMs: number; transport: ChaosTransport };
}

/** `count` busy-loop processes (a CPU each), until `stop` is called. */
function startCpuHogs(count: number): { stop: () => void } {
  const hogs: ChildProcess[] = [];
  for (let i = 0; i < count; i++) hogs.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  return { stop: () => hogs.forEach((hog) => hog.kill('SIGKILL')) };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

const SCENARIO_OF: Record<Flow, 'robot-only' | 'robot-then-agent' | 'agent-direct'> = {
  robot: 'robot-only',
  'robot-agent': 'robot-then-agent',
  agent: 'agent-direct',
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? 0;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const hogs = startCpuHogs(options.overload ?? 0);
  const patience = (options.timeScale ?? 1) * (1 + (options.overload ?? 0));
  const timeouts = clientTimeouts(options.unscaledTimeouts === true ? 1 : patience);
  const load = {
    hogs: options.overload ?? 0,
    loadAverageAtStart: round2(loadavg()[0] ?? 0),
    loadAverageMax: 0,
    loadAverageAtEnd: 0,
    patience,
    clientTimeoutMs: timeouts.timeoutMs,
    pollTimeoutMs: timeouts.pollTimeoutMs,
    transport: options.transport ?? 'axios',
  };
  const loadSampler = setInterval(() => (load.loadAverageMax = Math.max(load.loadAverageMax, round2(loadavg()[0] ?? 0))), 1_000);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const failures = { unhandled: 0, uncaught: 0 };
  const onUnhandled = (reason: unknown) => {
    failures.unhandled += 1;
    if (failures.unhandled <= 3) process.stderr.write(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
  };
  const onUncaught = (error: unknown) => {
    failures.uncaught += 1;
    if (failures.uncaught <= 3) process.stderr.write(`uncaught exception: ${error instanceof Error ? error.stack : String(error)}\n`);
  };
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUncaught);

  const profileName: FaultProfileName = options.profile ?? 'default';
  const profile = FAULT_PROFILES[profileName](options.maxSeconds);
  const sims = new Map<Flow, Simulator>();
  const agents: Agent[] = [];
  const envs = new Map<Flow, Omit<CustomerEnv, 'index'>>();
  const transport = options.transport === 'net' ? netTransport() : options.transport === 'node' ? nodeTransport() : undefined;
  const checks: SessionCheck[] = [];
  const logs: CustomerLog[] = [];
  try {
    for (const flow of ['robot', 'robot-agent', 'agent'] as Flow[]) {
      const sim = await startSimulator({ scenario: SCENARIO_OF[flow], timing: SIM_TIMING, recordRequests: options.trace === true });
      sim.faults.plan({
        ...profile,
        seed: options.seed,
        rates: options.rates ?? profile.rates,
        users: (userId) => userId.startsWith('chaos-'),
        slowMs: timeouts.slowMs,
        delayMs: DELAY_MS,
      });
      // One gateway-header provider and one applyToken client per "back end", shared by all its
      // customers, with their own connection pool (Node's global agent is no back end's).
      const agent = new Agent({ keepAlive: true });
      agents.push(agent);
      const backEnd = () => axios.create({ maxRedirects: 0, httpAgent: agent });
      const gatewayHeaders = akSkGatewayHeaders({
        baseUrl: sim.url,
        ...sim.credentials,
        client: createAiccClient({ baseUrl: sim.url, timeoutMs: timeouts.timeoutMs, axios: backEnd() }),
      });
      const tokenClient = createAiccClient({ baseUrl: sim.url, gatewayHeaders, timeoutMs: timeouts.timeoutMs, axios: backEnd() });
      sims.set(flow, sim);
      envs.set(flow, { sim, gatewayHeaders, tokenClient, seed: options.seed, connectivityEvents: true, patience, timeouts, ...(transport ? { transport } : {}) });
    }

    const deadline = started + options.maxSeconds * 1000;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < options.sessions && Date.now() < deadline) {
        const index = next++;
        const flow = planFor(options.seed, index).flow;
        const env = envs.get(flow);
        const sim = sims.get(flow);
        if (!env || !sim) throw new Error(`no simulator for ${flow}`);
        const customer = new Customer({ ...env, index });
        const log = await customer.run();
        logs.push(log);
        const view = sim.session(log.userId);
        const violations = sim.violations.filter((v) => v.userId === log.userId);
        checks.push(checkSession(log, view, violations));
        done += 1;
        if (options.progress && done % 100 === 0) {
          process.stderr.write(`chaos: ${done} sessions, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, () => worker()));
  } finally {
    hogs.stop();
    clearInterval(loadSampler);
    load.loadAverageAtEnd = round2(loadavg()[0] ?? 0);
    load.loadAverageMax = Math.max(load.loadAverageMax, load.loadAverageAtEnd);
    await Promise.all([...sims.values()].map((sim) => sim.close()));
    for (const agent of agents) agent.destroy();
    transport?.destroy();
    // Let late rejections surface before counting them.
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUncaught);
    loopDelay.disable();
  }

  // --- figures
  const stats: FaultStats[] = [...sims.values()].map((sim) => sim.faults.stats());
  const byType: Partial<Record<PlannedFault, number>> = {};
  for (const type of PLANNED_FAULTS) {
    const n = stats.reduce((sum, s) => sum + (s.planned[type] ?? 0), 0);
    if (n > 0) byType[type] = n;
  }
  const bursts: FaultStats['bursts'] = {};
  for (const s of stats) {
    for (const [name, entry] of Object.entries(s.bursts)) {
      const total = (bursts[name] ??= { requests: 0, planned: {} });
      total.requests += entry.requests;
      for (const [type, n] of Object.entries(entry.planned) as [PlannedFault, number][]) total.planned[type] = (total.planned[type] ?? 0) + n;
    }
  }
  const sum = <T>(items: T[], f: (item: T) => number) => items.reduce((acc, item) => acc + f(item), 0);
  const problems: ChaosReport['problems'] = {};
  const examples: ChaosReport['examples'] = [];
  for (const check of checks) {
    for (const p of check.problems) {
      problems[p.code] = (problems[p.code] ?? 0) + 1;
      if (examples.length < 20) {
        const log = logs.find((l) => l.userId === check.userId);
        const example: ChaosReport['examples'][number] = { userId: check.userId, code: p.code, detail: p.detail, plan: log?.plan, notes: log?.notes ?? [] };
        if (options.trace && log) example.trace = traceOf(sims.get(log.plan.flow), log);
        examples.push(example);
      }
    }
  }
  if (options.trace && process.env['CHAOS_TRACE_END']) {
    for (const log of logs.filter((l) => l.final?.context.endReason === process.env['CHAOS_TRACE_END']).slice(0, 3)) {
      examples.push({ userId: log.userId, code: `ended ${process.env['CHAOS_TRACE_END']}`, detail: JSON.stringify(log.final?.context.error), plan: log.plan, notes: log.notes, trace: traceOf(sims.get(log.plan.flow), log) });
    }
  }
  const violations: Record<string, number> = {};
  for (const sim of sims.values()) {
    for (const v of sim.violations) violations[v.rule] = (violations[v.rule] ?? 0) + 1;
  }
  const durations = logs.map((l) => (l.endedAt - l.startedAt) / 1000).sort((a, b) => a - b);
  const count = (values: (string | null)[]) => {
    const out: Record<string, number> = {};
    for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
    return out;
  };

  return {
    seed: options.seed,
    profile: profileName,
    sessionsPlanned: options.sessions,
    sessions: checks.length,
    byFlow: count(logs.map((l) => l.plan.flow)),
    endReasons: count(checks.map((c) => c.endReason)),
    endErrors: count(
      logs
        .filter((l) => ['auth-failed', 'connect-failed', 'network-lost'].includes(String(l.final?.context.endReason)))
        .map((l) => {
          const e = l.final?.context.error as { kind?: string; status?: number; api?: string; message?: string } | null | undefined;
          return `${l.final?.context.endReason}: ${e?.api ?? '?'} ${e?.kind ?? '?'}${e?.status ? ` ${e.status}` : ''}`;
        }),
    ),
    faults: {
      total: Object.values(byType).reduce((a, b) => a + (b ?? 0), 0),
      byType,
      batchesGivenBack: sum(stats, (s) => s.batchesGivenBack),
      bursts,
    },
    requestsHit: Object.values(byType).reduce((a, b) => a + (b ?? 0), 0),
    badInputs: sum(logs, (l) => l.badInputs),
    badInputEffects: sum(logs, (l) => l.badInputEffects.length),
    reloads: sum(logs, (l) => l.reloads),
    offlineEpisodes: sum(logs, (l) => l.offlineEpisodes),
    hiddenEpisodes: sum(logs, (l) => l.hiddenEpisodes),
    customer: {
      texts: sum(logs, (l) => l.texts.length),
      files: sum(logs, (l) => l.files),
      sent: sum(checks, (c) => c.counts.customerSent),
      failed: sum(checks, (c) => c.counts.customerFailed),
      failedOutcomeUnknown: sum(checks, (c) => c.counts.failedUnknown),
      retriedAfterKnownFailure: sum(logs, (l) => l.knownRetries),
      retriedAfterUnknownOutcome: sum(logs, (l) => l.unknownRetries.length),
      acceptedTwiceAfterExplicitRetry: sum(checks, (c) => c.counts.acceptedTwiceAfterExplicitRetry),
      retriedFailures: count(logs.flatMap((l) => l.failureKinds)),
    },
    incoming: {
      expected: sum(checks, (c) => c.counts.incomingExpected),
      received: sum(checks, (c) => c.counts.incomingReceived),
      leftUnreadWhenCustomerLeft: sum(checks, (c) => c.counts.leftUnread),
      redeliveriesAbsorbed: sum(checks, (c) => c.counts.redeliveriesAbsorbed),
      recoveredFromHistory: sum(checks, (c) => c.counts.recoveredFromHistory),
      shownAsGap: sum(checks, (c) => c.counts.shownAsGap),
      gaps: sum(checks, (c) => c.counts.gaps),
      lostDisconnectsDetected: sum(checks, (c) => c.counts.lostDisconnectsDetected),
      lostDisconnectsPremature: sum(checks, (c) => c.counts.lostDisconnectsPremature),
      endsOfUnconfirmedSessions: sum(checks, (c) => c.counts.endsOfUnconfirmedSessions),
    },
    autoResends: sum(checks, (c) => c.counts.autoResends),
    lost: sum(checks, (c) => c.counts.lost),
    duplicated: sum(checks, (c) => c.counts.duplicated),
    problems,
    examples,
    violations,
    unhandledRejections: failures.unhandled,
    uncaughtExceptions: failures.uncaught,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    sessionSeconds: { p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), max: durations.at(-1) ?? 0 },
    eventLoopDelayMs: {
      p50: Math.round(loopDelay.percentile(50) / 1e6),
      p99: Math.round(loopDelay.percentile(99) / 1e6),
      max: Math.round(loopDelay.max / 1e6),
    },
    load,
  };
}

/** One line per request of the session (debugging aid for --trace). */
function traceOf(sim: Simulator | undefined, log: CustomerLog): string[] {
  if (!sim) return [];
  const lines = sim.requests
    .filter((r) => r.userId === log.userId)
    .map((r) => {
      const body = r.body as { controlType?: string; content?: string; timestamp?: string } | undefined;
      const response = r.response as { downlinkMessages?: { sourceType: string; controlType: string; content: string | null; messageCode: string }[]; resultCode?: string } | undefined;
      const what =
        r.api === 'send'
          ? `${body?.controlType} ${body?.controlType === 'CHAT' ? `${body.timestamp} ${body.content}` : ''} → ${response?.resultCode ?? ''}`
          : r.api === 'poll'
            ? JSON.stringify((response?.downlinkMessages ?? []).map((m) => `${m.sourceType}:${m.controlType}:${String(m.content).slice(0, 24)}:${m.messageCode.slice(0, 6)}`))
            : '';
      return `${r.at - log.startedAt} ${r.api} ${r.status} ${r.plannedFault ?? ''}${r.abandoned ? ' ABANDONED' : ''} ${what}`;
    });
  const view = sim.session(log.userId);
  for (const e of view?.transcript ?? []) lines.push(`  sim ${e.direction} ${e.sourceType} ${e.controlType} ${String(e.content).slice(0, 30)} ${e.messageCode.slice(0, 6)} ${e.wireTimestamp ?? ''} d=${e.deliveries ?? ''} p=${e.pending ?? ''}`);
  for (const e of log.final ? transcriptEntries(log.final.context.transcript) : []) {
    lines.push(`  cli ${e.kind} ${e.key.slice(0, 16)} ${e.kind === 'outgoing' ? `${e.status} ${e.text} ${JSON.stringify(e.error)}` : e.kind === 'incoming' ? `${e.message.sourceType} ${e.message.controlType}` : ''}`);
  }
  lines.push(`  final ${JSON.stringify(log.final?.value)} ${log.final?.context.endReason} ${JSON.stringify(log.final?.context.error)}`);
  return lines;
}
