/**
 * Scenarios: promises of the session that the model's paths cannot reach, each as a short
 * script over real HTTP against a simulator of its own (the same session wiring as a path:
 * PathRun). They need what the model leaves out on purpose to stay finite: the actors' own
 * timing (the poll loop's backoff, on real time), runs of the same failure, a CONNECT whose
 * answer is lost after the server processed it, a browser that stays offline.
 *
 * Each names the promise a user relies on; `scenarios.test.ts` runs them on the shipped system,
 * and the mutation run (test/mutation) against every mutant, like the paths. `about` lists the
 * variant-like words a mutant's focus (sourceMutants.ts) matches, so the scenarios about what a
 * mutant changed run first.
 */
import { expect } from 'vitest';
import { defaultSleep, type ChatActorsOptions } from '../../src/actors/index.js';
import type { ChatSessionInput, IncomingEntry, OutgoingEntry } from '../../machines/chatSession.types.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import { firstViolation } from './temporal.js';
import type { ProtocolViolation, Simulator } from '../../src/simulator/index.js';
import { HOLD_MS, MACHINE_TIMING, SMALL_FILE, TEXT, sessionInput, type StartConfig } from './fixtures.js';
import { QueueResultCode } from '../../src/client/protocol.js';
import { PathRun, fileWorkersOf } from './runner.js';
import type { PersistedChatSession } from '../../src/session/restore.js';
import type { Fault } from './types.js';

export interface Scenario {
  name: string;
  /** What a user relies on, that the scenario shows. */
  promise: string;
  /** Words a mutant's focus may match (e.g. `poll.error`). */
  about: string;
  run(fault?: Fault, live?: Set<PathRun>): Promise<void>;
}

/** The draw the scenarios' jitter source always returns: backoffs are then exact (0.75 × the ceiling). */
const FIXED_DRAW = 0.75;

/** A session of its own on a simulator of its own; what it did is checked by the temporal oracles at the end. */
async function withSession(
  fault: Fault | undefined,
  live: Set<PathRun> | undefined,
  options: {
    /** How the session starts (default: CONNECT via send, no history). */
    config?: StartConfig;
    actorOptions?: ChatActorsOptions;
    timing?: ChatSessionInput['timing'];
    /** The simulator's channel, changed before the session starts. */
    scenario?: Partial<Simulator['scenario']>;
    /** Protocol violations the scenario expects (a guess the client has to make), each with why. */
    expectedViolations?: readonly { why: string; matches(v: ProtocolViolation): boolean }[];
  },
  script: (run: PathRun) => Promise<void>,
): Promise<void> {
  const run = await PathRun.create({ ...(fault ? { breakage: fault } : {}), ...(options.actorOptions ? { actorOptions: options.actorOptions } : {}) });
  live?.add(run);
  try {
    Object.assign(run.sim.scenario, options.scenario);
    const input = sessionInput(options.config ?? 'send', run.userId, run.sim.channelId);
    run.start({ ...input, timing: { ...MACHINE_TIMING, ...options.timing } });
    await script(run);
    const unsafe = firstViolation(run.trace(), ['always', 'never']);
    if (unsafe) throw unsafe;
    expect(
      run.sim.violations.filter((v) => !options.expectedViolations?.some((e) => e.matches(v))),
      'protocol violations the simulator saw',
    ).toEqual([]);
  } finally {
    live?.delete(run);
    await run.dispose();
  }
}

const isChattingWith = (run: PathRun, party: 'robot' | 'agent') => run.actor().getSnapshot().matches({ connected: 'chatting' }) && run.context().servedBy === party;

/**
 * Waits for the robot chat, moving the session's clock on past any delayed transition that is
 * due meanwhile (a CONNECT retry), as a customer's clock would.
 */
async function untilRobotChat(run: PathRun): Promise<void> {
  await run.eventually(() => {
    if (isChattingWith(run, 'robot')) return true;
    const [next] = run.clock.pending();
    if (next && !run.actor().getSnapshot().matches('connected')) run.clock.increment(next.due - run.clock.now());
    return false;
  }, 'a robot chat');
}

/** The robot chat, its greeting received (the first poll answered). */
async function untilGreeted(run: PathRun): Promise<void> {
  await untilRobotChat(run);
  await run.eventually(() => transcriptTexts(run).includes(run.sim.scenario.robot.greeting), "the robot's greeting");
}

/** The browser goes offline; the poll in flight is left alone (its batch may be on the way): until it ended. */
async function goOffline(run: PathRun): Promise<void> {
  run.send({ type: 'connection.offline' });
  await run.eventually(() => pollsOf(run).started === pollsOf(run).ended, 'the poll in flight to end');
}

/** Served by the agent: CONNECT to the agent queue, then the simulator's queue serves the customer. */
async function untilAgentChat(run: PathRun): Promise<void> {
  await run.eventually(() => run.sim.session(run.userId)?.state === 'queued', 'queued for an agent');
  run.sim.queue.serve(run.userId);
  await run.eventually(() => isChattingWith(run, 'agent'), 'an agent chat');
}

/**
 * Offline until the poll in flight ended, `meanwhile` at the simulator (what no poll can take
 * yet), the next poll's answer lost after the server handed out its batch, back online.
 */
async function loseNextBatch(run: PathRun, meanwhile: () => void): Promise<void> {
  await goOffline(run);
  meanwhile();
  run.sim.faults.next('poll', { reset: true, afterProcessing: true });
  run.send({ type: 'connection.online' });
  await run.eventually(() => run.sim.requestsFor('poll').some((r) => r.fault === 'reset' && r.endedAt !== undefined), 'the lost poll answer');
}

const fileWorkers = (run: PathRun): string[] => fileWorkersOf(run.actor().getSnapshot());
const outgoingOf = (run: PathRun): OutgoingEntry[] => transcriptEntries(run.context().transcript).filter((e): e is OutgoingEntry => e.kind === 'outgoing');

/** The incoming entry of the agent's file `fileId`. */
function incomingFile(run: PathRun, fileId: string): IncomingEntry | undefined {
  return transcriptEntries(run.context().transcript).find(
    (e): e is IncomingEntry => e.kind === 'incoming' && e.message.controlType === 'CHAT' && 'file' in e.message.content && e.message.content.resourceId === fileId,
  );
}

const connectsOf = (run: PathRun) =>
  // The simulator is the run's own: every request is this session's (a faulted one names no user).
  run.sim.requestsFor('send').filter((r) => (r.body as { controlType?: string } | undefined)?.controlType === 'CONNECT');

/** The client's polls so far: started, and ended (answered or failed). */
function pollsOf(run: PathRun): { started: number; ended: number } {
  const calls = run.trace().calls.filter((c) => c.api === 'poll');
  return { started: calls.filter((c) => c.phase === 'start').length, ended: calls.filter((c) => c.phase === 'end').length };
}

/** The texts the customer was shown (incoming and history), in order. */
const transcriptTexts = (run: PathRun): string[] =>
  transcriptEntries(run.context().transcript).flatMap((e) => {
    if (e.kind !== 'incoming' && e.kind !== 'history') return [];
    const content = 'content' in e.message ? e.message.content : null;
    return content && typeof content === 'object' && content.mediaType === 'TEXT' ? [content.text] : [];
  });

/**
 * What a file rebuilt from history cannot know: history has neither contentType (local or media
 * library) nor mediaFileType, so the first try guesses the library form, and the file type is
 * guessed from the media type (an IMAGE: jpg). The simulator flags both guesses.
 */
const HISTORY_FILE_GUESSES = [
  { why: 'the id form: media library first', matches: (v: ProtocolViolation) => v.rule === 'missing-local-prefix' },
  { why: 'the file type: jpg for an IMAGE', matches: (v: ProtocolViolation) => v.rule === 'invalid-value' && /^fileType of a local file must be its mediaFileType/.test(v.message) },
];

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'flaky server',
    promise:
      'a server that answers polls with errors is not a lost network: the session keeps polling, backing off full-jitter exponentially up to pollBackoffMaxMs, and the chat goes on',
    about: 'poll.error (HTTP 500) ×6',
    run: async (fault, live) => {
      const sleeps: number[] = [];
      const actorOptions: ChatActorsOptions = {
        random: () => FIXED_DRAW,
        sleep: (ms, signal) => {
          sleeps.push(ms);
          return defaultSleep(ms, signal);
        },
      };
      await withSession(fault, live, { actorOptions }, async (run) => {
        await untilRobotChat(run);
        const failing = 6;
        const { pollBackoffBaseMs: base = 0, pollBackoffMaxMs: max = 0, maxPollFailures = 0 } = MACHINE_TIMING;
        expect(failing, 'more answered failures in a row than maxPollFailures, past the cap').toBeGreaterThan(Math.max(maxPollFailures, Math.log2(max / base) + 1));
        const before = sleeps.length;
        run.sim.faults.next('poll', { status: 500 }, failing);
        await run.eventually(() => run.sim.requestsFor('poll').filter((r) => r.fault !== undefined && r.endedAt !== undefined).length === failing, 'every failing poll answered');
        run.sim.robot.say(run.userId, 'still here');
        await run.eventually(() => transcriptTexts(run).includes('still here'), 'the robot message after the failures');
        expect(run.actor().getSnapshot().matches({ connected: 'chatting' }), 'still chatting').toBe(true);
        expect(run.realEvents().filter((e) => e.type === 'poll.failed'), 'poll.failed (network lost) reported').toEqual([]);
        // The waits between the failed polls: the n-th failure in a row waits draw × min(max, base × 2^(n−1)).
        const expected = Array.from({ length: failing }, (_, i) => Math.floor(FIXED_DRAW * Math.min(max, base * 2 ** i)));
        expect(sleeps.slice(before, before + failing), 'the backoff after each failed poll (ms)').toEqual(expected);
      });
    },
  },
  {
    name: 'offline',
    promise: 'while the browser is offline no poll is sent (no request storm); back online, the session polls at once and gets what was said meanwhile',
    about: 'connection.offline',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        await untilGreeted(run);
        await goOffline(run);
        const polls = pollsOf(run).started;
        run.sim.robot.say(run.userId, 'said while offline');
        // An absence: a few poll cycles (long-poll window + the minimum interval) with no poll. A
        // slow machine can only make this see less, never fail the session that behaves.
        const window = 3 * ((run.sim.timing.longPollWindowMs ?? 0) + (MACHINE_TIMING.pollMinIntervalMs ?? 0));
        await new Promise((resolve) => setTimeout(resolve, window));
        expect(pollsOf(run).started, 'polls sent while offline').toBe(polls);
        expect(transcriptTexts(run), 'a message delivered while offline').not.toContain('said while offline');
        run.send({ type: 'connection.online' });
        await run.eventually(() => transcriptTexts(run).includes('said while offline'), 'the message said while offline, once back online');
      }),
  },
  {
    name: 'connect retries back off',
    promise: 'CONNECT retries wait connectRetryBaseMs × 2^(n−1) (capped), so a struggling server is not hit at a fixed rate',
    about: 'connect.error (HTTP 500) ×2',
    run: (fault, live) =>
      withSession(fault, live, { timing: { connectRetries: 2 } }, async (run) => {
        const { connectRetryBaseMs: base = 0, connectRetryMaxMs: max = 0 } = MACHINE_TIMING;
        run.sim.faults.next('send', { status: 500 }, 2);
        const waits: number[] = [];
        await run.eventually(() => {
          if (isChattingWith(run, 'robot')) return true;
          const [next] = run.clock.pending();
          if (next && run.actor().getSnapshot().matches('connect-retry')) {
            waits.push(next.timeout);
            run.clock.increment(next.due - run.clock.now());
          }
          return false;
        }, 'a robot chat after two failed CONNECTs');
        expect(waits, 'the delays before the two retries (ms)').toEqual([Math.min(max, base), Math.min(max, base * 2)]);
        expect(connectsOf(run).length, 'CONNECTs sent').toBe(3);
      }),
  },
  {
    name: 'CONNECT answer lost',
    promise: 'a CONNECT the server processed but whose answer was lost opens one session, not two: the client finds it (poll) instead of connecting again',
    about: 'connect.error (connection reset) lost',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        run.sim.faults.next('send', { reset: true, afterProcessing: true });
        await untilRobotChat(run);
        expect(connectsOf(run).length, 'CONNECTs sent').toBe(1);
        expect(transcriptTexts(run).filter((t) => t === run.sim.scenario.robot.greeting), "the robot's greeting, once").toHaveLength(1);
      }),
  },
  {
    name: 'CONNECT answer lost, and the look for it',
    promise:
      'when neither the poll nor the history could tell whether a lost CONNECT opened the session, the retry looks again (history first) before connecting: still one session',
    about: 'connect.error (connection reset) lost retry',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        run.sim.faults.next('send', { reset: true, afterProcessing: true });
        run.sim.faults.next('poll', { reset: true });
        run.sim.faults.next('queryHistoryChatMessage', { reset: true });
        await untilRobotChat(run);
        expect(connectsOf(run).length, 'CONNECTs sent').toBe(1);
        expect(transcriptTexts(run).filter((t) => t === run.sim.scenario.robot.greeting), "the robot's greeting, once").toHaveLength(1);
      }),
  },
  {
    name: 'file from a lost batch',
    promise:
      'a file the agent sent in a batch whose answer was lost is still downloadable: rebuilt from history, where its id form is unknown, it is fetched in the other form when the first is refused',
    about: 'download recovered history copy lost',
    run: (fault, live) =>
      withSession(fault, live, { scenario: { connectTo: 'agent' }, expectedViolations: HISTORY_FILE_GUESSES }, async (run) => {
        await untilAgentChat(run);
        let fileId = '';
        await loseNextBatch(run, () => {
          fileId = run.sim.agent.sendFile(run.userId, { bytes: SMALL_FILE, fileType: 'png', local: true }).fileId;
        });
        const recovered = () => incomingFile(run, fileId);
        await run.eventually(() => recovered() !== undefined, "the agent's file, from history");
        const entry = recovered()!;
        expect(entry.message.controlType === 'CHAT' && entry.message.recovered, 'the file was rebuilt from history').toBe(true);
        run.send({ type: 'file.download', key: entry.key });
        await run.eventually(() => run.downloaded.length > 0 || run.context().downloads[entry.key]?.status === 'failed', 'the download to finish');
        expect(run.context().downloads[entry.key]?.status, 'the download').toBe('done');
        expect([...run.downloaded[0]!.bytes], "the agent's bytes").toEqual([...SMALL_FILE]);
      }),
  },
  {
    name: 'agent end lost, history refused',
    promise:
      'an agent chat whose end (the DISCONNECT) was lost with a batch still ends, even while the history cannot be read: the client asks whether the session exists beside each try, and those answers alone end the chat',
    about: 'session.lost gone agent lost',
    run: (fault, live) =>
      withSession(fault, live, { scenario: { connectTo: 'agent' } }, async (run) => {
        await untilAgentChat(run);
        // Answered refusals (5xx), more than the chat needs to end: a refused history is no lost network.
        run.sim.faults.next('queryHistoryChatMessage', { status: 500 }, 1_000);
        await loseNextBatch(run, () => run.sim.agent.end(run.userId));
        await run.eventually(() => !run.actor().getSnapshot().matches({ connected: 'chatting' }), 'the chat to end');
        expect(run.realEvents().map((e) => e.type), 'how the end became known').toContain('session.lost');
        expect(
          run.sim.requestsFor('queryHistoryChatMessage').every((r) => r.fault !== undefined),
          'no history answer helped',
        ).toBe(true);
        run.sim.faults.clear();
      }),
  },
  {
    name: 'customer ends after the server did',
    promise:
      "a customer who ends an agent chat the server had already ended (its DISCONNECT lost, the session answered gone) is told the server ended it: the end is session-released, the transcript shows the server's end, and no survey is asked for",
    about: 'chat.end session.gone gone agent lost',
    run: (fault, live) =>
      withSession(
        fault,
        live,
        // Patient: only the customer's end decides (no network give-up, no three-check end).
        { scenario: { connectTo: 'agent' }, timing: { maxPollFailures: 100_000, pollGiveUpMs: 600_000, pollBackoffBaseMs: 5, pollBackoffMaxMs: 10 } },
        async (run) => {
          await untilAgentChat(run);
          // The poll in flight must not carry the end: offline until it ended, then the end, the
          // poll that takes it loses its answer, and every poll after it fails (no answer without
          // a DISCONNECT can confirm the loss: only the customer's end decides).
          await goOffline(run);
          run.sim.agent.end(run.userId);
          run.sim.faults.next('poll', { reset: true, afterProcessing: true });
          run.sim.faults.next('poll', { reset: true }, 100_000);
          run.send({ type: 'connection.online' });
          await run.eventually(() => run.realEvents().some((e) => e.type === 'session.gone'), 'the first "session gone" answer');
          run.send({ type: 'chat.end' });
          await run.eventually(() => run.actor().getSnapshot().status === 'done', 'the chat to end');
          expect(run.context().endReason, 'why it ended').toBe('session-released');
          expect(
            transcriptEntries(run.context().transcript).some((e) => e.key.startsWith('lost-disconnect:')),
            "the server's end in the transcript",
          ).toBe(true);
          expect(run.sim.requestsFor('getSatisfactionSurveyMode'), 'no survey asked for').toEqual([]);
          run.sim.faults.clear();
        },
      ),
  },
  {
    name: 'suggestions follow the draft',
    promise: "the phrase suggestions shown are for the current draft: when the fetch for a new draft fails, the old draft's suggestions go away",
    about: 'suggestPhrases.error input.change',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        await untilRobotChat(run);
        const debounce = MACHINE_TIMING.suggestionDebounceMs ?? 0;
        run.send({ type: 'input.change', text: TEXT.draft });
        run.clock.increment(debounce);
        await run.eventually(() => run.context().compose.suggestions.length > 0, 'suggestions for the draft');
        run.sim.faults.next('queryPhraseByKeyword', { status: 500 });
        run.send({ type: 'input.change', text: `${TEXT.draft} reset` });
        run.clock.increment(debounce);
        await run.eventually(
          () => run.sim.requestsFor('queryPhraseByKeyword').some((r) => r.fault !== undefined && r.endedAt !== undefined) && run.actor().getSnapshot().matches({ connected: { chatting: { suggestions: 'idle' } } }),
          'the failed fetch',
        );
        expect(run.context().compose.suggestions, 'suggestions after the failed fetch').toEqual([]);
      }),
  },
  {
    name: 'robot answer after the transfer',
    promise:
      'once the transfer to an agent is accepted the customer waits for the agent: a robot answer still on its way does not take them back to the robot chat',
    about: 'agent.request requestAgent robot',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        await untilGreeted(run);
        // Offline, so the robot's answer is still at the server when the transfer is accepted.
        await goOffline(run);
        run.sim.robot.say(run.userId, 'an answer on its way');
        run.send({ type: 'agent.request' });
        await run.eventually(() => run.actor().getSnapshot().matches({ connected: 'queuing' }), 'the transfer accepted');
        run.send({ type: 'connection.online' });
        await run.eventually(() => transcriptTexts(run).includes('an answer on its way'), "the robot's answer");
        expect(run.actor().getSnapshot().matches({ connected: 'queuing' }), 'still waiting for the agent').toBe(true);
        expect(run.context().bookkeeping.awaitingAgent, 'awaitingAgent').toBe(true);
        run.sim.queue.serve(run.userId);
        await run.eventually(() => isChattingWith(run, 'agent'), 'the agent takes over');
      }),
  },
  {
    name: 'message on the wire at the transfer',
    promise:
      'a message still on the wire when the transfer to an agent is accepted is not left "sending" for ever: it fails visibly as one the agent may or may not have received, so the customer can send it again',
    about: 'agent.request message.send sending',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        await untilRobotChat(run);
        run.hold('send', HOLD_MS);
        run.send({ type: 'message.send', text: TEXT.customer });
        await run.whenHeld('send');
        run.send({ type: 'agent.request' });
        await run.eventually(() => run.actor().getSnapshot().matches({ connected: 'queuing' }), 'the transfer accepted');
        const [entry] = outgoingOf(run);
        expect(entry?.status, 'the message that was on the wire').toBe('failed');
        expect(entry?.error, 'why').toMatchObject({ kind: 'aborted', outcomeUnknown: true });
      }),
  },
  {
    name: 'message waiting when the network is given up',
    promise:
      'when the client gives the network up, a message still waiting to be resent fails visibly: a dead chat shows no message as still on its way',
    about: 'poll.failed network down message.send',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        await untilGreeted(run);
        // The gateway refuses the CHAT before the service sees it (503): resent later, on a timer the test never fires.
        run.sim.faults.next('send', { status: 503 });
        run.send({ type: 'message.send', text: TEXT.customer });
        await run.eventually(() => outgoingOf(run)[0]?.status === 'queued' && outgoingOf(run)[0]?.error != null, 'the message waiting to be resent');
        // The network goes: polls get no answer until the client gives up (maxPollFailures in a row).
        run.sim.faults.next('poll', { reset: true }, 1_000);
        await run.eventually(() => !run.actor().getSnapshot().matches('connected'), 'the network given up');
        run.sim.faults.clear();
        expect(run.realEvents().map((e) => e.type), 'how').toContain('poll.failed');
        expect(outgoingOf(run)[0]?.status, 'the message that was waiting').toBe('failed');
      }),
  },
  {
    name: 'restored mid-download',
    promise: 'a page reloaded while a file was downloading finishes the download after the restore: the restored session emits the bytes',
    about: 'download restore snapshot',
    run: (fault, live) =>
      withSession(fault, live, { scenario: { connectTo: 'agent' } }, async (run) => {
        await untilAgentChat(run);
        const { fileId } = run.sim.agent.sendFile(run.userId, { bytes: SMALL_FILE, fileType: 'png', local: true });
        const key = () => incomingFile(run, fileId)?.key;
        await run.eventually(() => key() !== undefined, "the agent's file");
        run.hold('downloadFileStream', HOLD_MS);
        run.send({ type: 'file.download', key: key()! });
        await run.whenHeld('downloadFileStream');
        expect(run.context().downloads[key()!]?.status, 'before the reload').toBe('downloading');
        run.restore(run.actor().getPersistedSnapshot());
        await run.eventually(() => run.downloaded.length > 0, 'the download, after the restore');
        expect(run.context().downloads[key()!]?.status, 'the download').toBe('done');
        expect([...run.downloaded[0]!.bytes], "the agent's bytes").toEqual([...SMALL_FILE]);
      }),
  },
  {
    name: 'queue not set up yet',
    promise:
      "a queue answer of 'no such session' right after CONNECT (the server still setting the queue up) does not end the chat: it takes several in a row before the customer was seen queuing",
    about: 'queue ended',
    run: (fault, live) =>
      withSession(fault, live, { scenario: { connectTo: 'agent' } }, async (run) => {
        const early = 2;
        run.sim.faults.next('queryQueueInfo', { status: 200, body: { resultCode: QueueResultCode.SESSION_NOT_FOUND } }, early);
        await run.eventually(() => run.sim.requestsFor('queryQueueInfo').filter((r) => r.fault === undefined && r.endedAt !== undefined).length > 0, 'a real queue answer after the early ones');
        await run.eventually(() => run.context().queue?.status === 'queuing', 'the queue position shown');
        expect(run.actor().getSnapshot().matches({ connected: 'queuing' }), 'still queuing').toBe(true);
        run.sim.queue.serve(run.userId);
        await run.eventually(() => isChattingWith(run, 'agent'), 'the agent takes over');
      }),
  },
  {
    name: 'sendAsync: queue asked once confirmed',
    promise:
      'with sendAsync, which only acknowledges CONNECT, the client asks about the queue only after a poll confirmed the CONNECT (asking about a CONNECT the server may still refuse is a protocol error)',
    about: 'sendAsync queue',
    run: (fault, live) =>
      withSession(fault, live, { config: 'sendAsync', scenario: { connectTo: 'agent' } }, async (run) => {
        await run.eventually(() => run.sim.requestsFor('queryQueueInfo').length > 0, 'a queue query');
        const { calls, steps } = run.trace();
        const firstQuery = calls.find((c) => c.api === 'queryQueueInfo' && c.phase === 'start');
        const confirmed = steps.find((s) => s.event.type === 'poll.messages');
        expect(confirmed, 'a poll answer (the confirmation)').toBeDefined();
        expect(firstQuery!.seq, 'the first queue query starts after the poll answer that confirmed CONNECT').toBeGreaterThan(confirmed!.seq);
      }),
  },
  {
    name: 'CONNECT answer lost on the last try',
    promise:
      "when the last CONNECT attempt's answer is lost and nothing could tell whether it opened a session, the chat closes it (DISCONNECT) and still catches up on what that session said: the robot's greeting is in the transcript",
    about: 'connect.error (connection reset) lost disconnect',
    run: (fault, live) =>
      withSession(fault, live, { timing: { connectRetries: 0 } }, async (run) => {
        run.sim.faults.next('send', { reset: true, afterProcessing: true });
        run.sim.faults.next('poll', { reset: true });
        run.sim.faults.next('queryHistoryChatMessage', { reset: true });
        await run.eventually(() => run.actor().getSnapshot().status === 'done', 'the session to end');
        expect(run.context().endReason, 'why it ended').toBe('connect-failed');
        expect(transcriptTexts(run), "the greeting of the session the lost CONNECT opened").toContain(run.sim.scenario.robot.greeting);
        expect(run.sim.session(run.userId)?.state, 'the session it opened').toBe('ended');
      }),
  },
  {
    name: 'restored mid-upload',
    promise: "a file still uploading when the page reloads fails visibly in the restored session (its bytes are gone: 'pick it again'), not left uploading for ever",
    about: 'upload restore snapshot',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        await untilRobotChat(run);
        run.hold('uploadFileStream', HOLD_MS);
        run.send({ type: 'file.send', data: SMALL_FILE, fileType: 'png', name: 'receipt.png' });
        await run.whenHeld('uploadFileStream');
        expect(outgoingOf(run)[0]?.status, 'before the reload').toBe('uploading');
        run.restore(run.actor().getPersistedSnapshot());
        await run.eventually(() => outgoingOf(run)[0]?.status !== 'uploading', 'the upload settled after the restore');
        expect(outgoingOf(run)[0]?.status, 'the file that was uploading').toBe('failed');
        expect(outgoingOf(run)[0]?.error, 'why').toMatchObject({ kind: 'validation', api: 'uploadFileStream' });
      }),
  },
  {
    name: 'restored with idle file workers',
    promise:
      "a session saved while its file workers ran with nothing to transfer (0.1.0 ran them for the whole session) restores without them once they report: no worker idles in a session that transfers nothing",
    about: 'file workers restore snapshot',
    run: (fault, live) =>
      withSession(fault, live, {}, async (run) => {
        await untilRobotChat(run);
        const persisted = run.actor().getPersistedSnapshot() as unknown as { children: Record<string, unknown> };
        const idleWorker = (src: string) => ({ snapshot: { status: 'active', input: {} }, src, syncSnapshot: false });
        persisted.children = { ...persisted.children, uploadFile: idleWorker('uploadFile'), downloadFile: idleWorker('downloadFile') };
        run.restore(persisted as unknown as PersistedChatSession);
        await run.eventually(() => fileWorkers(run).length === 0, 'the idle workers stopped after the restore');
        expect(isChattingWith(run, 'robot'), 'still chatting').toBe(true);
      }),
  },
  {
    name: 'offline end while a file uploads',
    promise:
      "when the service goes offline while a queued customer's file is uploading, the chat offers leave-message and the upload worker stops with `connected`: nothing goes on sending for a chat that left it",
    about: 'upload leave-message',
    run: (fault, live) =>
      withSession(fault, live, { scenario: { connectTo: 'agent' } }, async (run) => {
        await run.eventually(() => run.actor().getSnapshot().matches({ connected: 'queuing' }), 'queuing');
        run.hold('uploadFileStream', HOLD_MS);
        run.send({ type: 'file.send', data: SMALL_FILE, fileType: 'png', name: 'receipt.png' });
        await run.whenHeld('uploadFileStream');
        expect(fileWorkers(run), 'the upload worker runs').toEqual(['uploadFile']);
        await run.holdQueueWatcher(true);
        run.sim.system.disconnect(run.userId, { isOfflineStatus: true });
        await run.eventually(() => run.actor().getSnapshot().matches('leave-message'), 'leave-message offered');
        expect(fileWorkers(run), 'file workers after leaving connected').toEqual([]);
      }),
  },
];
