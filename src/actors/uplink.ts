/**
 * Every uplink the session sends through send / sendAsync: CONNECT, CHAT, INPUT, TRANS2AGENT,
 * READ, DISCONNECT. Each passes the actor's AbortSignal to the client.
 */
import { fromPromise } from 'xstate';
import type { AiccClient, ResultInfo, SendInput } from '../client/types.js';
import { recoverFromHistory } from './pollLoop.js';
import { defaultSleep } from './timing.js';

/** The last catch-up after DISCONNECT: attempts, and the first pause (then ×3). */
export const FINAL_CATCH_UP_ATTEMPTS = 4;
export const FINAL_CATCH_UP_PAUSE_MS = 100;
/** After the network was given up on: one attempt per step, each cut short at this. */
export const BEST_EFFORT_TIMEOUT_MS = 5_000;
import type {
  ConnectInput,
  DisconnectInput,
  DisconnectOutput,
  ReadReceiptInput,
  ReadReceiptOutput,
  RequestAgentInput,
  SendMessageInput,
  SendMessageOutput,
  SendTypingInput,
  UplinkParty,
} from '../../machines/chatSession.types.js';
import { clientOf, type ClientSource } from './source.js';

function uplink(party: UplinkParty, rest: Omit<SendInput, 'from' | 'to'>): SendInput {
  // Assigned, not `{ ...rest, from, to }`: spread-then-add is slow in Node 20 (machines/chatSession.actions.ts).
  const input: SendInput = Object.assign({ from: party.userId, to: party.channelId }, rest);
  if (party.nickname) input.senderNickname = party.nickname;
  return input;
}

/** CONNECT via send or sendAsync. The resultDesc tells a robot answer from an agent queue. */
export function connectActor(source: ClientSource) {
  return fromPromise<ResultInfo, ConnectInput>(({ input, signal, system }) =>
    clientOf(source, system)[input.via](uplink(input, { controlType: 'CONNECT', mediaType: 'TEXT', content: '' }), { signal }),
  );
}

/** One CHAT message of the outbox (text or an uploaded file's content). */
export function sendMessageActor(source: ClientSource) {
  return fromPromise<SendMessageOutput, SendMessageInput>(async ({ input, signal, system }) => {
    const result = await clientOf(source, system).send(
      uplink(input, { controlType: 'CHAT', mediaType: input.mediaType, content: input.content, timestamp: input.timestamp }),
      { signal },
    );
    return { resultCode: result.resultCode, resultDesc: result.resultDesc, localId: input.localId };
  });
}

/** INPUT: the customer is typing. */
export function sendTypingActor(source: ClientSource) {
  return fromPromise<void, SendTypingInput>(async ({ input, signal, system }) => {
    await clientOf(source, system).send(uplink(input, { controlType: 'INPUT', mediaType: 'TEXT', content: '' }), { signal });
  });
}

/** TRANS2AGENT: robot to human. */
export function requestAgentActor(source: ClientSource) {
  return fromPromise<ResultInfo, RequestAgentInput>(({ input, signal, system }) =>
    clientOf(source, system).send(uplink(input, { controlType: 'TRANS2AGENT', mediaType: 'TEXT', content: '' }), { signal }),
  );
}

/** READ: the customer has read these agent messages (content: a JSON array of their keys). */
export function sendReadReceiptActor(source: ClientSource) {
  return fromPromise<ReadReceiptOutput, ReadReceiptInput>(async ({ input, signal, system }) => {
    await clientOf(source, system).send(uplink(input, { controlType: 'READ', mediaType: 'TEXT', content: JSON.stringify(input.messageIds) }), {
      signal,
    });
    return { messageIds: input.messageIds };
  });
}

/**
 * DISCONNECT, then one last catch-up from history: what the server said before the end but the
 * poll loop never delivered (a batch lost in transit, a poll cut off when polling stopped) still
 * makes it into the final transcript. Best effort: a few attempts, then it gives up quietly.
 */
export function disconnectActor(source: ClientSource) {
  return fromPromise<DisconnectOutput, DisconnectInput>(async ({ input, signal, system }) => {
    let failure: unknown;
    try {
      const call = input.bestEffort === true ? { signal, timeoutMs: BEST_EFFORT_TIMEOUT_MS } : { signal };
      await clientOf(source, system).send(uplink(input, { controlType: 'DISCONNECT', mediaType: 'TEXT', content: '' }), call);
    } catch (error) {
      failure = error;
    }
    const messages = await finalCatchUp(clientOf(source, system), input, signal);
    // A failed DISCONNECT still rejects (the machine ignores it), carrying what was recovered.
    if (failure !== undefined) throw Object.assign(failure instanceof Error ? failure : new Error(String(failure)), { recovered: messages });
    return { messages };
  });
}

async function finalCatchUp(client: AiccClient, input: DisconnectInput, signal: AbortSignal): Promise<DisconnectOutput['messages']> {
  if (input.since === undefined) return [];
  const window = { userId: input.userId, channelId: input.channelId, since: input.since, connectedAt: input.connectedAt ?? null };
  const attempts = input.bestEffort === true ? 1 : FINAL_CATCH_UP_ATTEMPTS;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await defaultSleep(FINAL_CATCH_UP_PAUSE_MS * 3 ** (attempt - 1), signal);
    if (signal.aborted) break;
    try {
      return await recoverFromHistory(client, window, signal);
    } catch {
      // best effort: try again, then give up quietly
    }
  }
  return [];
}
