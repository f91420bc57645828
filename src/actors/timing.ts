/** Timer helpers shared by the long-running actors. Injectable so tests need no real sleeps. */

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Full-jitter exponential backoff (AWS architecture blog): the n-th consecutive failure
 * (1-based) waits `random() * min(maxMs, baseMs * 2^(n-1))`.
 */
export function fullJitterBackoff(failures: number, baseMs: number, maxMs: number, random: () => number): number {
  const exponent = Math.max(0, failures - 1);
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));
  const r = random();
  const factor = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 1;
  return Math.floor(ceiling * factor);
}

export interface ActorEnvironment {
  /** Uniform [0, 1), for backoff jitter. Default Math.random. */
  random: () => number;
  /** Epoch ms. Default Date.now. */
  now: () => number;
  sleep: Sleep;
}
