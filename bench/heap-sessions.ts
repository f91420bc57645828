/**
 * Heap per chatting session (on `--transport`, default node), for finding what a session holds: N
 * createChatSession sessions in `chatting` (one warm-up session first, heap after a full GC
 * minus the heap before the N). With `--snapshots DIR` it writes a heap snapshot before and
 * after the N sessions, to compare by constructor and retainer (Chrome DevTools' comparison
 * view), and a third one window later (`later`): compared with `after`, what one poll in flight
 * holds (bench/lib/heap-diff.ts). `BENCH_DIST=<build>` measures another build (bench/lib/library.ts), so two builds can
 * be measured one after the other in one run.
 *
 *   node --expose-gc --import tsx bench/heap-sessions.ts [--sessions 1000] [--snapshots /tmp/heap] [--transport node|axios|fetch]
 */
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import { argValue } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { fullGc, sleep } from './lib/stats.js';
import { isTransportName, makeTransport } from './lib/transports.js';
import { Waiter, machineSession, onceChatting, sharedAuth } from './lib/wiring.js';

const N = Number(argValue('sessions') ?? 1000);
const TRANSPORT = argValue('transport') ?? 'node';
if (!isTransportName(TRANSPORT)) throw new Error(`bench/heap-sessions: unknown --transport ${TRANSPORT}`);
const SNAPSHOTS = argValue('snapshots');
const LONG_POLL_MS = 5000;

const sim = await startSimProcess({ scenario: 'agent', timing: { longPollWindowMs: LONG_POLL_MS } });
try {
  const auth = sharedAuth(sim);
  await auth.gatewayHeaders({ forceRefresh: false });
  const transport = await makeTransport(TRANSPORT);
  const options = { longPollWindowMs: LONG_POLL_MS, ...(transport ? { transport } : {}) };
  const warm = machineSession(sim, auth, 'hs-warm', options);
  warm.start();
  await waitFor(warm, (s) => s.matches({ connected: 'chatting' }), { timeout: 60_000 });
  await sleep(500);
  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  if (SNAPSHOTS) writeHeapSnapshot(join(SNAPSHOTS, 'before.heapsnapshot'));
  const keep: unknown[] = [];
  const waiter = new Waiter();
  let ready = 0;
  for (let i = 0; i < N; i++) {
    const actor = machineSession(sim, auth, `hs-${i}`, options);
    onceChatting(actor, () => {
      ready++;
      waiter.notify();
    });
    actor.start();
    keep.push(actor);
    if (i % 100 === 99) await waiter.until(() => ready >= i + 1 - 200);
  }
  await waiter.until(() => ready === N);
  await sleep(1500); // every session's poll in flight
  fullGc();
  const heapPerSessionKB = (process.memoryUsage().heapUsed - heap0) / N / 1024;
  if (SNAPSHOTS) {
    writeHeapSnapshot(join(SNAPSHOTS, 'after.heapsnapshot'));
    // One window later every idle session has a new poll in flight and nothing else changed:
    // what `later` holds that `after` did not is what one poll keeps alive for its window.
    await sleep(LONG_POLL_MS + 1000);
    writeHeapSnapshot(join(SNAPSHOTS, 'later.heapsnapshot'));
  }
  console.log(JSON.stringify({ sessions: N, transport: TRANSPORT, build: process.env.BENCH_DIST ?? 'dist', heapPerSessionKB: Math.round(heapPerSessionKB * 100) / 100 }));
} finally {
  await sim.close();
}
process.exit(0);
