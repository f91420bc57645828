/**
 * Benchmark 1's conversation (bench/overhead.ts) on two builds of the library in one process,
 * against one simulator: sessions of build A's machine, build B's machine and bare axios are
 * interleaved one by one, in an order that rotates through all six, so drifting load on a
 * shared machine hits the three alike. Per round (N sessions of each) it reports CPU per session;
 * at the end the medians of B/A and of B's and A's CPU above bare axios.
 * A build is tsc output of tsconfig.build.json inside this checkout (so it finds node_modules),
 * e.g. `npm run build && cp -r dist/src dist/machines dist/ab-b/` for each commit.
 *
 *   node --import tsx bench/ab-overhead.ts --a /abs/build-a --b /abs/build-b [--rounds 9] [--sessions 20]
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { bareConversation, machineConversation } from './overhead.js';
import { argValue } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { interleavedRound } from './lib/interleave.js';
import { spread } from './lib/stats.js';
import { bareGatewayHeaders, sharedAuth, type BenchLibrary } from './lib/wiring.js';

const ROUNDS = Number(argValue('rounds') ?? 9);
const SESSIONS = Number(argValue('sessions') ?? 20);
const WARM_UP_ROUNDS = 4;

async function build(flag: 'a' | 'b'): Promise<BenchLibrary> {
  const dir = argValue(flag);
  if (!dir) throw new Error(`bench/ab-overhead: --${flag} <absolute path of a build> is required`);
  return (await import(pathToFileURL(`${dir.replace(/\/*$/, '')}/src/index.js`).href)) as BenchLibrary;
}

const libs = { a: await build('a'), b: await build('b') };
const sim = await startSimProcess({ scenario: 'robot', timing: { robotReplyDelayMs: 0 } });
try {
  const auths = { a: sharedAuth(sim, libs.a), b: sharedAuth(sim, libs.b) };
  const gateway = await bareGatewayHeaders(sim);
  const round = interleavedRound(['a', 'b', 'bare'] as const, SESSIONS, 'ab', async (kind, userId) => {
    if (kind === 'bare') await bareConversation(sim, gateway, userId);
    else await machineConversation(sim, auths[kind], userId, libs[kind]);
  });
  for (let w = 0; w < WARM_UP_ROUNDS; w++) await round();
  const rounds: Awaited<ReturnType<typeof round>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const got = await round();
    rounds.push(got);
    const load = loadavg()[0]!.toFixed(2);
    console.log(`round ${r + 1}/${ROUNDS}: CPU per session A ${got.a.toFixed(2)} B ${got.b.toFixed(2)} bare ${got.bare.toFixed(2)} ms, B/A ${(got.b / got.a).toFixed(3)}, load ${load}`);
  }
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  const summary = {
    sessionsPerRound: SESSIONS,
    bOverA: spread(rounds.map((r) => round3(r.b / r.a))),
    roundsWithBLower: rounds.filter((r) => r.b < r.a).length,
    aboveBareBOverA: spread(rounds.map((r) => round3((r.b - r.bare) / (r.a - r.bare)))),
    ratioToBare: { a: spread(rounds.map((r) => round3(r.a / r.bare))), b: spread(rounds.map((r) => round3(r.b / r.bare))) },
    cpuMsPerSession: { a: spread(rounds.map((r) => r.a)), b: spread(rounds.map((r) => r.b)), bare: spread(rounds.map((r) => r.bare)) },
    loadAverage: loadavg(),
  };
  console.log(JSON.stringify(summary));
} finally {
  await sim.close();
}
