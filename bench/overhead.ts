/**
 * Benchmark 1 — overhead. One complete scripted robot conversation (token, CONNECT, greeting,
 * K messages each answered by the robot, chat.end, survey mode, survey skipped, DISCONNECT, the
 * final history catch-up) through createChatSession, versus the same HTTP calls made with bare axios, against the same
 * simulator (its own process, so this process's CPU time is the client's alone).
 * Rounds alternate the order (ABBA) and each reports the machine/bare ratio of wall and CPU time,
 * after alternated warm-up blocks whose CPU is recorded beside them (the cold cost).
 *
 *   node --import tsx bench/overhead.ts [--quick] [--transport node|net|fetch]
 *
 * `--transport`: the session on another transport than axios (result `overhead-<transport>`),
 * against the same bare axios: what choosing that transport saves or costs.
 */
import { pathToFileURL } from 'node:url';
import { latency, spread, cpuMs, monoMs, sleep } from './lib/stats.js';
import { QUICK, argValue, machineInfo, writeResult } from './lib/results.js';
import { isTransportName, makeTransport, type TransportName } from './lib/transports.js';
import { startSimProcess, type SimProcess } from './lib/sim-process.js';
import { lib } from './lib/library.js';
import { BareSession, Waiter, bareGatewayHeaders, identityFor, machineSession, sharedAuth, type BareMessage, type BenchLibrary, type SharedAuth } from './lib/wiring.js';
import type { ChatSessionActor, HttpTransport } from '../src/index.js';
import { entryAtPosition, transcriptEntries } from '../machines/chatSession.transcript.js';

const MESSAGES = 20;
const SESSIONS_PER_RUN = QUICK ? 4 : 20;
const ROUNDS = QUICK ? 3 : 9;
/**
 * Warm-up blocks of SESSIONS_PER_RUN sessions per variant, alternated. The machine's first blocks
 * cost up to twice its later ones (V8 has not optimised XState's paths yet); one block, as before,
 * left that in the first measured rounds. Each block's CPU is recorded: the cold cost is published.
 */
const WARM_UP_BLOCKS = QUICK ? 1 : 4;

type Snapshot = ReturnType<ChatSessionActor['getSnapshot']>;

/** Counts robot replies from new transcript entries only (the bench must not add O(transcript) work). */
class RobotCounter {
  count = 0;
  private seen = 0;

  update(snapshot: Snapshot): void {
    const { transcript } = snapshot.context;
    for (; this.seen < transcript.length; this.seen++) {
      const entry = entryAtPosition(transcript, this.seen);
      if (entry?.kind === 'incoming' && entry.message.controlType === 'CHAT' && entry.message.sourceType === 'ROBOT') this.count++;
    }
  }
}

export async function machineConversation(sim: SimProcess, auth: SharedAuth, userId: string, library?: BenchLibrary, transport?: HttpTransport): Promise<void> {
  await conversationOf(machineSession(sim, auth, userId, transport ? { transport } : {}, library));
}

/** The machine's side of the conversation, on a session made elsewhere (bench/layers.ts: on an in-process client). */
export async function conversationOf(actor: ChatSessionActor): Promise<void> {
  const waiter = new Waiter();
  const robot = new RobotCounter();
  let snapshot = actor.getSnapshot();
  actor.subscribe({ next: (s) => ((snapshot = s), robot.update(s), waiter.notify()), error: () => waiter.notify() });
  actor.start();
  await waiter.until(() => robot.count >= 1);
  for (let i = 1; i <= MESSAGES; i++) {
    actor.send({ type: 'message.send', text: `question ${i}` });
    // Answered, and our message is off the outbox (sent: a failure would end the check below).
    await waiter.until(() => robot.count >= i + 1 && snapshot.context.outbox.length === 0);
  }
  actor.send({ type: 'chat.end' });
  await waiter.until(() => snapshot.matches({ connected: 'survey-robot' }) || snapshot.status !== 'active');
  actor.send({ type: 'survey.skip' });
  await waiter.until(() => snapshot.status !== 'active');
  const failed = transcriptEntries(snapshot.context.transcript).filter((e) => e.kind === 'outgoing' && e.status !== 'sent').length;
  if (snapshot.status !== 'done' || snapshot.output?.endReason !== 'customer-ended' || failed > 0) {
    throw new Error(`machine session ended ${snapshot.status} ${snapshot.output?.endReason ?? ''}`);
  }
}

/**
 * The same calls in the same order through our client alone (createAiccClient, axios by default),
 * no machine: how much of the machine's ratio is the client's and how much the statechart's
 * (bench/layers.ts).
 */
export async function clientConversation(sim: SimProcess, auth: SharedAuth, userId: string, library: BenchLibrary = lib): Promise<void> {
  const identity = identityFor(sim, userId);
  const client = library.createAiccClient({ baseUrl: sim.url, gatewayHeaders: auth.gatewayHeaders, token: library.applyTokenProvider(auth.tokenClient, identity) });
  const waiter = new Waiter();
  const stop = new AbortController();
  let robot = 0;
  let newest = 0;
  let pollFailure: unknown;
  // A failed poll fails the conversation instead of leaving it waiting for an answer.
  const until = async (check: () => boolean): Promise<void> => {
    await waiter.until(() => pollFailure !== undefined || check());
    if (pollFailure !== undefined) throw pollFailure;
  };
  await client.authenticate();
  await client.send({ controlType: 'CONNECT', from: userId, to: sim.channelId });
  const polling = (async () => {
    while (!stop.signal.aborted) {
      try {
        const messages = await client.poll({ userId }, { signal: stop.signal });
        for (const m of messages) {
          if (m.controlType === 'CHAT' && m.sourceType === 'ROBOT') robot++;
          newest = Math.max(newest, m.timestamp);
        }
        if (messages.length > 0) waiter.notify();
      } catch (error) {
        if (stop.signal.aborted) return;
        pollFailure = error;
        waiter.notify();
        return;
      }
    }
  })();
  await until(() => robot >= 1);
  for (let i = 1; i <= MESSAGES; i++) {
    await client.send({ controlType: 'CHAT', from: userId, to: sim.channelId, content: `question ${i}` });
    await until(() => robot >= i + 1);
  }
  await client.getSatisfactionSurveyMode({ language: 'en_US' });
  stop.abort();
  await polling;
  await client.send({ controlType: 'DISCONNECT', from: userId, to: sim.channelId });
  await client.queryHistoryChatMessage({ channelId: sim.channelId, userId, startTime: newest });
}

export async function bareConversation(sim: SimProcess, gateway: Record<string, string>, userId: string): Promise<void> {
  const session = new BareSession(sim, gateway, userId);
  const waiter = new Waiter();
  let robot = 0;
  let newest = 0;
  await session.applyToken();
  await session.send('CONNECT');
  session.startPolling((messages: BareMessage[]) => {
    for (const m of messages) {
      if (m.controlType === 'CHAT' && m.sourceType === 'ROBOT') robot++;
      newest = Math.max(newest, Number(m.timestamp ?? 0));
    }
    waiter.notify();
  });
  await waiter.until(() => robot >= 1);
  for (let i = 1; i <= MESSAGES; i++) {
    await session.send('CHAT', `question ${i}`);
    await waiter.until(() => robot >= i + 1);
  }
  await session.surveyMode();
  await session.stop();
  await session.send('DISCONNECT');
  await session.historySince(newest);
}

interface Run {
  wallMs: number;
  cpuMs: number;
}

async function run(kind: 'machine' | 'bare', sim: SimProcess, auth: SharedAuth, gateway: Record<string, string>, tag: string, transport: HttpTransport | undefined): Promise<Run> {
  const wall0 = monoMs();
  const cpu0 = cpuMs();
  for (let s = 0; s < SESSIONS_PER_RUN; s++) {
    const userId = `ov${kind[0]}-${tag}-${s}`;
    if (kind === 'machine') await machineConversation(sim, auth, userId, undefined, transport);
    else await bareConversation(sim, gateway, userId);
  }
  return { wallMs: monoMs() - wall0, cpuMs: cpuMs() - cpu0 };
}

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function main(): Promise<void> {
  const startedAt = performance.now();
  // Read here, not at load: other benchmarks import this module's conversations.
  const transportArg = argValue('transport') ?? 'axios';
  if (!isTransportName(transportArg)) throw new Error(`bench/overhead: unknown --transport ${transportArg}`);
  const transportName: TransportName = transportArg;
  const machine = machineInfo();
  const sim = await startSimProcess({ scenario: 'robot', timing: { robotReplyDelayMs: 0 }, keepRequests: true });
  try {
    const auth = sharedAuth(sim);
    const transport = await makeTransport(transportName);
    const gateway = await bareGatewayHeaders(sim);
    await auth.gatewayHeaders({ forceRefresh: false });
    const timersBefore = timers();

    // The request sequences must match for the comparison to mean anything.
    await machineConversation(sim, auth, 'ovm-seq', undefined, transport);
    await bareConversation(sim, gateway, 'ovb-seq');
    const machineRequests = await sim.requests('ovm-seq');
    const bareRequests = await sim.requests('ovb-seq');

    const warmUp: { machineCpuMsPerSession: number; bareCpuMsPerSession: number }[] = [];
    for (let w = 0; w < WARM_UP_BLOCKS; w++) {
      const machineRun = await run('machine', sim, auth, gateway, `warm${w}`, transport);
      const bareRun = await run('bare', sim, auth, gateway, `warm${w}`, transport);
      warmUp.push({ machineCpuMsPerSession: machineRun.cpuMs / SESSIONS_PER_RUN, bareCpuMsPerSession: bareRun.cpuMs / SESSIONS_PER_RUN });
    }
    await sim.resetStats();

    const rounds: { machine: Run; bare: Run; wallRatio: number; cpuRatio: number }[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const order: ('machine' | 'bare')[] = r % 2 === 0 ? ['machine', 'bare'] : ['bare', 'machine'];
      const got: Partial<Record<'machine' | 'bare', Run>> = {};
      for (const kind of order) got[kind] = await run(kind, sim, auth, gateway, `r${r}`, transport);
      const m = got.machine as Run;
      const b = got.bare as Run;
      rounds.push({ machine: m, bare: b, wallRatio: m.wallMs / b.wallMs, cpuRatio: m.cpuMs / b.cpuMs });
      console.log(`overhead round ${r + 1}/${ROUNDS}: wall ${(m.wallMs / b.wallMs).toFixed(3)} cpu ${(m.cpuMs / b.cpuMs).toFixed(3)}`);
    }
    await sleep(200);
    const timersAfter = timers();
    const simStats = await sim.stats();

    const perSession = (values: number[]) => spread(values.map((v) => v / SESSIONS_PER_RUN));
    const perMessage = (m: number[], b: number[]) => latency(m.map((v, i) => (v - (b[i] ?? 0)) / SESSIONS_PER_RUN / MESSAGES));
    const result = {
      // The session's transport; the bare side is always axios, the reference of the target.
      transport: transportName,
      script: { messages: MESSAGES, sessionsPerRun: SESSIONS_PER_RUN, rounds: ROUNDS, warmUpBlocks: WARM_UP_BLOCKS, scenario: 'robot-only, robotReplyDelayMs 0, longPollWindowMs 5000' },
      requests: {
        machine: countBy(machineRequests),
        bare: countBy(bareRequests),
        // Same calls in the same order once polls are left out (how many polls it takes is timing).
        sameSequence: withoutPolls(machineRequests).join() === withoutPolls(bareRequests).join(),
        machineSequence: machineRequests,
        bareSequence: bareRequests,
      },
      // CPU per session in each warm-up block, machine and bare: the cold start, not in the ratios.
      warmUp,
      wallRatio: spread(rounds.map((r) => r.wallRatio)),
      cpuRatio: spread(rounds.map((r) => r.cpuRatio)),
      machinePerSession: { wallMs: perSession(rounds.map((r) => r.machine.wallMs)), cpuMs: perSession(rounds.map((r) => r.machine.cpuMs)) },
      barePerSession: { wallMs: perSession(rounds.map((r) => r.bare.wallMs)), cpuMs: perSession(rounds.map((r) => r.bare.cpuMs)) },
      addedCpuPerMessageMs: perMessage(
        rounds.map((r) => r.machine.cpuMs),
        rounds.map((r) => r.bare.cpuMs),
      ),
      // Keep-alive: TCP connections opened during the measured rounds, for all requests of both variants.
      connections: simStats.connections,
      requestsPerConnection: Object.values(simStats.byApi).reduce((a, b) => a + b, 0) / Math.max(1, simStats.connections),
      violations: simStats.violations,
      timersBefore,
      timersAfter,
      target: { ratio: 1.1 },
    };
    const file = writeResult(transportName === 'axios' ? 'overhead' : `overhead-${transportName}`, startedAt, result, machine);
    console.log(JSON.stringify({ wallRatio: file.result.wallRatio, cpuRatio: file.result.cpuRatio, requests: file.result.requests.sameSequence }, null, 1));
  } finally {
    await sim.close();
  }
}

function countBy(list: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of list) out[item] = (out[item] ?? 0) + 1;
  return out;
}

export function withoutPolls(list: readonly string[]): string[] {
  return list.filter((item) => item !== 'poll');
}

// Imported by bench/profile-overhead.ts for its conversations: run only as the entry script.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
