/**
 * Three kinds of session measured side by side (bench/ab-overhead.ts, bench/layers.ts): one
 * session of each kind after another, in an order that rotates through all six, so drifting
 * load and the JIT's warm-up hit the three alike.
 */
import { cpuMs } from './stats.js';

/** The six orders of three kinds, in turn. */
function rotations<K extends string>([x, y, z]: readonly [K, K, K]): K[][] {
  return [
    [x, y, z],
    [y, z, x],
    [z, x, y],
    [y, x, z],
    [x, z, y],
    [z, y, x],
  ];
}

/**
 * One round: `sessions` sessions of each kind (`run(kind, userId)`), interleaved; the CPU per
 * session of each kind, in ms. `tag` prefixes the user ids so no two sessions share one.
 */
export function interleavedRound<K extends string>(kinds: readonly [K, K, K], sessions: number, tag: string, run: (kind: K, userId: string) => Promise<void>) {
  const orders = rotations(kinds);
  let n = 0;
  return async (): Promise<Record<K, number>> => {
    const sum = Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<K, number>;
    for (let s = 0; s < sessions; s++) {
      for (const kind of orders[s % orders.length]!) {
        const c0 = cpuMs();
        await run(kind, `${tag}${kind}-${n++}`);
        sum[kind] += cpuMs() - c0;
      }
    }
    for (const kind of kinds) sum[kind] /= sessions;
    return sum;
  };
}
