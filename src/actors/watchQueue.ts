/**
 * Queue watcher while `queuing`: queryQueueInfo at once and then every `intervalMs` (one call
 * at a time). Reports `queue.updated` (position and wait times, or in IVR), `queue.served`
 * (160021: with an agent) or `queue.ended` (the session is gone) and stops after the last two.
 * Errors are skipped: the poll loop, not this watcher, decides whether the network is gone.
 * After a sendAsync CONNECT (only acknowledged) it waits for `connect.confirmed` first.
 *
 * "Gone" (5 / 160004) right after CONNECT is not trusted at once: a robot session has no CCUCS
 * call, so with sendAsync the watcher can ask before the robot's greeting arrives. Unless the
 * customer was seen queuing, it takes ENDED_CONFIRMATIONS answers in a row.
 */
import { fromCallback } from 'xstate';
import type { WatchQueueEvent, WatchQueueInput } from '../../machines/chatSession.contracts.js';
import type { ChatActorEvent } from '../../machines/chatSession.types.js';
import { clientOf, type ClientSource } from './source.js';
import type { ActorEnvironment } from './timing.js';

export const ENDED_CONFIRMATIONS = 3;

export function watchQueueActor(source: ClientSource, env: ActorEnvironment) {
  return fromCallback<WatchQueueEvent, WatchQueueInput>(({ input, sendBack, receive, system }) => {
    const client = clientOf(source, system);
    const controller = new AbortController();
    const { signal } = controller;
    const send = (event: ChatActorEvent): void => {
      if (!signal.aborted) sendBack(event);
    };

    // sendAsync: CONNECT was only acknowledged; ask nothing until a poll answer confirms it.
    let confirmed: Promise<void> = Promise.resolve();
    if (input.awaitConfirmation === true) {
      confirmed = new Promise<void>((resolve) => {
        receive((event) => {
          if (event.type === 'connect.confirmed') resolve();
        });
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }

    void (async () => {
      await confirmed;
      let seenQueuing = false;
      let endedAnswers = 0;
      while (!signal.aborted) {
        try {
          const status = await client.queryQueueInfo({ userId: input.userId, channelConfigId: input.channelId }, { signal });
          if (signal.aborted) return;
          switch (status.status) {
            case 'queuing': {
              seenQueuing = true;
              endedAnswers = 0;
              const { status: _status, ...metrics } = status;
              send({ type: 'queue.updated', info: { status: 'queuing', ...metrics } });
              break;
            }
            case 'in-ivr':
              send({ type: 'queue.updated', info: { status: 'in-ivr' } });
              break;
            case 'with-agent':
              send({ type: 'queue.served' });
              return;
            case 'ended':
              endedAnswers += 1;
              if (seenQueuing || endedAnswers >= ENDED_CONFIRMATIONS) {
                send({ type: 'queue.ended', resultCode: status.resultCode });
                return;
              }
              break;
          }
        } catch {
          if (signal.aborted) return;
          // Transient: try again next period.
        }
        await env.sleep(input.intervalMs, signal);
      }
    })();

    return () => controller.abort();
  });
}
