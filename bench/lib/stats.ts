/** Small statistics helpers: every figure in docs/performance.md goes through these. */

/** The q-quantile (0..1) of the values, linear interpolation between closest ranks. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

/** Median and spread of a set of per-round figures. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Interquartile range: p75 - p25. */
  iqr: number;
  n: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    iqr: quantile(values, 0.75) - quantile(values, 0.25),
    n: values.length,
  };
}

/** Latency summary of a sample (ms). */
export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

export function latency(values: readonly number[]): Latency {
  return {
    p50: quantile(values, 0.5),
    p90: quantile(values, 0.9),
    p99: quantile(values, 0.99),
    max: values.length ? values.reduce((m, v) => (v > m ? v : m), -Infinity) : Number.NaN,
    n: values.length,
  };
}

/** Rounds for JSON output (keeps results readable and diffs small). */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Deep-rounds every number of a JSON-like value. */
export function roundAll<T>(value: T, digits = 3): T {
  if (typeof value === 'number') return round(value, digits) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => roundAll(v, digits)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = roundAll(v, digits);
    return out as T;
  }
  return value;
}

/** Monotonic clock in ms, system-wide on Linux (CLOCK_MONOTONIC): comparable across processes. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Process CPU time (user + system) in ms. */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Two full GCs (the second collects what the first's finalizers freed); needs --expose-gc. */
export function fullGc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run this worker with --expose-gc');
  collect();
  collect();
}
