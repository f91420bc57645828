/**
 * Every uplink the session sends through send / sendAsync: CONNECT, CHAT, INPUT, TRANS2AGENT,
 * READ, DISCONNECT. Each passes the actor's AbortSignal to the client.
 */
import { fromPromise } from 'xstate';
import type { AiccClient, ResultInfo, SendInput } from '../client/types.js';
import type {
  ConnectInput,
  DisconnectInput,
  ReadReceiptInput,
  ReadReceiptOutput,
  RequestAgentInput,
  SendMessageInput,
  SendMessageOutput,
  SendTypingInput,
  UplinkParty,
} from '../../machines/chatSession.types.js';

function uplink(party: UplinkParty, rest: Omit<SendInput, 'from' | 'to'>): SendInput {
  const input: SendInput = { ...rest, from: party.userId, to: party.channelId };
  if (party.nickname) input.senderNickname = party.nickname;
  return input;
}

/** CONNECT via send or sendAsync. The resultDesc tells a robot answer from an agent queue. */
export function connectActor(client: AiccClient) {
  return fromPromise<ResultInfo, ConnectInput>(({ input, signal }) =>
    client[input.via](uplink(input, { controlType: 'CONNECT', mediaType: 'TEXT', content: '' }), { signal }),
  );
}

/** One CHAT message of the outbox (text or an uploaded file's content). */
export function sendMessageActor(client: AiccClient) {
  return fromPromise<SendMessageOutput, SendMessageInput>(async ({ input, signal }) => {
    const result = await client.send(
      uplink(input, { controlType: 'CHAT', mediaType: input.mediaType, content: input.content, timestamp: input.timestamp }),
      { signal },
    );
    return { ...result, localId: input.localId };
  });
}

/** INPUT: the customer is typing. */
export function sendTypingActor(client: AiccClient) {
  return fromPromise<void, SendTypingInput>(async ({ input, signal }) => {
    await client.send(uplink(input, { controlType: 'INPUT', mediaType: 'TEXT', content: '' }), { signal });
  });
}

/** TRANS2AGENT: robot to human. */
export function requestAgentActor(client: AiccClient) {
  return fromPromise<ResultInfo, RequestAgentInput>(({ input, signal }) =>
    client.send(uplink(input, { controlType: 'TRANS2AGENT', mediaType: 'TEXT', content: '' }), { signal }),
  );
}

/** READ: the customer has read these agent messages (content: a JSON array of their keys). */
export function sendReadReceiptActor(client: AiccClient) {
  return fromPromise<ReadReceiptOutput, ReadReceiptInput>(async ({ input, signal }) => {
    await client.send(uplink(input, { controlType: 'READ', mediaType: 'TEXT', content: JSON.stringify(input.messageIds) }), {
      signal,
    });
    return { messageIds: input.messageIds };
  });
}

/** DISCONNECT. */
export function disconnectActor(client: AiccClient) {
  return fromPromise<void, DisconnectInput>(async ({ input, signal }) => {
    await client.send(uplink(input, { controlType: 'DISCONNECT', mediaType: 'TEXT', content: '' }), { signal });
  });
}
