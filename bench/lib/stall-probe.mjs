// Event-loop stalls with their time on the process clock, for lining them up with `--trace-gc`
// (which prints milliseconds since the isolate started, ~the same origin as performance.now()):
//   SCALE_WORKER_FLAGS='--trace-gc --import ./bench/lib/stall-probe.mjs' node --import tsx bench/scale.ts ...
// Prints `STALL start=… end=… drift=…` whenever a 20 ms timer fires more than STALL_PROBE_MS (150) late.
import { performance } from 'node:perf_hooks';

const PERIOD_MS = 20;
const LIMIT_MS = Number(process.env.STALL_PROBE_MS ?? 150);
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  const drift = now - last - PERIOD_MS;
  if (drift > LIMIT_MS) console.log(`STALL start=${(last + PERIOD_MS).toFixed(0)} end=${now.toFixed(0)} drift=${drift.toFixed(0)} ms`);
  last = now;
}, PERIOD_MS).unref();
