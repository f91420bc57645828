/** Drives createChatSession against the simulator and records what it went through. */
import { waitFor, type SnapshotFrom } from 'xstate';
import { createChatSession, type ChatSessionActor, type ChatSessionMachine, type ChatSessionOptions, type ChatTiming } from '../../src/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { clientFor, newUserId, type ClientRig } from '../client/helpers.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import { budget, WAIT_IDLE_MS } from '../support/timeBudget.js';

export type SessionSnapshot = SnapshotFrom<ChatSessionMachine>;

/** Machine timings in ms small enough for tests, large enough to be deterministic. */
export const TEST_TIMING: Partial<ChatTiming> = {
  queueIntervalMs: 30,
  pollBackoffBaseMs: 10,
  pollBackoffMaxMs: 40,
  maxPollFailures: 4,
  pollMinIntervalMs: 0,
  typingThrottleMs: 50,
  suggestionDebounceMs: 5,
  connectRetries: 2,
  connectRetryBaseMs: 10,
  connectRetryMaxMs: 20,
};

/** `auth`, `connected.queuing`, `connected.survey-agent`, … (parallel regions left out). */
export function stateLabel(snapshot: SessionSnapshot): string {
  const value = snapshot.value as string | Record<string, unknown>;
  if (typeof value === 'string') return value;
  const [top, child] = Object.entries(value)[0] ?? ['?', undefined];
  return typeof child === 'string' ? `${top}.${child}` : typeof child === 'object' && child ? `${top}.${Object.keys(child)[0]}` : top;
}

export interface SessionRig extends ClientRig {
  actor: ChatSessionActor;
  /** State labels in the order they were entered (consecutive repeats collapsed). */
  states: string[];
  /**
   * Resolves with the first snapshot matching `predicate`. `timeout` is a hang detector: the
   * limit on an idle machine (10 s by default), scaled by test/support/timeBudget.ts.
   */
  until(predicate: (snapshot: SessionSnapshot) => boolean, timeout?: number): Promise<SessionSnapshot>;
  untilState(label: string, timeout?: number): Promise<SessionSnapshot>;
}

type ExtraOptions = Omit<Partial<ChatSessionOptions>, 'client' | 'clientOptions' | 'identity'>;

export function startSession(sim: Simulator, options: ExtraOptions = {}, userId = newUserId(), rig = clientFor(sim, {}, userId)): SessionRig {
  const actor = createChatSession({
    client: rig.client,
    identity: { userId, userName: 'Ada', channelId: sim.channelId, locale: 'en_US' },
    ...options,
    timing: { ...TEST_TIMING, ...options.timing },
  } as ChatSessionOptions);
  const states: string[] = [];
  actor.subscribe({
    next: (snapshot) => {
      const label = stateLabel(snapshot);
      if (states.at(-1) !== label) states.push(label);
    },
    error: () => undefined,
  });
  actor.start();
  const until = (predicate: (snapshot: SessionSnapshot) => boolean, timeout = WAIT_IDLE_MS) => waitFor(actor, predicate, { timeout: budget(timeout) });
  return {
    ...rig,
    actor,
    states,
    until,
    untilState: (label, timeout) => until((s) => stateLabel(s) === label, timeout),
  };
}

/** The keys of a transcript, to check that each message appears exactly once. */
export function duplicateKeys(snapshot: SessionSnapshot): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const entry of transcriptEntries(snapshot.context.transcript)) {
    if (seen.has(entry.key)) duplicates.push(entry.key);
    seen.add(entry.key);
  }
  return duplicates;
}

export function incomingTexts(snapshot: SessionSnapshot, source?: 'AGENT' | 'ROBOT' | 'SYSTEM'): string[] {
  const texts: string[] = [];
  for (const entry of transcriptEntries(snapshot.context.transcript)) {
    if (entry.kind !== 'incoming' || entry.message.controlType !== 'CHAT') continue;
    if (source && entry.message.sourceType !== source) continue;
    if (entry.message.content.mediaType === 'TEXT') texts.push(entry.message.content.text);
  }
  return texts;
}

export function outgoing(snapshot: SessionSnapshot) {
  return transcriptEntries(snapshot.context.transcript).flatMap((entry) => (entry.kind === 'outgoing' ? [entry] : []));
}
