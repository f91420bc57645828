/**
 * Where benchmark 1's CPU ratio comes from: its conversation (bench/overhead.ts) three ways,
 * against one simulator: bare axios, our client alone (createAiccClient, the same calls in the
 * same order) and the whole session (createChatSession). Sessions of the three are interleaved
 * one by one in an order that rotates through all six, so drifting load hits them alike. Per
 * round (N sessions of each) it reports CPU per session; at the end the medians of client/bare,
 * session/bare and session/client: the client's share of the ratio and the statechart's
 * (machine, actors, XState). Then the session alone on an in-process client (no HTTP): what the
 * statechart layer costs without HTTP work around it, answered back to back and with 1 ms gaps.
 *
 *   node --import tsx bench/layers.ts [--rounds 9] [--sessions 20] [--quick]
 */
import { loadavg } from 'node:os';
import { bareConversation, clientConversation, conversationOf, machineConversation, withoutPolls } from './overhead.js';
import { inProcessClient } from './lib/inProcessClient.js';
import { lib } from './lib/library.js';
import { QUICK, argValue, machineInfo, writeResult } from './lib/results.js';
import { startSimProcess } from './lib/sim-process.js';
import { interleavedRound } from './lib/interleave.js';
import { cpuMs, spread } from './lib/stats.js';
import { bareGatewayHeaders, identityFor, sharedAuth } from './lib/wiring.js';

const ROUNDS = Number(argValue('rounds') ?? (QUICK ? 3 : 9));
const SESSIONS = Number(argValue('sessions') ?? (QUICK ? 6 : 20));
const WARM_UP_ROUNDS = QUICK ? 1 : 4;

const startedAt = performance.now();
const machine = machineInfo();
const sim = await startSimProcess({ scenario: 'robot', timing: { robotReplyDelayMs: 0 }, keepRequests: true });
try {
  const auth = sharedAuth(sim);
  const gateway = await bareGatewayHeaders(sim);
  // The three must make the same calls in the same order (polls aside) for the ratios to mean anything.
  await bareConversation(sim, gateway, 'ly-seq-bare');
  await clientConversation(sim, auth, 'ly-seq-client');
  await machineConversation(sim, auth, 'ly-seq-session');
  const sequences = await Promise.all(['bare', 'client', 'session'].map(async (kind) => withoutPolls(await sim.requests(`ly-seq-${kind}`)).join()));
  const sameSequence = sequences.every((sequence) => sequence === sequences[0]);
  if (!sameSequence) throw new Error(`bench/layers: the three make different calls:\n${sequences.join('\n')}`);
  const round = interleavedRound(['bare', 'client', 'session'] as const, SESSIONS, 'ly', async (kind, userId) => {
    if (kind === 'bare') await bareConversation(sim, gateway, userId);
    else if (kind === 'client') await clientConversation(sim, auth, userId);
    else await machineConversation(sim, auth, userId);
  });
  for (let w = 0; w < WARM_UP_ROUNDS; w++) await round();
  const rounds: Awaited<ReturnType<typeof round>>[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const got = await round();
    rounds.push(got);
    const ratio = (a: number, b: number) => (a / b).toFixed(3);
    console.log(
      `round ${r + 1}/${ROUNDS}: CPU per session bare ${got.bare.toFixed(2)} client ${got.client.toFixed(2)} session ${got.session.toFixed(2)} ms; client/bare ${ratio(got.client, got.bare)} session/bare ${ratio(got.session, got.bare)}, load ${loadavg()[0]!.toFixed(2)}`,
    );
  }
  // The statechart layer alone: the same session on an in-process client (no HTTP), its answers
  // back to back (setImmediate) or after 1 ms timers (the process idles between steps, as it
  // does waiting for a server).
  const inProcess = async (replyAfterMs: number | undefined): Promise<number[]> => {
    const cpu: number[] = [];
    for (let s = 0; s < WARM_UP_ROUNDS * SESSIONS + ROUNDS * SESSIONS; s++) {
      const c0 = cpuMs();
      await conversationOf(lib.createChatSession({ client: inProcessClient(lib, replyAfterMs), identity: identityFor(sim, `lyi-${s}`) }));
      if (s >= WARM_UP_ROUNDS * SESSIONS) cpu.push(cpuMs() - c0);
    }
    return cpu;
  };
  const backToBack = await inProcess(undefined);
  const withGaps = await inProcess(1);
  console.log(`session on an in-process client (no HTTP): ${spread(backToBack).median.toFixed(2)} ms CPU per session back to back, ${spread(withGaps).median.toFixed(2)} ms with 1 ms gaps`);
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  const result = {
    sameSequence,
    sessionsPerRound: SESSIONS,
    rounds: ROUNDS,
    clientOverBare: spread(rounds.map((r) => round3(r.client / r.bare))),
    sessionOverBare: spread(rounds.map((r) => round3(r.session / r.bare))),
    sessionOverClient: spread(rounds.map((r) => round3(r.session / r.client))),
    cpuMsPerSession: { bare: spread(rounds.map((r) => r.bare)), client: spread(rounds.map((r) => r.client)), session: spread(rounds.map((r) => r.session)) },
    // The session on an in-process client (bench/lib/inProcessClient.ts), one session at a time.
    inProcessSessionCpuMs: { backToBack: spread(backToBack), withOneMsGaps: spread(withGaps) },
  };
  const file = writeResult('layers', startedAt, result, machine);
  console.log(JSON.stringify({ clientOverBare: file.result.clientOverBare.median, sessionOverBare: file.result.sessionOverBare.median, sessionOverClient: file.result.sessionOverClient.median }));
} finally {
  await sim.close();
}
