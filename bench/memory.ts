/**
 * Memory — heap per session, the machine next to the floor a hand-written client sits on: N
 * createChatSession sessions in `chatting`, versus N bare axios long-pollers (one shared axios
 * instance without redirect following, like the library's default; CONNECT done, one poll in
 * flight). Each variant runs in its own worker with `--expose-gc`; one warm-up session runs first
 * so code loading, JIT and the once-per-process machine are not charged to the N sessions.
 * Heap per session = (heap after a full GC − heap before the N sessions) / N.
 *
 *   node --import tsx bench/memory.ts [--quick]
 */
import axios from 'axios';
import { fileURLToPath } from 'node:url';
import { LIBRARY_SOURCE } from './lib/library.js';
import { QUICK, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import type { SimInfo } from './lib/sim-protocol.js';
import { runWorker, finishWorker } from './lib/spawn.js';
import { fullGc, sleep } from './lib/stats.js';
import { BareSession, Waiter, bareGatewayHeaders, machineSession, onceChatting, sharedAuth } from './lib/wiring.js';

const N = QUICK ? 500 : 2000;
const ROUNDS = QUICK ? 1 : 3;
const LONG_POLL_MS = 5_000;

type Variant = 'machine' | 'bare';

interface Measured {
  heapPerSessionKB: number;
  rssPerSessionKB: number;
}

async function worker(variant: Variant, sim: SimInfo): Promise<Measured> {
  const keep: unknown[] = [];
  const waiter = new Waiter();
  let ready = 0;
  const shared = axios.create({ maxRedirects: 0 });
  const auth = sharedAuth(sim);
  const gateway = await bareGatewayHeaders(sim);
  await auth.gatewayHeaders({ forceRefresh: false });

  const open = async (userId: string): Promise<void> => {
    if (variant === 'machine') {
      const actor = machineSession(sim, auth, userId, { longPollWindowMs: LONG_POLL_MS });
      onceChatting(actor, () => {
        ready++;
        waiter.notify();
      });
      actor.start();
      keep.push(actor);
    } else {
      const session = new BareSession(sim, gateway, userId, LONG_POLL_MS + 10_000, shared);
      await session.applyToken();
      await session.send('CONNECT');
      session.startPolling(() => undefined);
      keep.push(session);
      ready++;
      waiter.notify();
    }
  };

  await open(`mw${variant[0]}-warm`);
  await waiter.until(() => ready === 1);
  await sleep(500);
  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < N; i++) {
    await open(`m${variant[0]}-${i}`);
    if (i % 100 === 99) await waiter.until(() => ready >= i + 1 - 200);
  }
  await waiter.until(() => ready === N + 1);
  await sleep(1000); // every session's first poll is in flight
  fullGc();
  const mem = process.memoryUsage();
  if (process.env.BENCH_HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(`${process.env.BENCH_HEAP_SNAPSHOT}.${variant}.heapsnapshot`);
  return { heapPerSessionKB: (mem.heapUsed - heap0) / N / 1024, rssPerSessionKB: (mem.rss - rss0) / N / 1024 };
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  const self = fileURLToPath(import.meta.url);
  const rounds: Record<Variant, Measured>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const got: Partial<Record<Variant, Measured>> = {};
    for (const variant of (r % 2 === 0 ? ['machine', 'bare'] : ['bare', 'machine']) as Variant[]) {
      const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: LONG_POLL_MS } });
      try {
        got[variant] = await runWorker<Measured>(self, { args: ['--worker', variant, JSON.stringify(sim)], nodeFlags: ['--expose-gc'], timeoutMs: 300_000 });
      } finally {
        await sim.close();
      }
    }
    rounds.push(got as Record<Variant, Measured>);
    console.log(`memory round ${r + 1}/${ROUNDS}: machine ${got.machine?.heapPerSessionKB.toFixed(1)} KB, bare ${got.bare?.heapPerSessionKB.toFixed(1)} KB per session`);
  }
  const med = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const summary = (v: Variant) => ({
    heapPerSessionKB: med(rounds.map((r) => r[v].heapPerSessionKB)),
    rssPerSessionKB: med(rounds.map((r) => r[v].rssPerSessionKB)),
    rounds: rounds.map((r) => r[v].heapPerSessionKB),
  });
  writeResult('memory', startedAt, { sessions: N, library: LIBRARY_SOURCE, machine: summary('machine'), bare: summary('bare'), target: { heapPerSessionKB: 30 } }, machine);
}

const workerIndex = process.argv.indexOf('--worker');
if (workerIndex >= 0) {
  const variant = process.argv[workerIndex + 1] as Variant;
  finishWorker(() => worker(variant, JSON.parse(process.argv[workerIndex + 2] ?? '{}') as SimInfo));
} else {
  await main();
}
