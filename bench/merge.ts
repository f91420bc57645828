/**
 * Hot path — merging a poll batch and sending a message as the transcript grows. Times the pure
 * context updates the machine's assign actions run (receiveMessages, enqueueText + markSent) on
 * a transcript of 10 … 20 000 entries: both the chunked transcript and the sharded index must
 * stay O(new messages). Also the heap per transcript entry.
 *
 *   node --expose-gc --import tsx bench/merge.ts
 */
import { createInitialContext } from '../machines/chatSession.context.js';
import { acknowledgeRead, enqueueText, markSent, receiveMessages } from '../machines/chatSession.updates.js';
import type { ChatSessionContext } from '../machines/chatSession.types.js';
import { parseDownlink } from '../src/client/parse.js';
import type { WireDownlinkMessage } from '../src/client/protocol.js';
import { QUICK, machineInfo, writeResult } from './lib/results.js';
import { latency } from './lib/stats.js';
import { entryAtPosition } from '../machines/chatSession.transcript.js';

const SIZES = QUICK ? [10, 1000, 10_000] : [10, 1000, 5000, 20_000];
const REPEAT = QUICK ? 200 : 1000;

let seq = 0;
function agentMessage(): ReturnType<typeof parseDownlink> {
  seq += 1;
  const wire: WireDownlinkMessage = {
    from: '1011577355744904195',
    to: 'u1',
    channel: 'WEB',
    controlType: 'CHAT',
    mediaType: 'TEXT',
    sourceType: 'AGENT',
    content: `agent message number ${seq}`,
    senderNickname: 'Alice',
    timestamp: 1_700_000_000_000 + seq,
    messageCode: seq.toString(16).toUpperCase().padStart(64, '0'),
    callId: '1659938875-16806492',
  };
  return parseDownlink(wire);
}

/**
 * A transcript of n agent messages that the customer has read: the host marks messages read
 * (READ receipts), which empties bookkeeping.unreadAgentKeys. Unread keys are copied on every
 * agent message, so a host that never marks anything read pays O(unread) per message
 * (docs/performance.md).
 */
function grow(context: ChatSessionContext, n: number): ChatSessionContext {
  let c = context;
  while (c.transcript.length < n) {
    c = { ...c, ...receiveMessages(c, [agentMessage()]) };
    c = { ...c, ...acknowledgeRead(c, c.bookkeeping.unreadAgentKeys) };
  }
  return c;
}

function time(fn: () => void): number[] {
  const samples: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    fn();
    samples.push((performance.now() - t0) * 1000);
  }
  return samples;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const startedAt = performance.now();
  const base = createInitialContext({ input: { identity: { userId: 'u1', userName: 'Ada', channelId: '1011577355744904195', locale: 'en_US' } } });
  const rows: Record<string, unknown>[] = [];
  let context = base;
  for (const size of SIZES) {
    context = grow(context, size);
    const batch = [agentMessage()];
    const merge = latency(time(() => receiveMessages(context, batch)));
    const send = latency(
      time(() => {
        const queued = { ...context, ...enqueueText(context, 'hello', Date.now()) };
        markSent(queued, queued.outbox[0]);
      }),
    );
    const first = entryAtPosition(context.transcript, 0);
    const duplicate = latency(time(() => receiveMessages(context, [first?.kind === 'incoming' ? first.message : batch[0]!])));
    rows.push({ transcriptLength: size, mergeOneMessageUs: merge, sendOneMessageUs: send, dedupeKnownMessageUs: duplicate });
    console.log(`merge: ${size} entries: merge p50 ${merge.p50.toFixed(1)} µs, send p50 ${send.p50.toFixed(1)} µs`);
  }
  let heapPerEntryBytes: number | null = null;
  if (gc) {
    gc();
    const h0 = process.memoryUsage().heapUsed;
    const big = grow(base, 10_000);
    gc();
    heapPerEntryBytes = (process.memoryUsage().heapUsed - h0) / big.transcript.length;
  }
  writeResult('merge', startedAt, { repeat: REPEAT, rows, heapPerEntryBytes }, machineInfo());
}

await main();
