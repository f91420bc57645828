/**
 * Hot path — the machine alone: CPU per message round trip (message.send → sendMessage done →
 * the robot's answer delivered by the poll loop) with in-process actors that answer at once, so
 * no HTTP is involved. What the statechart, its actions and XState cost per message.
 *
 *   node --import tsx bench/machine-step.ts [--quick]
 */
import { fromCallback, fromPromise, type AnyEventObject } from 'xstate';
import { createChatSession, parseDownlink, type AiccClient, type DownlinkMessage, type SendMessageInput, type SendMessageOutput } from '../src/index.js';
import { QUICK } from './lib/results.js';
import { cpuMs } from './lib/stats.js';

const ROUND_TRIPS = QUICK ? 2000 : 10_000;
const SESSIONS = QUICK ? 20 : 100;

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

export async function machineRoundTripsUs(n: number): Promise<number> {
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
      sendMessage: fromPromise<SendMessageOutput, SendMessageInput>(async ({ input }) => {
        sent += 1;
        return { resultCode: '0', resultDesc: '', localId: input.localId };
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

if (import.meta.url === `file://${process.argv[1]}`) {
  const results: number[] = [];
  for (let s = 0; s < SESSIONS; s++) results.push(await machineRoundTripsUs(100));
  console.log(`machine round trip: ${results.slice(1).map((r) => r.toFixed(0)).join(', ')} µs CPU`);
}
