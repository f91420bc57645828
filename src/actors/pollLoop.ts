/**
 * The poll loop: ONE long-running callback actor per connected session. Exactly one poll is in
 * flight at a time; a batch with messages is followed by an immediate re-poll; failures back
 * off with full jitter. It reports `poll.failed` and stops only when the network looks gone:
 * `maxFailures` polls in a row got no answer at all (network error, timeout) and none has
 * succeeded for `giveUpMs`. An answered failure (5xx, garbage) is a flaky server: it backs off
 * and breaks that run. A failed catch-up counts like a failed poll, and no poll starts before
 * the catch-up succeeded (a poll would move the history window past the lost messages).
 * Stopping the actor (leaving `connected`) aborts the poll in flight through its AbortController.
 *
 * Beyond that it keeps the transcript whole and the session alive under bad networks:
 * - each batch is delivered in server order (sorted by timestamp: a server may shuffle a batch);
 * - after anything that may have swallowed a batch (a poll that failed after it left: timeout,
 *   reset, 5xx, garbage; a poll the loop itself gave up; a restart after a reload), it catches up
 *   from queryHistoryChatMessage before the next poll: agent/robot/system CHAT messages since the
 *   newest one it knows, delivered as `poll.messages` (the machine drops what it already has);
 *   when an agent was serving, it also asks queryQueueInfo (beside history) whether the session
 *   still exists: the first "no" is told at once (`session.gone`), and if no DISCONNECT follows
 *   it reports `session.lost` with the DISCONNECT the lost batch must have carried; a liveness
 *   question that went unanswered is asked again beside each answered poll until one answers;
 * - `connectivity` events from the machine: offline → no new poll starts (no request storm, no
 *   failures counted) until online, then it polls at once with a fresh failure count (the poll in
 *   flight is left alone: cutting it could drop a batch already handed out); page visible → a
 *   backoff is cut short and a poll in flight for longer than
 *   `staleMs` (a suspended tab or a dead socket after a network switch) is replaced; page hidden
 *   → optionally a pause of `hiddenDelayMs` after empty polls (0 by default);
 * - after failures, the first good poll reports `poll.messages` (possibly empty) so the machine's
 *   "reconnecting" state clears even when nothing new arrived.
 */
import { fromCallback } from 'xstate';
import { isAiccError, toErrorInfo } from '../client/errors.js';
import type { DisconnectDownlink, DownlinkMessage } from '../client/types.js';
import type { PollLoopEvent, PollLoopInput } from '../../machines/chatSession.contracts.js';
import type { ChatActorEvent, ServedBy } from '../../machines/chatSession.types.js';
import { servedByAfter } from '../../machines/chatSession.selectors.js';
import { inServerOrder, recoverFromHistory } from './catchUp.js';
import { clientOf, type ClientSource } from './source.js';
import { fullJitterBackoff, type ActorEnvironment } from './timing.js';

/**
 * "Session gone" answers in a row (failed polls between), over at least LOST_END_GRACE_MS (at
 * most half of pollGiveUpMs), that end a session without its DISCONNECT.
 */
export const GONE_CHECKS_TO_END = 3;
export const LOST_END_GRACE_MS = 5_000;

/**
 * Could this failure have swallowed a batch? Not when the server answered without one (business
 * code) or nothing was sent (validation). Anything else might have: the server may have handed
 * the batch to an answer that never arrived. (A refused connection could not, but poll errors do
 * not say which network error it was; a needless catch-up costs one history query.)
 */
function mayHaveLostBatch(error: unknown): boolean {
  return !isAiccError(error) || (error.kind !== 'business' && error.kind !== 'validation');
}

export function pollLoopActor(source: ClientSource, env: ActorEnvironment) {
  return fromCallback<PollLoopEvent, PollLoopInput>(({ input, sendBack, receive, system }) => {
    const client = clientOf(source, system);
    // Set when the loop is stopped. A flag, not an AbortController: every AbortSignal gets a
    // hidden class of its own in Node 20 (~0.4 KB per session with its listener).
    let stopped = false;
    const send = (event: ChatActorEvent): void => {
      if (!stopped) sendBack(event);
    };

    // Inputs added later default to the earlier behaviour (hosts may build the input themselves).
    const channelId: string = input.channelId ?? '';
    const hiddenDelayMs = input.hiddenDelayMs ?? 0;
    const giveUpMs = input.giveUpMs ?? 0;
    let reportFirstAnswer = input.reportFirstAnswer === true;
    const staleMs = input.staleMs ?? Number.POSITIVE_INFINITY;
    const connectedAt = input.connectedAt ?? null;
    let online = input.online !== false;
    let visible = input.visible !== false;
    /** Consecutive failed polls (backoff), and of those the trailing run without any answer. */
    let failures = 0;
    let unanswered = 0;
    let lastSuccessAt = env.now();
    let since = input.since ?? 0;
    /** Catch up before the next poll. A restarted loop (reload) catches up at once. */
    let gap = (input.resumed === true || since > 0) && channelId !== '';
    let servedBy: ServedBy = input.servedBy ?? null;
    /**
     * An agent session looked gone after a gap: report its end unless a DISCONNECT comes.
     * "Gone" answers in a row since the last DISCONNECT (0: it looks alive), since when.
     */
    let goneChecks = 0;
    let suspectSince = 0;
    /**
     * A liveness question went unanswered: ask again beside each poll until one is answered.
     * Otherwise a DISCONNECT lost with a batch stays unnoticed once the polls are answered again
     * (empty: the DISCONNECT was already handed out), since only failures lead to a catch-up.
     */
    let livenessUnknown = false;
    let livenessInFlight: Promise<void> | null = null;
    const lostEndGraceMs = giveUpMs > 0 ? Math.min(LOST_END_GRACE_MS, giveUpMs / 2) : 0;
    /**
     * The signal of every poll and catch-up, one for the loop's life rather than one per request
     * (an AbortController and a listener per poll were a good share of an idle session's
     * garbage): aborted when the loop stops, or to drop the request in flight (stale), and only
     * then replaced.
     */
    let requests = new AbortController();
    /** When the request in flight started (null: none in flight). */
    let inFlightSince: number | null = null;
    let pause: AbortController | null = null;

    const interruptPause = (): void => pause?.abort();
    const abortCurrent = (): void => {
      if (inFlightSince === null) return;
      gap = true;
      inFlightSince = null;
      requests.abort();
      requests = new AbortController();
    };

    receive((event) => {
      if (event.type !== 'connectivity') return;
      const cameOnline = event.online && !online;
      online = event.online;
      visible = event.visible;
      // Going offline does not cut the poll in flight: its batch may already be on the way, and
      // a real outage fails it anyway. No new poll starts until the browser is back online.
      if (cameOnline) {
        failures = 0;
        unanswered = 0;
        lastSuccessAt = env.now();
      }
      if (visible && inFlightSince !== null && env.now() - inFlightSince > staleMs) abortCurrent();
      interruptPause();
    });

    /** Sleeps up to `ms` (forever when null); a connectivity change or stopping ends it early. */
    const sleepUnlessWoken = async (ms: number | null): Promise<void> => {
      if (stopped) return;
      const controller = new AbortController();
      pause = controller;
      try {
        if (ms === null) {
          await new Promise<void>((resolve) => {
            if (controller.signal.aborted) resolve();
            else controller.signal.addEventListener('abort', () => resolve(), { once: true });
          });
        } else {
          await env.sleep(ms, controller.signal);
        }
      } finally {
        if (pause === controller) pause = null;
      }
    };

    const note = (messages: readonly DownlinkMessage[]): void => {
      for (const m of messages) {
        if (m.timestamp > since) since = m.timestamp;
        // The machine's rule (awaiting an agent or not only matters for a robot, not asked here).
        servedBy = servedByAfter(servedBy, m, false);
        if (m.controlType === 'DISCONNECT') {
          goneChecks = 0;
        }
      }
    };

    const fail = async (error: unknown): Promise<boolean> => {
      failures += 1;
      const info = toErrorInfo(error);
      unanswered = info.kind === 'network' || info.kind === 'timeout' ? unanswered + 1 : 0;
      if (unanswered >= input.maxFailures && env.now() - lastSuccessAt >= giveUpMs) {
        send({ type: 'poll.failed', error: info });
        return false;
      }
      send({ type: 'poll.error', error: info, failures });
      await sleepUnlessWoken(fullJitterBackoff(failures, input.backoffBaseMs, input.backoffMaxMs, env.random));
      return true;
    };

    /** The DISCONNECT a batch that never arrived must have carried, after the newest message known. */
    const lostDisconnect = (): DisconnectDownlink => ({
      key: `lost-disconnect:${input.userId}:${since}`,
      messageCode: null,
      sourceType: 'SYSTEM',
      senderNickname: null,
      timestamp: since,
      callId: null,
      from: channelId,
      to: input.userId,
      controlType: 'DISCONNECT',
      isOfflineStatus: false,
    });

    /**
     * Does the agent session still exist? Gone on GONE_CHECKS_TO_END checks in a row, each after
     * a failed poll, for at least the grace time (every poll fails on an overloaded device, so
     * the answer that would prove it may never come): the DISCONNECT is not coming. Without the
     * grace time, a DISCONNECT still queued behind a quick run of refused polls was reported
     * lost. The first "gone" is told at once (`session.gone`): a customer who ends meanwhile did
     * not end first. No answer is no evidence either way.
     */
    const checkLiveness = async (signal: AbortSignal): Promise<void> => {
      try {
        const status = await client.queryQueueInfo({ userId: input.userId, channelConfigId: channelId }, { signal });
        if (signal.aborted) return;
        livenessUnknown = false;
        if (status.status !== 'ended') return;
        if (goneChecks === 0) {
          suspectSince = env.now();
          send({ type: 'session.gone', lost: lostDisconnect() });
        }
        goneChecks += 1;
      } catch {
        // Unanswered: no evidence either way. Ask again after the next failed poll, or beside
        // the next one.
        if (!signal.aborted) livenessUnknown = true;
      }
    };

    /** The liveness question again, beside the poll about to start (one at a time). */
    const recheckLiveness = (signal: AbortSignal): void => {
      if (!livenessUnknown || livenessInFlight !== null || servedBy !== 'agent' || channelId === '') return;
      livenessInFlight = checkLiveness(signal).finally(() => (livenessInFlight = null));
    };

    /**
     * Messages a lost batch carried, from history; and whether an agent session still exists,
     * asked beside it (under load either may time out: one answer neither waits for the other
     * nor is lost with it). History must succeed before the next poll: a poll would move
     * `since` past the lost messages.
     */
    const catchUp = async (signal: AbortSignal): Promise<void> => {
      if (channelId === '') return;
      let liveness = servedBy === 'agent' ? checkLiveness(signal) : null;
      try {
        const ordered = await recoverFromHistory(client, { userId: input.userId, channelId, since, connectedAt }, signal);
        if (signal.aborted) return;
        if (ordered.length > 0) {
          note(ordered);
          send({ type: 'poll.messages', messages: ordered });
        }
        // History may show that an agent took over (a robot-then-agent chat).
        liveness ??= servedBy === 'agent' ? checkLiveness(signal) : null;
      } finally {
        await liveness;
      }
    };

    const goneForGood = (): boolean => goneChecks >= GONE_CHECKS_TO_END && env.now() - suspectSince >= lostEndGraceMs;

    /** The session ended and its DISCONNECT was in a batch that never arrived: say so. */
    const reportLostDisconnect = (messages: DownlinkMessage[]): void => {
      goneChecks = 0;
      messages.push(lostDisconnect());
      send({ type: 'session.lost', messages });
    };

    void (async () => {
      while (!stopped) {
        if (!online) {
          await sleepUnlessWoken(null);
          continue;
        }
        const { signal } = requests;
        const startedAt = env.now();
        inFlightSince = startedAt;
        const failedBefore = failures;
        try {
          if (gap) {
            // A failure lands in the catch below like a failed poll: back off, try again.
            await catchUp(signal);
            gap = false;
            if (goneForGood()) {
              inFlightSince = null;
              reportLostDisconnect([]);
              continue;
            }
          }
          // After an answered poll (a failed one leads to a catch-up, which asks anyway).
          if (failedBefore === 0) recheckLiveness(signal);
          // When the session looked gone, only an answer without a DISCONNECT proves the DISCONNECT
          // was lost: a DISCONNECT still queued comes at once (a client-side deadline instead
          // misread slow answers as lost ones in the chaos runs).
          const messages = inServerOrder(await client.poll({ userId: input.userId, isNeedRead: input.isNeedRead }, { signal }));
          inFlightSince = null;
          if (stopped) return;
          failures = 0;
          unanswered = 0;
          lastSuccessAt = env.now();
          const first = reportFirstAnswer;
          reportFirstAnswer = false;
          const ended = goneChecks > 0 && !messages.some((m) => m.controlType === 'DISCONNECT');
          note(messages);
          if (ended) {
            reportLostDisconnect(messages);
            continue;
          }
          if (messages.length > 0 || failedBefore > 0 || first) send({ type: 'poll.messages', messages });
          if (messages.length > 0) continue; // more may be waiting: re-poll at once
          // An empty answer sooner than minIntervalMs (a server that does not hold long polls)
          // waits out the rest; a hidden page may pause longer.
          const wait = Math.max(input.minIntervalMs - (env.now() - startedAt), !visible ? hiddenDelayMs : 0);
          if (wait > 0) await sleepUnlessWoken(wait);
        } catch (error) {
          inFlightSince = null;
          if (stopped) return;
          if (signal.aborted) continue; // dropped on purpose (offline, stale): not a failure
          // History kept failing, but the liveness answers came through: the end is known.
          if (gap && goneForGood()) {
            reportLostDisconnect([]);
            continue;
          }
          if (mayHaveLostBatch(error)) gap = true;
          if (!(await fail(error))) return;
        }
      }
    })();

    return () => {
      stopped = true;
      requests.abort();
      pause?.abort();
    };
  });
}
