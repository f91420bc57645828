/**
 * Hot path — the machine alone: CPU per message round trip (message.send → the sendMessage
 * worker's message.sent → the robot's answer delivered by the poll loop) with in-process actors
 * that answer at once, so no HTTP is involved. What the statechart, its actions and XState cost per message.
 *
 *   node --import tsx bench/machine-step.ts [--quick]   (BENCH_LIB=src: the sources, not dist/)
 */
import { fromCallback, fromPromise, type AnyEventObject } from 'xstate';
import type { AiccClient, DownlinkMessage, SendMessageWorkerEvent } from '../src/index.js';
import { LIBRARY_SOURCE, lib } from './lib/library.js';
import { QUICK, machineInfo, writeResult } from './lib/results.js';
import { cpuMs, latency } from './lib/stats.js';

const { createChatSession, parseDownlink } = lib;

/** Sessions of 100 round trips (a transcript of 200 entries); JIT warm-up sessions first. */
const ROUND_TRIPS_PER_SESSION = 100;
const WARM_UP_SESSIONS = QUICK ? 10 : 40;
const SESSIONS = QUICK ? 20 : 60;

let seq = 0;
function robotReply(to: string): DownlinkMessage {
  seq += 1;
  return parseDownlink({
    from: 'ch',
    to,
    channel: 'WEB',
    controlType: 'CHAT',
    mediaType: 'TEXT',
    sourceType: 'ROBOT',
    content: `answer ${seq}`,
    senderNickname: 'Robot',
    timestamp: 1_700_000_000_000 + seq,
    messageCode: seq.toString(16).padStart(64, '0'),
    callId: null,
    interIdx: String(seq),
  } as Parameters<typeof parseDownlink>[0]);
}

async function machineRoundTripsUs(n: number): Promise<number> {
  let deliver: ((event: AnyEventObject) => void) | undefined;
  let sent = 0;
  const actor = createChatSession({
    client: {} as AiccClient, // every actor that would use it is replaced below
    identity: { userId: 'u1', userName: 'Ada', channelId: 'ch', locale: 'en_US' },
    actors: {
      authenticate: fromPromise<void, void>(async () => undefined),
      connect: fromPromise(async () => ({ resultCode: '0', resultDesc: 'connect to robot successfully.' })),
      pollLoop: fromCallback(({ sendBack }) => {
        deliver = sendBack;
      }),
      uploadFile: fromCallback(() => undefined),
      downloadFile: fromCallback(() => undefined),
      sendMessage: fromCallback<SendMessageWorkerEvent, void>(({ sendBack, receive }) => {
        receive(({ input }) => {
          sent += 1;
          // Answered after a microtask, as a client's promise would be.
          void Promise.resolve().then(() => sendBack({ type: 'message.sent', output: { resultCode: '0', resultDesc: '', localId: input.localId } }));
        });
      }),
    },
  });
  actor.start();
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  await settle();
  if (!actor.getSnapshot().matches({ connected: 'chatting' }) || !deliver) throw new Error('not chatting');
  const c0 = cpuMs();
  for (let i = 0; i < n; i++) {
    actor.send({ type: 'message.send', text: `question ${i}` });
    await settle();
    deliver({ type: 'poll.messages', messages: [robotReply('u1')] });
  }
  const us = ((cpuMs() - c0) * 1000) / n;
  if (sent !== n || actor.getSnapshot().context.transcript.length !== 2 * n) throw new Error('round trips incomplete');
  actor.stop();
  return us;
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const machine = machineInfo();
  for (let s = 0; s < WARM_UP_SESSIONS; s++) await machineRoundTripsUs(ROUND_TRIPS_PER_SESSION);
  const perSession: number[] = [];
  for (let s = 0; s < SESSIONS; s++) perSession.push(await machineRoundTripsUs(ROUND_TRIPS_PER_SESSION));
  const us = latency(perSession);
  console.log(`machine round trip: p50 ${us.p50.toFixed(0)} µs CPU (p90 ${us.p90.toFixed(0)}), ${SESSIONS} sessions × ${ROUND_TRIPS_PER_SESSION}`);
  writeResult('machine-step', startedAt, { library: LIBRARY_SOURCE, sessions: SESSIONS, roundTripsPerSession: ROUND_TRIPS_PER_SESSION, cpuUsPerRoundTrip: us }, machine);
}

await main();
