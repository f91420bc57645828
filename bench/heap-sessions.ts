/**
 * Heap per chatting session (on `--transport`, default node), for finding what a session holds: N
 * createChatSession sessions in `chatting` (one warm-up session first, heap after a full GC
 * minus the heap before the N). With `--snapshots DIR` it writes a heap snapshot before and
 * after the N sessions, to compare by constructor and retainer (Chrome DevTools' comparison
 * view), and a third one window later (`later`): compared with `after`, what one poll in flight
 * holds (bench/lib/heap-diff.ts). `BENCH_DIST=<build>` measures another build (bench/lib/library.ts), so two builds can
 * be measured one after the other in one run.
 *
 * With `--messages M` every session then receives M agent messages and sends M texts (one of
 * each at a time, all sessions together), and the heap per kept message is printed too (with
 * `--snapshots`, a `chatted` snapshot: compared with `after`, what the messages hold).
 *
 *   node --expose-gc --import tsx bench/heap-sessions.ts [--sessions 1000] [--snapshots /tmp/heap] [--transport node|axios|fetch|net] [--messages 10]
 */
import { writeHeapSnapshot } from 'node:v8';
import { join } from 'node:path';
import { waitFor } from 'xstate';
import type { ChatSessionActor } from '../src/index.js';
import { argValue } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { fullGc, sleep } from './lib/stats.js';
import { isTransportName, makeTransport } from './lib/transports.js';
import { Waiter, machineSession, onceChatting, sharedAuth } from './lib/wiring.js';

const N = Number(argValue('sessions') ?? 1000);
const TRANSPORT = argValue('transport') ?? 'node';
if (!isTransportName(TRANSPORT)) throw new Error(`bench/heap-sessions: unknown --transport ${TRANSPORT}`);
const SNAPSHOTS = argValue('snapshots');
const MESSAGES = Number(argValue('messages') ?? 0);
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
  const keep: ChatSessionActor[] = [];
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
  const perMessage = MESSAGES > 0 ? await heapPerKeptMessage(keep) : undefined;
  console.log(
    JSON.stringify({
      sessions: N,
      transport: TRANSPORT,
      build: process.env.BENCH_DIST ?? 'dist',
      heapPerSessionKB: Math.round(heapPerSessionKB * 100) / 100,
      ...(perMessage === undefined ? {} : { messagesEach: 2 * MESSAGES, heapPerKeptMessageBytes: Math.round(perMessage) }),
    }),
  );
} finally {
  await sim.close();
}

/** M agent messages and M customer texts per session, all in the transcript and sent; heap per message after a full GC. */
async function heapPerKeptMessage(actors: ChatSessionActor[]): Promise<number> {
  fullGc();
  const heap0 = process.memoryUsage().heapUsed;
  const length = (a: ChatSessionActor) => a.getSnapshot().context.transcript.length;
  const base = actors.map(length);
  const waiter = new Waiter();
  const subscriptions = actors.map((a) => a.subscribe(() => waiter.notify()));
  for (let m = 1; m <= MESSAGES; m++) {
    await sim.say(actors.map((a) => a.getSnapshot().context.identity.userId));
    for (const actor of actors) actor.send({ type: 'message.send', text: `customer line ${m}, a few words long` });
    await waiter.until(() => actors.every((a, i) => length(a) >= base[i]! + 2 * m && a.getSnapshot().context.outbox.length === 0));
  }
  for (const s of subscriptions) s.unsubscribe();
  await sleep(500);
  fullGc();
  if (SNAPSHOTS) writeHeapSnapshot(join(SNAPSHOTS, 'chatted.heapsnapshot'));
  return (process.memoryUsage().heapUsed - heap0) / (actors.length * 2 * MESSAGES);
}
process.exit(0);
