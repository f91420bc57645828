/**
 * Chaos run configuration: the fault plan, the timings of simulator, client and machine, and the
 * two presets (`fast` for `npm test`, `big` for `npm run chaos`).
 */
import type { FaultRates, SimulatorTiming } from '../../src/simulator/index.js';
import type { ChatTiming } from '../../src/index.js';

/** Per-request fault probabilities. About one request in eight is hit by something. */
export const CHAOS_RATES: FaultRates = {
  'http-5xx': 0.02,
  'http-5xx-after': 0.008,
  reset: 0.015,
  'reset-after': 0.01,
  slow: 0.006,
  delay: 0.02,
  'duplicate-delivery': 0.03,
  reorder: 0.03,
  'token-rotation': 0.015,
  unauthorized: 0.008,
  'access-token-expiry': 0.001,
  'session-release': 0.0015,
};

/**
 * applyToken answers the token provider: a failure there before the first CONNECT ends the
 * session as auth-failed (by design), so it is hit less often; the rest as everywhere.
 */
export const CHAOS_API_RATES = {
  applyToken: { 'http-5xx': 0.01, reset: 0.005, delay: 0.02 } satisfies FaultRates,
};

export const SIM_TIMING: Partial<SimulatorTiming> = {
  longPollWindowMs: 800,
  robotReplyDelayMs: 10,
  agentReplyDelayMs: 20,
  queueAdvanceMs: 60,
  sessionIdleTimeoutMs: 30_000,
};

/** Client timeouts: a `slow` answer (SLOW_MS) always exceeds them. */
export const CLIENT = {
  timeoutMs: 1_200,
  longPollWindowMs: SIM_TIMING.longPollWindowMs ?? 800,
  pollTimeoutMs: (SIM_TIMING.longPollWindowMs ?? 800) + 1_000,
};

export const SLOW_MS = 2_500;
export const DELAY_MS = 15;

export const MACHINE_TIMING: Partial<ChatTiming> = {
  queueIntervalMs: 80,
  pollBackoffBaseMs: 20,
  pollBackoffMaxMs: 250,
  maxPollFailures: 10,
  pollMinIntervalMs: 0,
  typingThrottleMs: 200,
  suggestionDebounceMs: 20,
  connectRetries: 5,
  connectRetryBaseMs: 20,
  connectRetryMaxMs: 200,
};

export interface ChaosOptions {
  /** Sessions to run in total. */
  sessions: number;
  /** Sessions running at the same time. */
  concurrency: number;
  seed: number;
  /** Stop starting new sessions after this long (the ones running finish). */
  maxSeconds: number;
  /** Fault rates (default CHAOS_RATES). */
  rates?: FaultRates;
  /** Print progress lines to stderr. */
  progress?: boolean;
  /** Keep the simulators' request logs and attach each problem session's trace (debugging). */
  trace?: boolean;
}

export const PRESETS = {
  /** `npm test`: a few hundred sessions, seeded, well under a minute on 2 cores. */
  fast: { sessions: 240, concurrency: 60, seed: 20260501, maxSeconds: 45 },
  /** `npm run chaos`: thousands of sessions, bounded in time (new sessions stop after maxSeconds). */
  big: { sessions: 3000, concurrency: 100, seed: 20260502, maxSeconds: 420 },
} as const satisfies Record<string, ChaosOptions>;
