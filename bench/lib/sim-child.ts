/**
 * The simulator as a child process of a benchmark: `startSimulator` plus a small IPC control
 * API (agent messages stamped with the system-wide monotonic clock, steady injection, request
 * tallies, connection counts). Started by sim-process.ts; never imported by the core.
 *
 *   argv[2]: JSON { scenario: 'robot' | 'agent', timing?: Partial<SimulatorTiming>, keepRequests?: boolean }
 */
import dc from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { API_PATHS } from '../../src/client/protocol.js';
import { startSimulator, type ScenarioOverrides, type SimulatorTiming } from '../../src/simulator/index.js';
import type { ChildCommand, ChildReply, SimChildConfig, SimStats } from './sim-protocol.js';
import { cpuMs, monoMs } from './stats.js';

const config = JSON.parse(process.argv[2] ?? '{}') as SimChildConfig;

const SCENARIOS: Record<SimChildConfig['scenario'], ScenarioOverrides> = {
  // Robot channel, no agents behind it; the robot answers every text.
  robot: { name: 'robot-only' },
  // Agent channel, served at once (no queue), the agent only says what the benchmark injects.
  agent: { name: 'agent-direct', initialQueuePosition: 0, agent: { reply: () => null } },
};

// Distinct server-side TCP connections (keep-alive reuse shows as requests >> connections).
const seenSockets = new WeakSet<Socket>();
let connections = 0;
/** Watched users (watchPolls) → when each of their polls arrived (monoMs), before the simulator handled it. */
const pollArrivals = new Map<string, number[]>();
dc.subscribe('http.server.request.start', (message) => {
  const { socket, request } = message as { socket: Socket; request: IncomingMessage };
  if (!seenSockets.has(socket)) {
    seenSockets.add(socket);
    connections += 1;
  }
  if (pollArrivals.size === 0) return;
  const at = monoMs();
  const url = new URL(request.url ?? '/', 'http://sim');
  if (!url.pathname.endsWith(API_PATHS.poll)) return;
  pollArrivals.get(url.searchParams.get('receiverId') ?? '')?.push(at);
});

const sim = await startSimulator({
  scenario: SCENARIOS[config.scenario],
  timing: config.timing as Partial<SimulatorTiming> | undefined,
});
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();

// Request tallies, so the recorder's log can be trimmed during long runs.
let tallied = 0;
let byApi: Record<string, number> = {};
/** Per user-id prefix (before the first '-'): requests per API and poll gaps. */
let byGroup: Record<string, { byApi: Record<string, number>; pollGapsMs: number[] }> = {};
let violations: Record<string, number> = {};
let violationsSeen = 0;
const lastPollAt = new Map<string, number>();
let pollGaps: number[] = [];
let cpuAtReset = cpuMs();
let monoAtReset = monoMs();

function tally(): void {
  const requests = sim.requests;
  for (let i = tallied; i < requests.length; i++) {
    const r = requests[i];
    if (!r) continue;
    byApi[r.api] = (byApi[r.api] ?? 0) + 1;
    const group = (byGroup[(r.userId ?? '?').split('-')[0] ?? '?'] ??= { byApi: {}, pollGapsMs: [] });
    group.byApi[r.api] = (group.byApi[r.api] ?? 0) + 1;
    if (r.api === 'poll' && r.userId !== undefined) {
      const previous = lastPollAt.get(r.userId);
      if (previous !== undefined && pollGaps.length < 200_000) {
        pollGaps.push(r.at - previous);
        group.pollGapsMs.push(r.at - previous);
      }
      lastPollAt.set(r.userId, r.at);
    }
  }
  tallied = requests.length;
  const v = sim.violations;
  for (let i = violationsSeen; i < v.length; i++) {
    const rule = v[i]?.rule ?? 'unknown';
    violations[rule] = (violations[rule] ?? 0) + 1;
  }
  violationsSeen = v.length;
  if (!config.keepRequests) {
    // Pending requests are still referenced by the server; the log entry itself is not needed.
    requests.length = 0;
    tallied = 0;
  }
}
const tallyTimer = setInterval(tally, 1000);

function stats(): SimStats {
  tally();
  const mem = process.memoryUsage();
  return {
    byApi: { ...byApi },
    byGroup: structuredClone(byGroup),
    violations: { ...violations },
    connections,
    pollGapsMs: pollGaps.slice(),
    cpuMs: cpuMs() - cpuAtReset,
    elapsedMs: monoMs() - monoAtReset,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    rssBytes: mem.rss,
    heapUsedBytes: mem.heapUsed,
  };
}

function resetStats(): void {
  tally();
  byApi = {};
  byGroup = {};
  violations = {};
  pollGaps = [];
  lastPollAt.clear();
  connections = 0;
  cpuAtReset = cpuMs();
  monoAtReset = monoMs();
  loop.reset();
}

/** Agent text carrying the injection time on the shared monotonic clock. */
const stamped = (): string => `lat:${monoMs().toFixed(3)}`;

function say(users: readonly string[]): { sent: number; failed: number } {
  let sent = 0;
  let failed = 0;
  for (const user of users) {
    try {
      sim.agent.say(user, stamped());
      sent += 1;
    } catch {
      failed += 1;
    }
  }
  return { sent, failed };
}

/**
 * Steady load: every session `prefix0 .. prefix{count-1}` gets one stamped agent message every
 * `intervalMs`, phases spread evenly, for `durationMs`.
 */
function inject(prefix: string, count: number, intervalMs: number, durationMs: number): Promise<{ sent: number; failed: number }> {
  return new Promise((resolve) => {
    const start = monoMs();
    let next = 0; // messages issued so far (global sequence)
    let sent = 0;
    let failed = 0;
    const perMessageMs = intervalMs / count;
    const timer = setInterval(() => {
      const now = monoMs() - start;
      const due = Math.min(Math.floor(now / perMessageMs), Math.floor(durationMs / perMessageMs));
      const users: string[] = [];
      for (; next < due; next++) users.push(`${prefix}${next % count}`);
      const r = say(users);
      sent += r.sent;
      failed += r.failed;
      if (now >= durationMs) {
        clearInterval(timer);
        resolve({ sent, failed });
      }
    }, 10);
  });
}

function reply(message: ChildReply): void {
  process.send?.(message);
}

process.on('message', (raw) => {
  const command = raw as ChildCommand;
  void (async () => {
    try {
      switch (command.type) {
        case 'say':
          reply({ id: command.id, ok: true, value: say(command.users) });
          break;
        case 'inject':
          reply({ id: command.id, ok: true, value: await inject(command.prefix, command.count, command.intervalMs, command.durationMs) });
          break;
        case 'stats':
          reply({ id: command.id, ok: true, value: stats() });
          break;
        case 'resetStats':
          resetStats();
          reply({ id: command.id, ok: true, value: null });
          break;
        case 'requests':
          reply({
            id: command.id,
            ok: true,
            value: sim.requests.filter((r) => r.userId === command.userId).map((r) => `${r.api}${r.api === 'send' || r.api === 'sendAsync' ? `:${String((r.body as { controlType?: unknown } | undefined)?.controlType)}` : ''}`),
          });
          break;
        case 'watchPolls':
          for (const user of command.users) pollArrivals.set(user, []);
          reply({ id: command.id, ok: true, value: null });
          break;
        case 'pollArrivals':
          reply({ id: command.id, ok: true, value: pollArrivals.get(command.userId) ?? [] });
          break;
        case 'close':
          clearInterval(tallyTimer);
          loop.disable();
          await sim.close();
          reply({ id: command.id, ok: true, value: null });
          process.disconnect?.();
          break;
      }
    } catch (error) {
      reply({ id: command.id, ok: false, error: String(error) });
    }
  })();
});

process.on('disconnect', () => {
  clearInterval(tallyTimer);
  void sim.close().finally(() => process.exit(0));
});

reply({ id: 0, ok: true, value: { url: sim.url, channelId: sim.channelId, credentials: sim.credentials, pid: process.pid } });
