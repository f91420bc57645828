/**
 * The poll loop: ONE long-running callback actor per connected session. Exactly one poll is in
 * flight at a time; a batch with messages is followed by an immediate re-poll; failures back
 * off with full jitter and after `maxFailures` in a row the loop reports `poll.failed` and stops.
 * Stopping the actor (leaving `connected`) aborts the poll in flight through its AbortController.
 */
import { fromCallback, type EventObject } from 'xstate';
import { isAiccError } from '../client/errors.js';
import type { AiccClient } from '../client/types.js';
import type { ChatActorEvent, PollLoopInput } from '../../machines/chatSession.types.js';
import { toErrorInfo } from '../../machines/chatSession.validation.js';
import { fullJitterBackoff, type ActorEnvironment } from './timing.js';

export function pollLoopActor(client: AiccClient, env: ActorEnvironment) {
  return fromCallback<EventObject, PollLoopInput>(({ input, sendBack }) => {
    const controller = new AbortController();
    const { signal } = controller;
    const send = (event: ChatActorEvent): void => {
      if (!signal.aborted) sendBack(event);
    };

    void (async () => {
      let failures = 0;
      while (!signal.aborted) {
        const startedAt = env.now();
        try {
          const messages = await client.poll({ userId: input.userId, isNeedRead: input.isNeedRead }, { signal });
          if (signal.aborted) return;
          failures = 0;
          if (messages.length > 0) {
            send({ type: 'poll.messages', messages });
            continue; // more may be waiting: re-poll at once
          }
          const elapsed = env.now() - startedAt;
          if (elapsed < input.minIntervalMs) await env.sleep(input.minIntervalMs - elapsed, signal);
        } catch (error) {
          if (signal.aborted || (isAiccError(error) && error.kind === 'aborted')) return;
          failures += 1;
          const info = toErrorInfo(error);
          if (failures >= input.maxFailures) {
            send({ type: 'poll.failed', error: info });
            return;
          }
          send({ type: 'poll.error', error: info, failures });
          await env.sleep(fullJitterBackoff(failures, input.backoffBaseMs, input.backoffMaxMs, env.random), signal);
        }
      }
    })();

    return () => controller.abort();
  });
}
