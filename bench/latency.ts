/**
 * Benchmark 2 — delivery latency. The simulator (own process) stamps an agent message with the
 * system-wide monotonic clock when it injects it; we measure until the text is visible in the
 * actor's snapshot (createChatSession, subscribe), and, interleaved, until a bare axios long poll
 * hands it over. Both are waiting in a long poll (the real 5000 ms window) when it is injected.
 *
 *   node --import tsx bench/latency.ts [--quick]
 */
import { QUICK, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { latency, median, monoMs, sleep, spread } from './lib/stats.js';
import { BareSession, Waiter, bareGatewayHeaders, machineSession, sharedAuth, type BareMessage } from './lib/wiring.js';
import { entryAtPosition } from '../machines/chatSession.transcript.js';

const ROUNDS = QUICK ? 3 : 7;
const PER_ROUND = QUICK ? 20 : 60;
/** Pause between injections: long enough for the next long poll to be waiting. */
const GAP_MS = 15;

function stampOf(text: unknown): number | undefined {
  return typeof text === 'string' && text.startsWith('lat:') ? Number(text.slice(4)) : undefined;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  const sim = await startSimProcess({ scenario: 'agent' });
  try {
    // The machine session.
    const auth = sharedAuth(sim);
    const actor = machineSession(sim, auth, 'latm-1');
    const waiter = new Waiter();
    let seen = 0;
    /** The latest sample of each side (set by the listeners, taken by sample()). */
    const got: { machine?: number | undefined; bare?: number | undefined } = {};
    actor.subscribe((snapshot) => {
      const { transcript } = snapshot.context;
      for (; seen < transcript.length; seen++) {
        const entry = entryAtPosition(transcript, seen);
        if (entry?.kind !== 'incoming' || entry.message.controlType !== 'CHAT' || entry.message.content.mediaType !== 'TEXT') continue;
        const stamp = stampOf(entry.message.content.text);
        if (stamp !== undefined) got.machine = monoMs() - stamp;
      }
      waiter.notify();
    });
    actor.start();
    await waiter.until(() => actor.getSnapshot().matches({ connected: 'chatting' }));

    // The bare long-poller.
    const bare = new BareSession(sim, await bareGatewayHeaders(sim), 'latb-1');
    await bare.applyToken();
    await bare.send('CONNECT');
    bare.startPolling((messages: BareMessage[]) => {
      for (const m of messages) {
        const stamp = stampOf(m.content);
        if (stamp !== undefined) got.bare = monoMs() - stamp;
      }
      waiter.notify();
    });
    await sleep(300);

    async function sample(kind: 'machine' | 'bare'): Promise<number> {
      got.machine = undefined;
      got.bare = undefined;
      await sim.say([kind === 'machine' ? 'latm-1' : 'latb-1']);
      await waiter.until(() => got[kind] !== undefined);
      const value = got[kind] ?? Number.NaN;
      await sleep(GAP_MS);
      return value;
    }

    for (let i = 0; i < 20; i++) {
      await sample('machine');
      await sample('bare');
    }

    const all = { machine: [] as number[], bare: [] as number[] };
    const addedP50: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = { machine: [] as number[], bare: [] as number[] };
      for (let i = 0; i < PER_ROUND; i++) {
        const order: ('machine' | 'bare')[] = (i + r) % 2 === 0 ? ['machine', 'bare'] : ['bare', 'machine'];
        for (const kind of order) round[kind].push(await sample(kind));
      }
      all.machine.push(...round.machine);
      all.bare.push(...round.bare);
      addedP50.push(median(round.machine) - median(round.bare));
      console.log(`latency round ${r + 1}/${ROUNDS}: machine p50 ${median(round.machine).toFixed(3)} ms, bare p50 ${median(round.bare).toFixed(3)} ms`);
    }
    actor.send({ type: 'chat.end' });
    await bare.stop();
    const simStats = await sim.stats();

    const result = {
      method: { rounds: ROUNDS, samplesPerRoundEach: PER_ROUND, gapMs: GAP_MS, longPollWindowMs: 5000 },
      machine: latency(all.machine),
      bare: latency(all.bare),
      addedP50Ms: spread(addedP50),
      addedP99Ms: latency(all.machine).p99 - latency(all.bare).p99,
      violations: simStats.violations,
      target: { addedP50Ms: 2 },
    };
    writeResult('latency', startedAt, result, machine);
    console.log(JSON.stringify({ machine: result.machine, bare: result.bare, addedP50: result.addedP50Ms }));
  } finally {
    await sim.close();
  }
}

await main();
