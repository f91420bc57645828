/**
 * Deliberate faults, one per temporal oracle, to prove that each oracle can fail and that a
 * failing walk shrinks to a minimal one (walks.test.ts). Each breaks the real system the way a
 * plausible bug would: a client that polls twice, a machine whose implementation forgets a rule.
 * Only the runs of that test use them.
 */
import { assign } from 'xstate';
import * as updates from '../../machines/chatSession.updates.js';
import { transcriptEntries, transcriptOf } from '../../machines/chatSession.transcript.js';
import type { EndReason } from '../../machines/chatSession.types.js';
import type { AiccClient } from '../../src/client/types.js';
import type { Breakage } from './types.js';

/** The client with one method replaced (the rest untouched, `http` read only when asked for). */
function withMethod<K extends keyof AiccClient>(client: AiccClient, name: K, method: (original: AiccClient[K]) => AiccClient[K]): AiccClient {
  const replaced = method(client[name].bind(client) as AiccClient[K]);
  return new Proxy(client, { get: (target, property, receiver) => (property === name ? replaced : Reflect.get(target, property, receiver)) });
}

export const BREAKAGES: readonly Breakage[] = [
  {
    name: 'the client fires a stray poll next to every poll',
    oracle: 'always at most one poll in flight',
    client: (client) =>
      withMethod(client, 'poll', (poll) => (input, options) => {
        void poll(input, options).catch(() => undefined);
        return poll(input, options);
      }),
  },
  {
    name: 'receiveMessages appends the newest incoming message twice',
    oracle: 'never a key twice in the transcript',
    machine: (machine) =>
      machine.provide({
        actions: {
          receiveMessages: assign(({ context, event }) => {
            const update = (event.type === 'poll.messages' || event.type === 'session.lost') && Array.isArray(event.messages) ? updates.receiveMessages(context, event.messages) : {};
            const entries = transcriptEntries(update.transcript ?? context.transcript);
            const newest = entries.at(-1);
            return update.transcript && newest?.kind === 'incoming' ? { ...update, transcript: transcriptOf([...entries, newest]) } : update;
          }),
        },
      }),
  },
  {
    name: 'enqueueText shows the message but leaves it out of the outbox',
    oracle: 'eventually every outbox entry is sent or visibly failed',
    machine: (machine) =>
      machine.provide({
        actions: {
          enqueueText: assign(({ context, event }) => (event.type === 'message.send' ? { ...updates.enqueueText(context, event.text, Date.now()), outbox: context.outbox } : {})),
          // The same fault on the path a text takes when it goes on the wire at once.
          enqueueTextSending: assign(({ context, event }) =>
            event.type === 'message.send' ? { ...updates.enqueueText(context, event.text, Date.now(), 'sending'), outbox: context.outbox } : {},
          ),
        },
      }),
  },
  {
    name: 'setEndReason records a reason that is not an EndReason',
    oracle: 'eventually every session reaches a final state with a typed reason',
    machine: (machine) => machine.provide({ actions: { setEndReason: assign({ endReason: 'gone' as EndReason }) } }),
  },
  {
    // A DISCONNECT: no catch-up brings it back (history has CHAT messages only).
    name: "receiveMessages leaves out the server's DISCONNECT",
    oracle: 'eventually every message the session received is in the transcript',
    machine: (machine) =>
      machine.provide({
        actions: {
          receiveMessages: assign(({ context, event }) =>
            (event.type === 'poll.messages' || event.type === 'session.lost') && Array.isArray(event.messages)
              ? updates.receiveMessages(context, (event.messages as { controlType?: unknown }[]).filter((m) => m.controlType !== 'DISCONNECT'))
              : {},
          ),
        },
      }),
  },
  {
    name: 'the client sends the customer a last CHAT after DISCONNECT',
    oracle: 'never a customer message sent after DISCONNECT',
    client: (client) =>
      withMethod(client, 'send', (send) => async (input, options) => {
        const result = await send(input, options);
        if (input.controlType === 'DISCONNECT') void send({ ...input, controlType: 'CHAT', content: 'one more thing' }).catch(() => undefined);
        return result;
      }),
  },
];
