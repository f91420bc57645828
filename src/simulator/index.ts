/**
 * aicc-chat-machine/simulator: a local, scriptable Huawei AICC CC-Messaging server on node:http.
 *
 *   const sim = await startSimulator({ scenario: 'agent-direct', timing: { longPollWindowMs: 200 } });
 *   // ... point a client at sim.url, script the agent with sim.agent.say(...), inspect sim.requests
 *   await sim.close();
 */
import { LIMITS, type ApiName, type WireHistoryMessage } from '../client/protocol.js';
import { AccessTokens, CcTokens } from './auth.js';
import { FaultQueue } from './faults.js';
import { FileStore } from './files.js';
import type { ResolvedConfig, World } from './handlers/context.js';
import { Recorder } from './recorder.js';
import { resolveScenario } from './scenarios.js';
import { SimServer } from './server.js';
import { Engine } from './engine.js';
import { TimerSet } from './timers.js';
import type { Fault, FaultPlan, Simulator, SimulatorOptions, SimulatorTiming } from './types.js';

export { SCENARIO_PRESETS } from './scenarioPresets.js';
export { scenarios, resolveScenario, SCENARIO_NAMES, DEFAULT_SURVEY_LEVELS, DEFAULT_SURVEY_QUESTIONS } from './scenarios.js';
export type * from './types.js';
export { PLANNED_FAULTS } from './types.js';
export { hashSeed, seededRandom } from './faults.js';

export const DEFAULT_TIMING: Readonly<SimulatorTiming> = Object.freeze({
  longPollWindowMs: LIMITS.longPollWindowMs,
  sessionIdleTimeoutMs: 120_000,
  ccmessagingTokenLifetimeMs: LIMITS.ccmessagingTokenLifetimeMs,
  tokenRotationGraceMs: 30_000,
  robotReplyDelayMs: 300,
  agentReplyDelayMs: 500,
  queueAdvanceMs: 1000,
});

export const DEFAULT_CHANNEL_ID = '1011577355744904195';
export const DEFAULT_CREDENTIALS = Object.freeze({ appKey: 'sim-app-key', appSecret: 'sim-app-secret' });

function resolveOptions(options: SimulatorOptions): ResolvedConfig {
  const timing: SimulatorTiming = { ...DEFAULT_TIMING };
  for (const [key, value] of Object.entries(options.timing ?? {}) as [keyof SimulatorTiming, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw new Error(`timing.${key} must be a number >= 0`);
    timing[key] = value;
  }
  const bytes = (name: string, value: number | undefined): number => {
    if (value === undefined) return LIMITS.downloadMaxBytes;
    if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be an integer >= 0`);
    return value;
  };
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    channelId: options.channelId ?? DEFAULT_CHANNEL_ID,
    credentials: { ...(options.credentials ?? DEFAULT_CREDENTIALS) },
    scenario: resolveScenario(options.scenario),
    timing,
    downloadMaxBytes: bytes('downloadMaxBytes', options.downloadMaxBytes),
    uploadMaxBytes: bytes('uploadMaxBytes', options.uploadMaxBytes),
    now: options.now ?? Date.now,
    cors: options.cors ?? true,
    recordRequests: options.recordRequests ?? true,
  };
}

/** Starts a simulator on host:port (default 127.0.0.1, a free port). */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const config = resolveOptions(options);
  const timers = new TimerSet();
  const files = new FileStore();
  const world: World = {
    config,
    timers,
    files,
    engine: new Engine({ channelId: config.channelId, scenario: config.scenario, timing: config.timing, now: config.now, timers, files }),
    accessTokens: new AccessTokens(),
    ccTokens: new CcTokens(config.timing.ccmessagingTokenLifetimeMs, config.timing.tokenRotationGraceMs),
  };
  const recorder = new Recorder(config.now, config.recordRequests);
  const faults = new FaultQueue(config.now);
  const server = new SimServer(world, recorder, faults);
  const address = await server.listen(config.host, config.port);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const { engine } = world;

  const sim: Simulator = {
    url: `http://${host}:${address.port}`,
    channelId: config.channelId,
    credentials: config.credentials,
    // Live: scripts may change fields (workingHours, agent.reply, ...) mid-test.
    scenario: config.scenario,
    timing: Object.freeze({ ...config.timing }),
    get requests() {
      return recorder.requests;
    },
    get violations() {
      return recorder.violations;
    },
    requestsFor: (api: ApiName, userId?: string) => recorder.requestsFor(api, userId),
    session: (userId: string) => engine.view(userId),
    agent: {
      say: (userId, text) => engine.agentSay(userId, text),
      sendFile: (userId, file) => engine.agentSendFile(userId, file),
      read: (userId) => engine.agentRead(userId),
      end: (userId) => engine.agentEnd(userId),
    },
    robot: {
      say: (userId, text) => engine.robotSay(userId, text),
    },
    system: {
      say: (userId, text) => engine.systemSay(userId, text),
      disconnect: (userId, opts) => engine.systemDisconnect(userId, opts?.isOfflineStatus ?? false),
      releaseSession: (userId) => engine.releaseSession(userId),
      forget: (userId) => engine.forget(userId),
    },
    queue: {
      advance: (userId, steps = 1) => engine.queueAdvance(userId, steps),
      serve: (userId) => engine.queueServe(userId),
      setPosition: (userId, position) => engine.queueSetPosition(userId, position),
    },
    tokens: {
      rotate: (userId) => world.ccTokens.requestRotation(userId),
      expire: (userId) => world.ccTokens.expire(userId),
      expireAccessTokens: () => world.accessTokens.expireAll(),
    },
    faults: {
      next: (api: ApiName, fault: Fault, times?: number) => faults.next(api, fault, times),
      plan: (plan: FaultPlan | null) => faults.setPlan(plan),
      stats: () => faults.stats(),
      clear: () => faults.clear(),
    },
    seedHistory: (userId: string, messages: Partial<WireHistoryMessage>[]) => engine.seedHistory(userId, messages),
    files: {
      get: (fileId) => {
        const file = files.get(fileId);
        return file ? new Uint8Array(file.bytes) : undefined;
      },
    },
    reset: () => {
      engine.clear();
      timers.clearAll();
      files.clear();
      faults.clear();
      recorder.reset();
    },
    close: () => server.close(),
  };
  return sim;
}
