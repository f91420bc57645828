/**
 * Every uplink the session sends through send / sendAsync: CONNECT, CHAT, INPUT, TRANS2AGENT,
 * READ, DISCONNECT. Each passes the actor's AbortSignal to the client.
 */
import { fromCallback, fromPromise } from 'xstate';
import type { AiccClient, DownlinkMessage, ResultInfo, SendInput } from '../client/types.js';
import { catchUpFrom, inServerOrder, recoverFromHistory } from './catchUp.js';
import { defaultSleep, type ActorEnvironment, type Sleep } from './timing.js';

/** The last catch-up after DISCONNECT: attempts, and the first pause (then ×3). */
export const FINAL_CATCH_UP_ATTEMPTS = 4;
export const FINAL_CATCH_UP_PAUSE_MS = 100;
/** After the network was given up on: one attempt per step, each cut short at this. */
export const BEST_EFFORT_TIMEOUT_MS = 5_000;
import type {
  ConnectInput,
  ConnectOutput,
  DisconnectInput,
  DisconnectOutput,
  ReadReceiptInput,
  ReadReceiptOutput,
  RequestAgentInput,
  SendMessageInput,
  SendMessageWorkerEvent,
  SendTypingInput,
  UplinkParty,
} from '../../machines/chatSession.contracts.js';
// The one rule of "may the server have processed it" (CHAT sends follow it too).
import { aiccError, sendFailure, toErrorInfo } from '../client/errors.js';
import type { ChatActorEvent } from '../../machines/chatSession.types.js';
import { clientOf, type ClientSource } from './source.js';

function uplink(party: UplinkParty, message: Omit<SendInput, 'from' | 'to'>): SendInput {
  // Assigned, not spread-then-add (docs/performance.md, "No spread followed by new keys").
  const input: SendInput = Object.assign({ from: party.userId, to: party.channelId }, message);
  if (party.nickname) input.senderNickname = party.nickname;
  return input;
}

/** The resultDesc of a CONNECT confirmed by a poll (the guard isRobotAnswer reads "robot"). */
export const CONFIRMED_ROBOT_DESC = 'connected to the robot (answer lost; confirmed by poll)';
export const CONFIRMED_AGENT_DESC = 'connected to the agent queue (answer lost; confirmed by poll)';

/**
 * CONNECT via send or sendAsync. The resultDesc tells a robot answer from an agent queue.
 *
 * CONNECT is sent again only when it is known that no session was opened. When an answer is
 * lost after the server may have processed it (a timeout, a reset, a 5xx: `sendFailure` says
 * 'unknown'), the actor looks for the session first: an open session always has something to say
 * right after CONNECT (the robot's greeting, "Queuing...", "connected to an agent"), and a poll
 * without a session answers an empty list (the poll docs: "check that a CONNECT was sent").
 * - right after the lost answer: one poll (what it finds is handed to the machine: a poll
 *   consumes it), and when that poll fails too, the history since the attempt;
 * - on the next attempt (`lostSince` set), history first (a lost probe poll may have taken the
 *   greeting with it), then a poll. Found: connected. Both answered and found nothing: CONNECT.
 *   Neither answered: the attempt fails as one whose outcome is unknown, and the machine retries.
 */
export function connectActor(source: ClientSource) {
  return fromPromise<ConnectOutput, ConnectInput>(async ({ input, signal, system }) => {
    const client = clientOf(source, system);
    if (typeof input.lostSince === 'number') {
      const probe = await findOpenedSession(client, input, input.lostSince, 'history-first', signal);
      if (probe.messages.length > 0) return confirmedBy(probe.messages);
      if (!probe.answered) {
        throw aiccError('timeout', 'send', 'CONNECT: could not tell whether an earlier attempt opened the session', { outcomeUnknown: true });
      }
    }
    const startedAt = Date.now();
    try {
      return await client[input.via](uplink(input, { controlType: 'CONNECT', mediaType: 'TEXT', content: '' }), { signal });
    } catch (error) {
      if (signal.aborted || sendFailure(toErrorInfo(error)) !== 'unknown') throw error;
      const probe = await findOpenedSession(client, input, startedAt, 'poll-first', signal);
      if (probe.messages.length > 0) return confirmedBy(probe.messages);
      throw error;
    }
  });
}

function confirmedBy(messages: DownlinkMessage[]): ConnectOutput {
  const robot = messages.some((m) => m.sourceType === 'ROBOT');
  return { resultCode: '0', resultDesc: robot ? CONFIRMED_ROBOT_DESC : CONFIRMED_AGENT_DESC, confirmedByPoll: true, messages };
}

/**
 * What a session opened by a CONNECT sent at `since` (client clock) has said, from a poll and
 * from history in the given order; the second asks only when the first found nothing.
 * `answered`: at least one of them answered (so "nothing" means no session).
 */
async function findOpenedSession(
  client: AiccClient,
  input: ConnectInput,
  since: number,
  order: 'poll-first' | 'history-first',
  signal: AbortSignal,
): Promise<{ messages: DownlinkMessage[]; answered: boolean }> {
  const poll = async () => inServerOrder(await client.poll({ userId: input.userId, isNeedRead: input.isNeedRead }, { signal }));
  const history = () => recoverFromHistory(client, { userId: input.userId, channelId: input.channelId, since: 0, connectedAt: since }, signal);
  let answered = false;
  for (const look of order === 'poll-first' ? [poll, history] : [history, poll]) {
    if (signal.aborted) break;
    try {
      const messages = await look();
      if (messages.length > 0) return { messages, answered: true };
      answered = true;
      // Right after the lost answer an empty poll is enough: the session would have spoken.
      if (order === 'poll-first') break;
    } catch {
      // this one did not answer: ask the other
    }
  }
  return { messages: [], answered };
}

/**
 * The CHAT messages of the outbox, one worker for the whole of `chatting` (not one promise actor
 * per message: docs/performance.md). Told `send` by `outbox.sending`, which waits for the answer
 * before the next, it answers `message.sent` or `message.sendFailed`. Stopping it (leaving
 * `chatting`) aborts the CHAT on the wire and drops its answer.
 */
export function sendMessageActor(source: ClientSource) {
  return fromCallback<SendMessageWorkerEvent, void>(({ sendBack, receive, system }) => {
    // Made with the first send (a chat may have none); aborted only when the worker stops.
    let controller: AbortController | undefined;
    receive((event) => {
      if (event.type !== 'send') return;
      controller ??= new AbortController();
      void sendChat(clientOf(source, system), event.input, controller.signal, sendBack);
    });
    return () => controller?.abort();
  });
}

async function sendChat(client: AiccClient, input: SendMessageInput, signal: AbortSignal, sendBack: (event: ChatActorEvent) => void): Promise<void> {
  let reply: ChatActorEvent;
  try {
    const result = await client.send(
      uplink(input, { controlType: 'CHAT', mediaType: input.mediaType, content: input.content, timestamp: input.timestamp }),
      { signal },
    );
    reply = { type: 'message.sent', output: { resultCode: result.resultCode, resultDesc: result.resultDesc, localId: input.localId } };
  } catch (error) {
    reply = { type: 'message.sendFailed', localId: input.localId, error: toErrorInfo(error) };
  }
  // Stopped meanwhile: nobody waits for this answer any more.
  if (!signal.aborted) sendBack(reply);
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
export function disconnectActor(source: ClientSource, env: Pick<ActorEnvironment, 'sleep'> = { sleep: defaultSleep }) {
  return fromPromise<DisconnectOutput, DisconnectInput>(async ({ input, signal, system }) => {
    let failure: unknown;
    try {
      const call = input.bestEffort === true ? { signal, timeoutMs: BEST_EFFORT_TIMEOUT_MS } : { signal };
      await clientOf(source, system).send(uplink(input, { controlType: 'DISCONNECT', mediaType: 'TEXT', content: '' }), call);
    } catch (error) {
      failure = error;
    }
    const output = await finalCatchUp(clientOf(source, system), input, signal, env.sleep);
    // A failed DISCONNECT still rejects (the machine ignores it), carrying what was recovered.
    if (failure !== undefined) {
      throw Object.assign(failure instanceof Error ? failure : new Error(String(failure)), { recovered: output.messages, gap: output.gap });
    }
    return output;
  });
}

/**
 * The catch-up after DISCONNECT. It is always needed: the poll loop was stopped with a poll in
 * flight, whose answer nobody reads. When history cannot be read after every attempt, the
 * output names the gap (the transcript shows it) instead of giving up quietly.
 */
async function finalCatchUp(client: AiccClient, input: DisconnectInput, signal: AbortSignal, sleep: Sleep): Promise<DisconnectOutput> {
  if (input.since === undefined) return { messages: [] };
  const window = { userId: input.userId, channelId: input.channelId, since: input.since, connectedAt: input.connectedAt ?? null };
  const attempts = input.bestEffort === true ? 1 : FINAL_CATCH_UP_ATTEMPTS;
  let lastError: unknown = null;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(FINAL_CATCH_UP_PAUSE_MS * 3 ** (attempt - 1), signal);
    if (signal.aborted) return { messages: [] };
    try {
      return { messages: await recoverFromHistory(client, window, signal) };
    } catch (error) {
      lastError = error;
    }
  }
  return { messages: [], gap: { from: catchUpFrom(window), error: toErrorInfo(lastError) } };
}
