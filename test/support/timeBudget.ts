/**
 * The one rule for wall-clock limits in tests (docs/testing.md, "Time limits"):
 *
 *   A wall-clock limit in a test only ever ends a test that hangs. It never says that something
 *   is fast enough (speed is measured in bench/), it is generous on an idle machine, and it is
 *   multiplied by the time scale, so a loaded 2-core machine does not miss it.
 *
 * Every such limit comes from here: vitest's testTimeout / hookTimeout and expect.poll
 * (vitest.config.ts), the per-test timeouts of heavy tests, and every "wait until" helper
 * (`eventually` below, `rig.until` in test/integration/harness.ts, `until` in test/gateway,
 * `run.eventually` in test/model). Helpers take the limit for an idle machine and scale it.
 *
 * The scale: `AICC_TEST_TIME_SCALE` when set (a number > 0, taken as is); otherwise ×2 under CI
 * (`CI` set and not "false"/"0"), times (1 + 1-minute load average per core) when that is above
 * 1.25, capped at 8. vitest.config.ts resolves it once, before any worker starts, and hands the
 * value to the workers through `AICC_TEST_TIME_SCALE`, so the whole run uses one value.
 *
 * This module imports nothing from vitest: vitest.config.ts loads it too.
 */
import { availableParallelism, loadavg } from 'node:os';

export const TIME_SCALE_ENV = 'AICC_TEST_TIME_SCALE';
/** Set by vitest.config.ts next to the scale it resolved: why (for the line printed at the start). */
export const TIME_SCALE_REASON_ENV = 'AICC_TEST_TIME_SCALE_REASON';
/** The automatic scale never goes above this (a hung test still ends within minutes). */
export const MAX_AUTO_SCALE = 8;

export interface TimeScale {
  scale: number;
  /** Why, in one line: printed at the start of the run. */
  reason: string;
}

export interface TimeScaleInputs {
  env: Record<string, string | undefined>;
  /** 1-minute load average. */
  load1: number;
  cores: number;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** Pure: the scale for these inputs (exported for its own test). */
export function resolveTimeScale({ env, load1, cores }: TimeScaleInputs): TimeScale {
  const explicit = env[TIME_SCALE_ENV]?.trim();
  if (explicit) {
    const scale = Number(explicit);
    if (!Number.isFinite(scale) || scale <= 0) throw new Error(`${TIME_SCALE_ENV} must be a number > 0, got "${explicit}"`);
    return { scale, reason: env[TIME_SCALE_REASON_ENV] ?? `${TIME_SCALE_ENV}=${explicit}` };
  }
  const reasons: string[] = [];
  let scale = 1;
  const ci = env['CI']?.trim().toLowerCase();
  if (ci && ci !== 'false' && ci !== '0') {
    scale *= 2;
    reasons.push('CI ×2');
  }
  const perCore = load1 / Math.max(1, cores);
  // Our own run joins whatever already runs: with the cores busy (per core 1) it gets about half.
  const loadFactor = 1 + perCore;
  if (loadFactor > 1.25) {
    scale *= loadFactor;
    reasons.push(`load ${round(load1)} on ${cores} cores ×${round(loadFactor)}`);
  } else {
    reasons.push(`load ${round(load1)} on ${cores} cores`);
  }
  return { scale: Math.round(Math.min(MAX_AUTO_SCALE, scale) * 10) / 10, reason: reasons.join(', ') };
}

/** The scale of this process (in a test worker: the value vitest.config.ts resolved). */
export const TIME: TimeScale = resolveTimeScale({ env: process.env, load1: loadavg()[0] ?? 0, cores: availableParallelism() });
export const TIME_SCALE = TIME.scale;

/** A hang detector: `idleMs` (generous for an idle machine) times the scale. */
export function budget(idleMs: number): number {
  return Math.ceil(idleMs * TIME_SCALE);
}

/** vitest's testTimeout and hookTimeout (20 s before; the docs type-check took 21 s in `npm test`). */
export const TEST_TIMEOUT_MS = budget(60_000);
/** Heavy tests (a tsc / vue-tsc / svelte-check run, typedoc, a Vite build plus a browser). */
export const HEAVY_TEST_TIMEOUT_MS = budget(180_000);
/** Default limit of one wait inside a test (`eventually`, `rig.until`, expect.poll): idle machine 10 s. */
export const WAIT_IDLE_MS = 10_000;
export const WAIT_MS = budget(WAIT_IDLE_MS);

/**
 * Longer than any test may run (the largest per-test budget, with room). For the other side of
 * a race the test must win: a poll window, a hidden-page pause or a held answer set to this
 * cannot end during the test, so seeing the result at all proves it came first, without
 * measuring how fast it came.
 */
export const OUTLASTS_ANY_TEST_MS = Math.max(60 * 60_000, 4 * HEAVY_TEST_TIMEOUT_MS);

export interface EventuallyOptions {
  /** What is awaited, for the error message. */
  what?: string;
  /** The limit on an idle machine (scaled here); WAIT_IDLE_MS by default. */
  idleMs?: number;
  /** How often to look; 5 ms by default. */
  intervalMs?: number;
}

/**
 * Waits until `check` neither throws nor returns `false`, and returns what it returned. Like
 * vi.waitFor, but the limit is a scaled hang detector, not vi.waitFor's fixed 1 s default. On
 * timeout it throws the check's last error (an assertion keeps its diff) or says what it awaited.
 */
export async function eventually<T>(check: () => T | Promise<T>, options: EventuallyOptions = {}): Promise<Exclude<T, false>> {
  const limit = budget(options.idleMs ?? WAIT_IDLE_MS);
  const deadline = Date.now() + limit;
  for (;;) {
    let lastError: unknown;
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const what = `timed out after ${limit} ms (×${TIME_SCALE}) waiting for ${options.what ?? 'a condition'}`;
      if (lastError instanceof Error) {
        lastError.message = `${what}: ${lastError.message}`;
        throw lastError;
      }
      throw new Error(what);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5));
  }
}

/** A plain pause; only for "nothing more happens" checks and minimum ages, never to wait for something. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
