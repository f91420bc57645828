/**
 * The event variants of the model, one entry per way an event can happen, each with
 *   - its model side: when it applies (`offer`, returning the event payload the machine gets in
 *     the traversal) and how the world changes (`world`), and
 *   - its real side: how the simulator is prepared (`arm`, `armAhead`), what the test does to
 *     make the event really happen (`act`), and what it checks afterwards (`check`).
 *
 * Kinds: `start` (create and start the session), `user` (actor.send), `env` (script the
 * simulator), `timer` (advance the SimulatedClock to a delayed transition), `outcome` (the
 * answer to a request in flight: nothing to do but arm it) and `spontaneous` (what the real
 * system does by itself next: workers reporting ready, the simulator's greetings and notices).
 *
 * User and env variants are only offered where the shipped machine has an enabled transition
 * for them (`snapshot.can(event)`, i.e. the machine's own guards decide), so a payload variant
 * (valid / invalid) is all it takes to reach a guarded branch.
 */
import { expect } from 'vitest';
import type { DownlinkMessage, ReadDownlink } from '../../src/client/types.js';
import { ResultDesc } from '../../src/client/protocol.js';
import type { ApiName } from '../../src/client/protocol.js';
import type { ChatSessionEvent, OutgoingEntry } from '../../machines/chatSession.types.js';
import {
  authRetryDelay,
  connectRetryDelay,
  sendRetryDelay,
  suggestionDebounce,
  surveyModeRetryDelay,
  typingThrottle,
} from '../../machines/chatSession.delays.js';
import { InferredDesc } from '../../src/simulator/texts.js';
import { CONFIRMED_AGENT_DESC } from '../../src/actors/uplink.js';
import {
  AFTER_HOURS,
  HOLD_MS,
  LARGE_FILE,
  NO_AGENTS,
  NO_CCUCS,
  NO_ROBOT,
  SMALL_FILE,
  SURVEY_WEB,
  TEXT,
  UPLOAD_TOO_LARGE,
  agentImage,
  businessError,
  disconnectMessage,
  historyMessages,
  httpError,
  networkError,
  robotText,
  sessionInput,
  text,
  type StartConfig,
} from './fixtures.js';
import type { MachineSnapshot, ModelEvent, ModelSnapshot, RunApi, Variant, World } from './types.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';

type Active = ModelSnapshot & { machine: MachineSnapshot };

const SESSION_GONE = businessError('send', '13', 'fail to transfer from robot to agent,session keep touch failed.');
const SESSION_GONE_CHAT = businessError('send', '13', InferredDesc.sessionKeepTouchFailed);

// ---------------------------------------------------------------------------------------------
// Helpers

/** The machine's named delays (the ones `setup({ delays })` gets), by name. */
const MACHINE_DELAYS = { authRetryDelay, connectRetryDelay, sendRetryDelay, suggestionDebounce, surveyModeRetryDelay, typingThrottle };

function inState(s: Active, ...values: unknown[]): boolean {
  return values.some((v) => s.machine.matches(v as Parameters<MachineSnapshot['matches']>[0]));
}

const CHATTING = { connected: 'chatting' };
const QUEUING = { connected: 'queuing' };
const STABLE_CONNECTED = [QUEUING, CHATTING, { connected: { 'survey-agent': 'form' } }, { connected: { 'survey-robot': 'form' } }];

function outgoingOf(m: MachineSnapshot): OutgoingEntry[] {
  return transcriptEntries(m.context.transcript).filter((e): e is OutgoingEntry => e.kind === 'outgoing');
}

function setParty(party: World['party']) {
  return (w: World): World => ({ ...w, party });
}

function then(...names: string[]) {
  return (w: World): World => ({ ...w, spontaneous: [...w.spontaneous, ...names] });
}

/** Changes the simulator's live channel configuration. */
function scenario(run: RunApi, patch: Partial<RunApi['sim']['scenario']>): void {
  Object.assign(run.sim.scenario, patch);
}

function fault(run: RunApi, api: ApiName, f: Parameters<RunApi['sim']['faults']['next']>[1], times = 1): void {
  run.sim.faults.next(api, f, times);
}

/** The real event for a model event: the same payload, keys translated where they differ. */
function strip(event: ModelEvent): ChatSessionEvent {
  const { variant: _variant, ...rest } = event;
  return rest as unknown as ChatSessionEvent;
}

function user(name: string, eventType: string, offer: Variant['offer'], extra: Partial<Variant> = {}): Variant {
  return { name, kind: 'user', eventType, offer, act: (run, step) => run.send(strip(step.event)), ...extra };
}

function outcome(name: string, invokeId: string, ok: boolean, payload: (s: Active) => Record<string, unknown>, extra: Partial<Variant> = {}): Variant {
  return workerOutcome(name, `xstate.${ok ? 'done' : 'error'}.actor.${invokeId}`, invokeId, payload, extra);
}

/** The answer of a worker to the request in flight (`settles`: the worker's id), as the event it sends back. */
function workerOutcome(name: string, eventType: string, settles: string, payload: (s: Active) => Record<string, unknown>, extra: Partial<Variant> = {}): Variant {
  return {
    name,
    kind: 'outcome',
    eventType,
    settles,
    offer: (s) => (s.world.inflight.includes(settles) ? payload(s) : undefined),
    ...extra,
  };
}

/** The sendMessage worker's answers to the CHAT in flight (src/actors/uplink.ts). */
const sendMessageSent = (name: string, payload: (s: Active) => Record<string, unknown>, extra: Partial<Variant> = {}) =>
  workerOutcome(name, 'message.sent', 'sendMessage', payload, extra);
const sendMessageFailed = (name: string, error: () => unknown, extra: Partial<Variant> = {}) =>
  workerOutcome(name, 'message.sendFailed', 'sendMessage', (s) => ({ localId: s.machine.context.outbox[0] ?? '', error: error() }), extra);

/**
 * A delayed transition. The SimulatedClock is advanced to exactly the due time of the real
 * actor's pending timer (one millisecond early nothing may happen), and that timer must be as
 * long as the machine's own delay says for the real context. The real timer is looked up rather
 * than taken from the model's clock: jittered delays (authRetryDelay and surveyModeRetryDelay by
 * the user id, sendRetryDelay by the message id) differ between the model and the real run, and
 * so does the real time at which every later timer was set.
 */
/**
 * An agent chat's DISCONNECT goes into a poll that loses its answer (reset after processing):
 * the agent ends while that poll is open. `alsoArm` adds what makes each case; the simulator's
 * party is then `ended`, and `world` says what the poll loop reports next.
 */
function lostAgentDisconnect(name: string, alsoArm: (run: RunApi) => void, world: (w: World) => World): Variant {
  return {
    name,
    kind: 'env',
    eventType: 'poll.error',
    offer: (s) =>
      s.world.party === 'agent' && inState(s, CHATTING) && s.machine.context.connection.pollFailures === 0 ? { error: networkError('poll'), failures: 1 } : undefined,
    arm: (run) => {
      fault(run, 'poll', { reset: true, afterProcessing: true });
      alsoArm(run);
    },
    act: async (run) => {
      // That poll, still open (an earlier failed poll of the path has a fault too, but it is over).
      await run.eventually(() => run.sim.requestsFor('poll', run.userId).some((r) => r.fault === 'reset' && r.endedAt === undefined), 'the poll that loses its answer is open');
      run.sim.agent.end(run.userId);
    },
    world: (w) => world({ ...w, party: 'ended' }),
  };
}

function timer(delay: keyof typeof MACHINE_DELAYS, stateId: string): Variant {
  return {
    name: `after ${delay}`,
    kind: 'timer',
    eventType: `xstate.after.${delay}.${stateId}`,
    offer: (s) => (s.world.timers[`xstate.after.${delay}.${stateId}`] !== undefined ? {} : undefined),
    act: (run) => {
      const ms = MACHINE_DELAYS[delay]({ context: run.actor().getSnapshot().context });
      const pending = run.clock.pending();
      const due = pending.find((t) => t.timeout === ms);
      if (!due) throw new Error(`after ${delay}: no pending timer of ${ms} ms in the real actor (pending: ${JSON.stringify(pending)})`);
      if (pending[0] !== due) throw new Error(`after ${delay}: another timer is due first in the real actor (pending: ${JSON.stringify(pending)})`);
      const before = JSON.stringify(run.actor().getSnapshot().value);
      run.clock.increment(due.due - run.clock.now() - 1);
      expect(JSON.stringify(run.actor().getSnapshot().value), `${delay} fired before its due time`).toBe(before);
      run.clock.increment(1);
    },
  };
}

/** A poll batch. Keys are unique per path (the world's counter); the world remembers the batch. */
function poll(
  name: string,
  kind: 'env' | 'spontaneous',
  messages: (s: Active, key: (i: number) => string) => DownlinkMessage[] | undefined,
  extra: Partial<Variant> = {},
): Variant {
  const { world: more, ...rest } = extra;
  return {
    name,
    kind,
    eventType: 'poll.messages',
    offer: (s) => {
      const batch = messages(s, (i) => `${name.replace(/^poll\.messages:/, '')}-${s.world.seq}-${i}`);
      return batch ? { messages: batch } : undefined;
    },
    world: (w, next, event, prev) => {
      const updated = { ...w, seq: w.seq + 1, lastBatch: (event.messages as DownlinkMessage[]).map((m) => m.key) };
      return more ? more(updated, next, event, prev) : updated;
    },
    ...rest,
  };
}

function sessionOf(run: RunApi) {
  const view = run.sim.session(run.userId);
  if (!view) throw new Error(`the simulator has no session for ${run.userId}`);
  return view;
}

/** Waits until the real actor has processed a poll.messages event satisfying `match`. */
async function processedPoll(run: RunApi, match: (messages: DownlinkMessage[]) => boolean, what: string): Promise<void> {
  await run.eventually(() => {
    return run.realEvents().some((e) => e.type === 'poll.messages' && Array.isArray(e.messages) && match(e.messages as DownlinkMessage[]));
  }, what);
}

// ---------------------------------------------------------------------------------------------
// The catalog

const START: Variant[] = (['send', 'history', 'sendAsync'] as StartConfig[]).map(
  (config): Variant => ({
    name: `start(${config})`,
    kind: 'start',
    eventType: 'session.start',
    offer: () => ({ config }),
    arm:
      config === 'history'
        ? (run) =>
            run.sim.seedHistory(
              run.userId,
              TEXT.history.map((content, i) => ({ content, sourceType: i === 0 ? 'USER' : 'AGENT' })),
            )
        : undefined,
    act: (run) => run.start(sessionInput(config, run.userId, run.sim.channelId)),
  }),
);

const HOLD_API: Record<string, (s: ModelSnapshot) => ApiName> = {
  auth: () => 'applyToken',
  history: () => 'queryHistoryChatMessage',
  connecting: (s) => (s.world.config === 'sendAsync' ? 'sendAsync' : 'send'),
  'fetching-survey': () => 'getSatisfactionSurveyMode',
};

function heldApi(s: ModelSnapshot): ApiName {
  const m = s.machine;
  if (!m) throw new Error('no machine');
  for (const [state, api] of Object.entries(HOLD_API)) {
    if (m.matches(state as never) || m.matches({ connected: { ending: state } } as never)) return api(s);
  }
  throw new Error(`chat.end (held) from ${JSON.stringify(m.value)}: nothing to hold`);
}

/**
 * After a CONNECT whose earlier attempt's answer was lost (HTTP 500, a reset: outcome unknown),
 * the poll loop catches up from history before its first poll, and the robot's greeting, sent
 * with the CONNECT, is already there: it arrives as a history copy first, then as the poll copy.
 */
function greetingAfter(prev: MachineSnapshot | null): string[] {
  const resumed = (prev?.context.bookkeeping.connectAnswerLostAt ?? null) !== null;
  return resumed ? ['poll.messages:robot-greeting (history copy)', 'poll.messages:robot-greeting'] : ['poll.messages:robot-greeting'];
}

const GREETING = 'Hello, I am the AICC virtual assistant.';

/**
 * What DISCONNECT's catch-up from history brings that the client has not seen, when the session
 * was (or may have been: an earlier answer was lost) connected, so that there is a catch-up at
 * all: the messages the server sent that no poll delivered yet (the world's pending batches, e.g.
 * the agent's greeting when the chat ended first), and the greeting of a session opened by a
 * CONNECT the customer did not wait for. History gives CHAT messages only, without interIdx.
 */
function finalCatchUp(s: Active): { messages: DownlinkMessage[] } | undefined {
  const { connectedAt, connectAnswerLostAt } = s.machine.context.bookkeeping;
  if ((connectedAt ?? connectAnswerLostAt ?? null) === null) return undefined;
  const pending = s.world.spontaneous.flatMap((name) => {
    const variant = VARIANTS.find((v) => v.name === name);
    return variant?.eventType === 'poll.messages' ? ((variant.offer(s)?.messages ?? []) as DownlinkMessage[]) : [];
  });
  const unseen = s.world.unseenGreeting ? [text(`unseen-greeting-${s.world.seq}`, 'ROBOT', GREETING)] : [];
  const copies = new Map<string, DownlinkMessage>();
  for (const m of [...unseen, ...pending]) {
    if (m.controlType === 'CHAT' && !copies.has(m.key)) copies.set(m.key, { ...m, interIdx: null, robotGender: null, simQuestions: null, queueFlag: false, recovered: true });
  }
  return copies.size > 0 ? { messages: [...copies.values()] } : undefined;
}

const LIFECYCLE: Variant[] = [
  outcome('authenticate.done', 'authenticate', true, () => ({ output: undefined })),
  outcome('authenticate.error (HTTP 500)', 'authenticate', false, () => ({ error: httpError('applyToken') }), {
    arm: (run) => fault(run, 'applyToken', { status: 500 }),
  }),
  outcome('authenticate.error (refused 400)', 'authenticate', false, () => ({ error: httpError('applyToken', 400) }), {
    arm: (run) => fault(run, 'applyToken', { status: 400 }),
  }),
  timer('authRetryDelay', 'chatSession.auth-retry'),
  user(
    'chat.end (request held)',
    'chat.end',
    (s) => (inState(s, 'auth', 'history', 'connecting', { connected: { ending: 'fetching-survey' } }) ? {} : undefined),
    {
      held: true,
      armAhead: (run, step) => run.hold(heldApi(step.before), HOLD_MS),
      // The request must really be held at the server before the customer ends the chat.
      ready: (run, step) => run.whenHeld(heldApi(step.before)),
      // The server processes a held request and holds back only its answer: a held CONNECT opened
      // a robot session (the channel's default) and the robot greeted in it.
      world: (w, _next, _event, prev) => (prev?.matches('connecting' as never) ? { ...w, party: 'robot', unseenGreeting: true } : w),
    },
  ),
  user('chat.end', 'chat.end', () => ({})),
  outcome('loadHistory.done', 'loadHistory', true, () => ({ output: historyMessages() }), {
    check: (run) => {
      const history = transcriptEntries(run.matched().context.transcript).filter((e) => e.kind === 'history');
      expect(history.map((e) => (e.kind === 'history' ? e.message.content : null))).toEqual([...TEXT.history]);
    },
  }),
  outcome('loadHistory.error', 'loadHistory', false, () => ({ error: httpError('queryHistoryChatMessage') }), {
    arm: (run) => fault(run, 'queryHistoryChatMessage', { status: 500 }),
  }),

  // CONNECT: what it lands on is the simulator's channel configuration, set right before.
  outcome(
    'connect.done (robot)',
    'connect',
    true,
    () => ({ output: { resultCode: '0', resultDesc: ResultDesc.connectRobot } }),
    {
      offer: (s) => (s.world.inflight.includes('connect') && s.world.config !== 'sendAsync' ? { output: { resultCode: '0', resultDesc: ResultDesc.connectRobot } } : undefined),
      arm: (run) => scenario(run, { connectTo: 'robot', workingHours: true, connectFailure: null }),
      world: (w, _next, _event, prev) => then(...greetingAfter(prev))({ ...w, channel: 'robot', party: 'robot' }),
    },
  ),
  outcome('connect.done (agent queue)', 'connect', true, () => ({}), {
    offer: (s) => (s.world.inflight.includes('connect') && s.world.config !== 'sendAsync' ? { output: { resultCode: '0', resultDesc: ResultDesc.connectAgent } } : undefined),
    arm: (run) => scenario(run, { connectTo: 'agent', workingHours: true, connectFailure: null, initialQueuePosition: 1 }),
    world: (w) => then('poll.messages:queue-notice')({ ...w, channel: 'agent', party: 'queued' }),
  }),
  // The CONNECT answer is lost after the server opened the session, and the session is released
  // before the poll looking for it arrives: that poll brings the queue notice and the server's
  // DISCONNECT (seen in the overload chaos run; before the fix the chat sat in queuing).
  outcome('connect.done (answer lost; the probe finds the server ended)', 'connect', true, () => ({}), {
    offer: (s) =>
      s.world.inflight.includes('connect') && s.world.config !== 'sendAsync' && s.machine.context.bookkeeping.connectAnswerLostAt === null
        ? {
            output: {
              resultCode: '0',
              resultDesc: CONFIRMED_AGENT_DESC,
              confirmedByPoll: true,
              messages: [text(`probe-${s.world.seq}-0`, 'SYSTEM', 'Queuing...', { queueFlag: true }), disconnectMessage(`probe-${s.world.seq}-1`, 'SYSTEM')],
            },
          }
        : undefined,
    arm: (run) => {
      scenario(run, { connectTo: 'agent', workingHours: true, connectFailure: null, initialQueuePosition: 1 });
      fault(run, 'send', { reset: true, afterProcessing: true });
      run.sim.faults.plan({ seed: 1, rates: {}, apis: { poll: { 'session-release': 1 } } });
    },
    world: (w) => ({ ...w, channel: 'agent', party: 'ended' }),
  }),
  outcome('connect.done (sendAsync accepted)', 'connect', true, () => ({}), {
    offer: (s) => (s.world.inflight.includes('connect') && s.world.config === 'sendAsync' ? { output: { resultCode: '0', resultDesc: ResultDesc.sendAsyncAccepted } } : undefined),
    // The robot greeting must reach the poll before the queue watcher finds "no CCUCS session".
    arm: (run, step) => {
      scenario(run, { connectTo: 'robot', workingHours: true, connectFailure: null });
      // After a lost answer the poll loop catches up from history before its first poll, and the
      // model has the greeting's history copy come first (greetingAfter). The simulator opens
      // the session a timer after answering sendAsync, so a catch-up quick enough (seen under
      // load: the poll copy first, matched as the history copy) found no greeting yet. The
      // answer held a few ms after the request is handled comes after that timer, always.
      if ((step.before.machine?.context.bookkeeping.connectAnswerLostAt ?? null) !== null) fault(run, 'sendAsync', { delayMs: 5 });
      return run.holdQueueWatcher(false);
    },
    world: (w, _next, _event, prev) => then(...greetingAfter(prev))({ ...w, channel: 'robot', party: 'robot' }),
  }),
  outcome('connect.error (after hours)', 'connect', false, () => ({ error: AFTER_HOURS }), {
    offer: (s) => (s.world.inflight.includes('connect') && s.world.config !== 'sendAsync' ? { error: AFTER_HOURS } : undefined),
    arm: (run) => scenario(run, { connectTo: 'agent', workingHours: false, connectFailure: null }),
  }),
  outcome('connect.error (refused 13)', 'connect', false, () => ({ error: NO_CCUCS }), {
    offer: (s) => (s.world.inflight.includes('connect') && s.world.config !== 'sendAsync' ? { error: NO_CCUCS } : undefined),
    arm: (run) => scenario(run, { connectFailure: 'no-ccucs' }),
  }),
  outcome('connect.error (HTTP 500)', 'connect', false, (s) => ({ error: httpError(s.world.config === 'sendAsync' ? 'sendAsync' : 'send') }), {
    arm: (run, step) => fault(run, step.before.world.config === 'sendAsync' ? 'sendAsync' : 'send', { status: 500 }),
  }),
  outcome('connect.error (connection reset)', 'connect', false, () => ({ error: networkError('send') }), {
    offer: (s) => (s.world.inflight.includes('connect') && s.world.config !== 'sendAsync' ? { error: networkError('send') } : undefined),
    arm: (run) => fault(run, 'send', { reset: true }),
  }),
  user('request.retry', 'request.retry', () => ({})),
  user('session.resumed', 'session.resumed', () => ({}), { whileTimerRuns: true }),
  timer('connectRetryDelay', 'chatSession.connect-retry'),

  user('leaveMessage.submit (valid)', 'leaveMessage.submit', () => ({ caller: TEXT.caller, message: TEXT.leaveMessage })),
  user('leaveMessage.submit (no caller)', 'leaveMessage.submit', () => ({ caller: '', message: '' })),
  user('leaveMessage.skip', 'leaveMessage.skip', () => ({})),
  outcome('leaveMessage.done', 'leaveMessage', true, () => ({ output: { resultCode: '0', resultDesc: ResultDesc.leaveMessageSaved } }), {
    check: async (run) =>
      run.eventually(() => sessionOf(run).leaveMessages.some((m) => m.message === TEXT.leaveMessage && m.caller === TEXT.caller), 'the simulator stored the leave-message'),
  }),
  outcome('leaveMessage.error', 'leaveMessage', false, () => ({ error: httpError('doLeaveMessage') }), {
    arm: (run) => fault(run, 'doLeaveMessage', { status: 500 }),
  }),

  outcome('disconnect.done', 'disconnect', true, (s) => ({ output: finalCatchUp(s) }), {
    world: (w) => ({ ...w, party: w.party === 'none' ? 'none' : 'ended' }),
    check: (run, step) => {
      const view = run.sim.session(run.userId);
      if (step.before.world.party !== 'none') expect(view?.state, 'the simulator ended the session').toBe('ended');
    },
  }),
  outcome('disconnect.error', 'disconnect', false, (s) => ({ error: { ...httpError('send'), recovered: finalCatchUp(s)?.messages ?? [] } }), {
    arm: (run) => fault(run, 'send', { status: 500 }),
  }),
];

// ---------------------------------------------------------------------------------------------
// Connected: the queue, the poll loop and what the simulator pushes

const QUEUE_INFO = { status: 'queuing', position: 1, totalWaitTime: 0, currentDeviceWaitTime: 0, configMaxWaitTime: 60, longestWaitTime: 0, estimateWaitTime: 0 };

const SYSTEM_CONNECTED = 'The call is connected to an agent.';

const CONNECTED: Variant[] = [
  { name: 'upload.ready', kind: 'spontaneous', sync: true, eventType: 'upload.ready', offer: () => ({}) },
  { name: 'download.ready', kind: 'spontaneous', sync: true, eventType: 'download.ready', offer: () => ({}) },

  poll('poll.messages:robot-greeting', 'spontaneous', (_s, key) => [robotText(key(0), GREETING, '1')]),
  {
    // The poll loop's catch-up (see greetingAfter): the greeting the poll copy will bring, under
    // the same key, as history gives it (no interIdx).
    name: 'poll.messages:robot-greeting (history copy)',
    kind: 'spontaneous',
    eventType: 'poll.messages',
    offer: (s) => ({ messages: [text(`robot-greeting-${s.world.seq}-0`, 'ROBOT', GREETING, { recovered: true })] }),
    check: (run) => {
      const copies = transcriptEntries(run.matched().context.transcript).filter((e) => e.kind === 'incoming' && e.message.controlType === 'CHAT' && e.message.recovered);
      expect(copies.map((e) => e.kind === 'incoming' && e.message.sourceType), 'the catch-up showed the greeting from history').toEqual(['ROBOT']);
    },
  },
  poll('poll.messages:queue-notice', 'spontaneous', (_s, key) => [text(key(0), 'SYSTEM', 'Queuing...', { queueFlag: true })]),
  poll('poll.messages:agent-greeting', 'spontaneous', (_s, key) => [text(key(0), 'SYSTEM', SYSTEM_CONNECTED), text(key(1), 'AGENT', 'Hello, this is Alice.')]),
  poll('poll.messages:transfer-notice', 'spontaneous', (_s, key) => [
    text(key(0), 'SYSTEM', 'The session is transferred to an agent.'),
    text(key(1), 'SYSTEM', 'Queuing...', { queueFlag: true }),
  ]),

  {
    name: 'queue.updated (tick)',
    kind: 'env',
    eventType: 'queue.updated',
    offer: (s) => (s.world.party === 'queued' ? { info: QUEUE_INFO } : undefined),
    check: async (run) =>
      run.eventually(() => {
        const queue = run.context().queue;
        return queue?.status === 'queuing' && queue.position === sessionOf(run).queuePosition;
      }, 'context.queue shows the position the simulator reports'),
  },
  {
    name: 'queue.updated (queue moves)',
    kind: 'env',
    eventType: 'queue.updated',
    offer: (s) => (s.world.party === 'queued' ? { info: { ...QUEUE_INFO, position: 2 } } : undefined),
    act: (run) => {
      run.sim.queue.setPosition(run.userId, 3);
      run.sim.queue.advance(run.userId, 1);
    },
    check: async (run) =>
      run.eventually(() => {
        const queue = run.context().queue;
        return queue?.status === 'queuing' && queue.position === 2 && sessionOf(run).queuePosition === 2;
      }, 'context.queue.position follows the queue to 2'),
  },
  {
    name: 'queue.updated (after a failed queue query)',
    kind: 'env',
    eventType: 'queue.updated',
    offer: (s) => (s.world.party === 'queued' ? { info: QUEUE_INFO } : undefined),
    arm: (run) => fault(run, 'queryQueueInfo', { status: 500 }),
    check: (run) =>
      run.eventually(() => {
        const queries = run.sim.requestsFor('queryQueueInfo');
        const failed = queries.findIndex((r) => r.fault === 'status');
        return failed >= 0 && queries.slice(failed + 1).some((r) => r.status === 200);
      }, 'the queue watcher asks again after a failed queryQueueInfo'),
  },
  {
    name: 'queue.served',
    kind: 'env',
    eventType: 'queue.served',
    offer: (s) => (s.world.party === 'queued' ? {} : undefined),
    // The greeting must not reach the poll before the watcher reports: hold the poll.
    act: async (run) => {
      await run.holdPoll();
      run.sim.queue.serve(run.userId);
    },
    world: (w) => then('poll.messages:agent-greeting')({ ...w, party: 'agent' }),
  },
  {
    name: 'queue.ended (session released)',
    kind: 'env',
    eventType: 'queue.ended',
    offer: (s) => (s.world.party === 'queued' ? { resultCode: '160004' } : undefined),
    act: async (run) => {
      await run.holdPoll();
      run.sim.system.releaseSession(run.userId);
    },
    world: setParty('ended'),
  },
  poll(
    'poll.messages:offline-disconnect',
    'env',
    (s, key) => (s.world.party === 'queued' ? [disconnectMessage(key(0), 'SYSTEM', true)] : undefined),
    {
      arm: (run) => run.holdQueueWatcher(true),
      act: (run) => run.sim.system.disconnect(run.userId, { isOfflineStatus: true }),
      world: setParty('ended'),
    },
  ),
  poll(
    'poll.messages:served-and-ended',
    'env',
    (s, key) =>
      s.world.party === 'queued' && inState(s, QUEUING)
        ? [text(key(0), 'SYSTEM', SYSTEM_CONNECTED), text(key(1), 'AGENT', 'Hello, this is Alice.'), disconnectMessage(key(2), 'AGENT')]
        : undefined,
    {
      arm: (run) => run.holdQueueWatcher(true),
      act: (run) => {
        run.sim.queue.serve(run.userId);
        run.sim.agent.end(run.userId);
      },
      world: setParty('ended'),
    },
  ),
  // Served, then released by the server in the same batch (an agent greeting and the session's
  // timeout at once): the end wins over the greeting.
  poll(
    'poll.messages:served-and-released',
    'env',
    (s, key) =>
      s.world.party === 'queued' && inState(s, QUEUING)
        ? [text(key(0), 'SYSTEM', SYSTEM_CONNECTED), text(key(1), 'AGENT', 'Hello, this is Alice.'), disconnectMessage(key(2), 'SYSTEM')]
        : undefined,
    {
      arm: (run) => run.holdQueueWatcher(true),
      act: (run) => {
        run.sim.queue.serve(run.userId);
        run.sim.system.disconnect(run.userId);
      },
      world: setParty('ended'),
    },
  ),
  poll(
    'poll.messages:served',
    'env',
    (s, key) =>
      s.world.party === 'queued' && inState(s, QUEUING) ? [text(key(0), 'SYSTEM', SYSTEM_CONNECTED), text(key(1), 'AGENT', 'Hello, this is Alice.')] : undefined,
    {
      arm: (run) => run.holdQueueWatcher(true),
      act: (run) => run.sim.queue.serve(run.userId),
      world: setParty('agent'),
    },
  ),
  poll(
    'poll.messages:system-disconnect',
    'env',
    (s, key) =>
      ['robot', 'queued', 'agent'].includes(s.world.party) && inState(s, QUEUING, CHATTING) ? [disconnectMessage(key(0), 'SYSTEM')] : undefined,
    {
      arm: async (run, step) => {
        if (step.before.machine?.matches(QUEUING as never)) await run.holdQueueWatcher(true);
      },
      act: (run) => run.sim.system.disconnect(run.userId),
      world: setParty('ended'),
    },
  ),
  poll(
    'poll.messages:system-notice',
    'env',
    (s, key) =>
      s.world.party !== 'none' && s.machine.context.connection.pollFailures === 0 && inState(s, ...STABLE_CONNECTED)
        ? [text(key(0), 'SYSTEM', TEXT.systemNotice)]
        : undefined,
    { act: (run) => run.sim.system.say(run.userId, TEXT.systemNotice) },
  ),
  poll(
    'poll.messages:robot-says',
    'env',
    (s, key) => (s.world.party === 'robot' && inState(s, CHATTING) ? [robotText(key(0), TEXT.robot, '2')] : undefined),
    { act: (run) => run.sim.robot.say(run.userId, TEXT.robot) },
  ),
  poll(
    'poll.messages:robot-says (token rotated)',
    'env',
    (s, key) => (s.world.party === 'robot' && inState(s, CHATTING) ? [robotText(key(0), TEXT.robot, '2')] : undefined),
    {
      arm: (run) => run.sim.tokens.rotate(run.userId),
      act: (run) => run.sim.robot.say(run.userId, TEXT.robot),
      check: (run) => run.eventually(() => run.rotatedTokens.length > 0, 'the client took the rotated ccmessaging-token'),
    },
  ),
  poll(
    'poll.messages:agent-says',
    'env',
    (s, key) => (s.world.party === 'agent' && inState(s, CHATTING) ? [text(key(0), 'AGENT', TEXT.agent)] : undefined),
    { act: (run) => run.sim.agent.say(run.userId, TEXT.agent) },
  ),
  poll(
    'poll.messages:agent-says (token expired)',
    'env',
    (s, key) => (s.world.party === 'agent' && inState(s, CHATTING) ? [text(key(0), 'AGENT', TEXT.agent)] : undefined),
    {
      arm: (run) => run.sim.tokens.expire(run.userId),
      act: (run) => run.sim.agent.say(run.userId, TEXT.agent),
      check: (run) =>
        run.eventually(() => run.tokenRequests.includes('unauthorized'), 'the client re-applied for a token after the 401 and went on polling'),
    },
  ),
  poll(
    'poll.messages:agent-sends-file',
    'env',
    (s, key) => (s.world.party === 'agent' && inState(s, CHATTING) ? [agentImage(key(0))] : undefined),
    { act: (run) => void run.sim.agent.sendFile(run.userId, { bytes: SMALL_FILE, fileType: 'png' }) },
  ),
  poll(
    'poll.messages:agent-read',
    'env',
    (s, key) => {
      if (s.world.party !== 'agent' || !inState(s, CHATTING)) return undefined;
      // READ names customer messages by the wire timestamp they were sent with: String(timestamp).
      const sent = outgoingOf(s.machine).filter((e) => e.status === 'sent').map((e) => String(e.timestamp));
      const { content: _content, interIdx: _i, robotGender: _g, simQuestions: _q, queueFlag: _f, ...head } = text(key(0), 'AGENT', '');
      const read: ReadDownlink = { ...head, controlType: 'READ', messageIds: sent };
      return [read];
    },
    {
      act: (run) => run.sim.agent.read(run.userId),
      check: (run) =>
        run.eventually(
          () => outgoingOf(run.actor().getSnapshot()).filter((e) => e.status === 'sent').every((e) => e.read),
          'every sent message is marked read',
        ),
    },
  ),
  poll(
    'poll.messages:agent-ends',
    'env',
    (s, key) => (s.world.party === 'agent' && inState(s, CHATTING) ? [disconnectMessage(key(0), 'AGENT')] : undefined),
    { act: (run) => run.sim.agent.end(run.userId), world: setParty('ended') },
  ),
  poll(
    'poll.messages:redelivered',
    'env',
    (s) => {
      if (!inState(s, CHATTING) || s.world.lastBatch.length === 0) return undefined;
      const again = transcriptEntries(s.machine.context.transcript).flatMap((e) => (e.kind === 'incoming' && s.world.lastBatch.includes(e.key) ? [e.message as DownlinkMessage] : []));
      return again.length ? again : undefined;
    },
    {
      // The simulator re-delivers its last batch (same messageCodes) on the next poll.
      arm: (run) => fault(run, 'poll', { duplicateDelivery: true }),
      check: async (run) => {
        const answered = () => run.sim.requestsFor('poll').find((r) => r.fault === 'duplicate-delivery' && r.status === 200);
        await run.eventually(() => answered() !== undefined, 'the re-delivering poll answered');
        const response = answered()?.response as { downlinkMessages?: { messageCode: string }[] } | undefined;
        const codes = response?.downlinkMessages?.map((m) => m.messageCode) ?? [];
        expect(codes.length, 'the simulator re-delivered something').toBeGreaterThan(0);
        await processedPoll(run, (messages) => codes.every((c) => messages.some((m) => m.key === c)), 'the machine received the re-delivered batch');
        const keys = transcriptEntries(run.actor().getSnapshot().context.transcript).map((e) => e.key);
        for (const code of codes) expect(keys.filter((k) => k === code), `message ${code} is in the transcript once`).toHaveLength(1);
      },
    },
  ),
  poll('poll.messages:recovered', 'spontaneous', () => [], {
    // After failures, the first good poll is reported even when it brings nothing, so the
    // machine can show the connection as healthy again.
    check: (run) => expect(run.matched().context.connection, 'connection health is restored').toMatchObject({ pollFailures: 0, lastPollError: null }),
  }),
  {
    name: 'poll.error (one failed poll)',
    kind: 'env',
    eventType: 'poll.error',
    offer: (s) => (inState(s, QUEUING, CHATTING) && s.machine.context.connection.pollFailures === 0 ? { error: httpError('poll'), failures: 1 } : undefined),
    arm: (run) => fault(run, 'poll', { status: 500 }),
    world: then('poll.messages:recovered'),
    check: (run) => expect(run.matched().context.connection).toMatchObject({ pollFailures: 1, lastPollError: { kind: 'http', status: 500 } }),
  },
  {
    name: 'poll.error (network down)',
    kind: 'env',
    eventType: 'poll.error',
    offer: (s) => (inState(s, QUEUING, CHATTING) && s.machine.context.connection.pollFailures === 0 ? { error: networkError('poll'), failures: 1 } : undefined),
    arm: (run) => fault(run, 'poll', { reset: true }, 2),
    world: then('poll.failed'),
  },
  // Given up on the network: the machine still says DISCONNECT (best effort, disconnect.* next).
  { name: 'poll.failed', kind: 'spontaneous', eventType: 'poll.failed', offer: () => ({ error: networkError('poll') }) },
  lostAgentDisconnect('poll.error (agent DISCONNECT lost in transit)', () => {}, then('session.gone', 'session.lost')),
  // The same, and the catch-up's liveness question fails too (trace chaos-501-165): the polls
  // after it are answered, empty, and the question is asked again beside them until answered.
  lostAgentDisconnect(
    'poll.error (agent DISCONNECT lost, liveness unanswered)',
    // Twice: the queue watcher's last question may still arrive and take one.
    (run) => fault(run, 'queryQueueInfo', { status: 503 }, 2),
    then('session.gone', 'session.lost'),
  ),
  // The same, but every poll after the lost one hangs: the loss is never confirmed, and the
  // customer ends first (chat.end then reports the server's end: hasServerGone).
  lostAgentDisconnect('poll.error (agent DISCONNECT lost, unconfirmed)', (run) => run.sim.faults.next('poll', { delayMs: HOLD_MS }), then('session.gone')),
  {
    // The catch-up's liveness check: no such session (the DISCONNECT is awaited a little longer).
    name: 'session.gone',
    kind: 'spontaneous',
    eventType: 'session.gone',
    offer: (s) => ({ lost: disconnectMessage(`lost-disconnect:${s.world.seq}`, 'SYSTEM') }),
  },
  {
    // The catch-up found the session ended at the server and the next poll brought no DISCONNECT.
    name: 'session.lost',
    kind: 'spontaneous',
    eventType: 'session.lost',
    offer: (s) => ({ messages: [disconnectMessage(`lost-disconnect:${s.world.seq}`, 'SYSTEM')] }),
    check: (run) => expect(run.sim.requestsFor('getSatisfactionSurveyMode', run.userId), 'no survey for a session that is gone').toEqual([]),
  },
];

// ---------------------------------------------------------------------------------------------
// Chatting: outbox, files, transfer, suggestions, typing, receipts, downloads

function lastFailedText(m: MachineSnapshot): OutgoingEntry | undefined {
  return outgoingOf(m)
    .filter((e) => e.status === 'failed' && e.mediaType === 'TEXT')
    .at(-1);
}

function downloadableKey(m: MachineSnapshot): string | undefined {
  const c = m.context;
  return transcriptEntries(c.transcript)
    .filter((e) => e.kind === 'incoming' && e.message.controlType === 'CHAT' && 'file' in e.message.content && !c.downloads[e.key])
    .at(-1)?.key;
}

function uploadingWith(s: Active, outcomeName: 'ok' | 'rejected'): string | undefined {
  return outgoingOf(s.machine).find((e) => e.status === 'uploading' && s.world.uploads[e.localId] === outcomeName)?.localId;
}

function newLocalId(next: MachineSnapshot): string {
  const id = next.context.outbox.at(-1);
  if (!id) throw new Error('file.send enqueued nothing');
  return id;
}

const CHAT: Variant[] = [
  user('message.send (text)', 'message.send', (s) => (s.machine.context.outbox.length < 2 ? { text: TEXT.customer } : undefined), {
    whileTimerRuns: true,
  }),
  user('message.send (blank)', 'message.send', () => ({ text: TEXT.customerBlank })),
  sendMessageSent(
    'sendMessage.done',
    (s) => ({ output: { resultCode: '0', resultDesc: ResultDesc.chatAgent, localId: s.machine.context.outbox[0] ?? '' } }),
    {
      check: (run) =>
        run.eventually(() => {
          const sent = outgoingOf(run.actor().getSnapshot()).filter((e) => e.status === 'sent');
          const uplinks = sessionOf(run).transcript.filter((t) => t.direction === 'uplink');
          return sent.every((e) => uplinks.some((u) => u.content === e.content));
        }, 'every sent message reached the simulator'),
    },
  ),
  sendMessageFailed('sendMessage.error', () => httpError('send'), {
    arm: (run) => fault(run, 'send', { status: 500 }),
    check: (run) => {
      const head = run.previous().context.outbox[0];
      const failed = outgoingOf(run.matched()).find((e) => e.localId === head);
      expect(failed, 'the message on the wire failed').toMatchObject({ status: 'failed' });
      expect(failed?.error, 'HTTP 500 may have been processed: outcome unknown').toMatchObject({ outcomeUnknown: true });
    },
  }),
  sendMessageFailed(
    'sendMessage.error (refused: resent later)',
    () => httpError('send', 503),
    {
      offer: (s) =>
        // One refusal per message is enough to cover the resend path (keeps the graph small).
        s.world.inflight.includes('sendMessage') && (outgoingOf(s.machine).find((e) => e.localId === s.machine.context.outbox[0])?.resends ?? 0) === 0
          ? { localId: s.machine.context.outbox[0] ?? '', error: httpError('send', 503) }
          : undefined,
      arm: (run) => fault(run, 'send', { status: 503 }),
      check: (run) => {
        const head = outgoingOf(run.matched()).find((e) => e.localId === run.matched().context.outbox[0]);
        expect(head, 'the refused message stays first in the outbox, queued for a resend').toMatchObject({ status: 'queued', resends: 1, error: { status: 503 } });
      },
    },
  ),
  timer('sendRetryDelay', 'chatSession.connected.chatting.outbox.resending'),
  sendMessageFailed('sendMessage.error (session gone)', () => SESSION_GONE_CHAT, {
    // The robot session was lost at the server (its DISCONNECT never reached us): a CHAT is refused.
    arm: (run) => fault(run, 'send', { status: 200, body: { resultCode: '13', resultDesc: SESSION_GONE_CHAT.resultDesc } }),
    world: setParty('ended'),
    check: (run) => expect(run.sim.requestsFor('getSatisfactionSurveyMode', run.userId), 'no survey for a session that is gone').toEqual([]),
  }),
  user(
    'connection.offline',
    'connection.offline',
    (s) =>
      inState(s, CHATTING) && s.machine.context.connection.online && s.machine.context.connection.pageVisible && s.machine.context.outbox.length === 0 && s.machine.context.connection.pollFailures === 0
        ? {}
        : undefined,
    { check: (run) => expect(run.matched().context.connection.online).toBe(false) },
  ),
  // Offline while nothing polls: the machine records it and has no poll loop to tell (the
  // isPolling check in setConnectivity says no).
  user(
    'connection.offline (not connected)',
    'connection.offline',
    (s) => (inState(s, { 'leave-message': 'form' }) && s.machine.context.connection.online ? {} : undefined),
    {
      check: (run) => {
        expect(run.matched().context.connection.online).toBe(false);
        expect(run.matched().children, 'no poll loop to tell').not.toHaveProperty('pollLoop');
      },
    },
  ),
  user(
    'connection.online',
    'connection.online',
    (s) => (!s.machine.context.connection.online || inState(s, { connected: { chatting: { outbox: 'resending' } } }) ? {} : undefined),
    {
      whileTimerRuns: true,
      check: async (run, step) => {
        expect(run.matched().context.connection.online).toBe(true);
        // Back online, the poll loop polls again at once.
        if (step.before.machine && inState(step.before as Active, CHATTING)) {
          const polls = run.sim.requestsFor('poll', run.userId).length;
          await run.eventually(() => run.sim.requestsFor('poll', run.userId).length > polls || run.sim.requestsFor('poll', run.userId).some((r) => r.status === 0), 'the poll loop polls after coming back online');
        }
      },
    },
  ),
  user(
    'page.hidden',
    'page.hidden',
    (s) => (inState(s, CHATTING) && s.machine.context.connection.pageVisible && s.machine.context.connection.online && s.machine.context.outbox.length === 0 ? {} : undefined),
    { check: (run) => expect(run.matched().context.connection.pageVisible).toBe(false) },
  ),
  user('page.visible', 'page.visible', (s) => (!s.machine.context.connection.pageVisible ? {} : undefined), {
    check: (run) => expect(run.matched().context.connection.pageVisible).toBe(true),
  }),
  user('message.retry (failed message)', 'message.retry', (s) => {
    const failed = lastFailedText(s.machine);
    return failed ? { key: failed.key } : undefined;
  }, {
    act: (run) => {
      const failed = lastFailedText(run.actor().getSnapshot());
      if (!failed) throw new Error('the real session has no failed message to retry');
      run.send({ type: 'message.retry', key: failed.key });
    },
  }),
  user('message.retry (unknown key)', 'message.retry', () => ({ key: 'no-such-message' })),
  user(
    'event.rejected (send(null))',
    'event.rejected',
    (s) => (inState(s, CHATTING) ? { error: { name: 'ChatInputError', code: 'invalid-event', event: '', message: 'An event must be an object with a string type; got null.' } } : undefined),
    // What a host's bug really does: createChatSession's `send` turns it into event.rejected.
    { act: (run) => run.send(null as unknown as ChatSessionEvent) },
  ),

  user('file.send (image)', 'file.send', (s) => (s.machine.context.outbox.length < 2 ? { data: SMALL_FILE, fileType: 'png', name: 'screenshot.png' } : undefined), {
    world: (w, next) => ({ ...w, uploads: { ...w.uploads, [newLocalId(next)]: 'ok' } }),
  }),
  user('file.send (too large for the server)', 'file.send', (s) => (s.machine.context.outbox.length < 2 ? { data: LARGE_FILE, fileType: 'png', name: 'huge.png' } : undefined), {
    world: (w, next) => ({ ...w, uploads: { ...w.uploads, [newLocalId(next)]: 'rejected' } }),
  }),
  user('file.send (unsupported type)', 'file.send', () => ({ data: SMALL_FILE, fileType: 'exe', name: 'setup.exe' })),
  {
    // Not a settlement: the worker reports the bytes going out before the answer. The real run
    // reports a 16-byte file in one go (all of it); any other report of it passes as background.
    name: 'upload.progress',
    kind: 'outcome',
    eventType: 'upload.progress',
    offer: (s) => {
      const localId = uploadingWith(s, 'ok');
      const entry = outgoingOf(s.machine).find((e) => e.localId === localId);
      const size = entry?.file?.size;
      return localId && size !== undefined && entry?.progress?.loaded !== size ? { localId, loaded: size, total: size } : undefined;
    },
    check: (run) => {
      const uploading = outgoingOf(run.matched()).filter((e) => e.status === 'uploading' && e.progress && e.progress.loaded > 0);
      expect(uploading.map((e) => e.progress), 'the file shows its bytes sent').toEqual(uploading.map((e) => ({ loaded: e.file?.size, total: e.file?.size })));
      expect(uploading.length).toBeGreaterThan(0);
    },
  },
  {
    name: 'upload.done',
    kind: 'outcome',
    eventType: 'upload.done',
    settles: 'upload',
    offer: (s) => {
      const localId = uploadingWith(s, 'ok');
      return localId ? { localId, objectKey: 'model-object-key' } : undefined;
    },
    world: (w, _next, event) => {
      const uploads = { ...w.uploads };
      delete uploads[event.localId as string];
      return { ...w, uploads };
    },
  },
  {
    name: 'upload.failed (rejected by the server)',
    kind: 'outcome',
    eventType: 'upload.failed',
    settles: 'upload',
    offer: (s) => {
      const localId = uploadingWith(s, 'rejected');
      return localId ? { localId, error: UPLOAD_TOO_LARGE } : undefined;
    },
    world: (w, _next, event) => {
      const uploads = { ...w.uploads };
      delete uploads[event.localId as string];
      return { ...w, uploads };
    },
    check: (run) => {
      const failed = outgoingOf(run.matched()).filter((e) => e.file && e.status === 'failed');
      expect(failed.at(-1)?.error).toMatchObject({ kind: 'business', api: 'uploadFileStream', resultCode: '13' });
    },
  },

  user('agent.request', 'agent.request', (s) => (inState(s, CHATTING) ? {} : undefined)),
  outcome('requestAgent.done', 'requestAgent', true, () => ({ output: { resultCode: '0', resultDesc: 'success' } }), {
    arm: (run) => scenario(run, { agentsAvailable: true, workingHours: true, initialQueuePosition: 1 }),
    world: (w) => then('poll.messages:transfer-notice')({ ...w, party: 'queued' }),
  }),
  outcome('requestAgent.error (session gone)', 'requestAgent', false, () => ({ error: SESSION_GONE }), {
    // The server answers as for a robot session it no longer has (its DISCONNECT lost in transit).
    arm: (run) => fault(run, 'send', { status: 200, body: { resultCode: '13', resultDesc: SESSION_GONE.resultDesc } }),
  }),
  outcome('requestAgent.error (no agents)', 'requestAgent', false, () => ({ error: NO_AGENTS }), {
    arm: (run) => scenario(run, { agentsAvailable: false }),
  }),

  user('input.change (text)', 'input.change', (s) => (inState(s, CHATTING) ? { text: TEXT.draft } : undefined)),
  user('input.change (cleared)', 'input.change', (s) => (inState(s, CHATTING) ? { text: '' } : undefined)),
  timer('suggestionDebounce', 'chatSession.connected.chatting.suggestions.debouncing'),
  outcome('suggestPhrases.done', 'suggestPhrases', true, (s) => ({ output: { text: s.machine.context.compose.draft, phrases: ['How do I reset my password?', 'How do I change my password?'] } }), {
    offer: (s) =>
      s.world.inflight.includes('suggestPhrases') && s.world.channel === 'robot'
        ? { output: { text: s.machine.context.compose.draft, phrases: ['How do I reset my password?', 'How do I change my password?'] } }
        : undefined,
    check: (run) => expect(run.matched().context.compose.suggestions.every((q) => q.toLowerCase().includes(TEXT.draft))).toBe(true),
  }),
  outcome('suggestPhrases.error (no robot on the channel)', 'suggestPhrases', false, () => ({ error: NO_ROBOT }), {
    offer: (s) => (s.world.inflight.includes('suggestPhrases') && s.world.channel === 'agent' ? { error: NO_ROBOT } : undefined),
  }),
  outcome('sendTyping.done', 'sendTyping', true, () => ({ output: undefined }), {
    check: (run) =>
      run.eventually(
        () => run.sim.requestsFor('send').some((r) => (r.body as { controlType?: string })?.controlType === 'INPUT' && r.status === 200),
        'the simulator received the INPUT notice',
      ),
  }),
  outcome('sendTyping.error', 'sendTyping', false, () => ({ error: httpError('send') }), {
    arm: (run) => fault(run, 'send', { status: 500 }),
  }),
  timer('typingThrottle', 'chatSession.connected.chatting.typing.throttled'),

  user('messages.markRead', 'messages.markRead', () => ({})),
  // A host marks read whenever the chat gets focus: with nothing unread no READ goes out.
  user(
    'messages.markRead (nothing unread)',
    'messages.markRead',
    (s) => (inState(s, CHATTING) && s.machine.context.bookkeeping.unreadAgentKeys.length === 0 ? {} : undefined),
    { ignored: true },
  ),
  outcome('sendReadReceipt.done', 'sendReadReceipt', true, (s) => ({ output: { messageIds: s.machine.context.bookkeeping.unreadAgentKeys.slice() } }), {
    check: (run) => {
      const read = run.sim.requestsFor('send').filter((r) => (r.body as { controlType?: string })?.controlType === 'READ' && r.status === 200).at(-1);
      expect(read, 'the simulator received the READ uplink').toBeDefined();
      expect(JSON.parse((read?.body as { content: string }).content), 'READ names every unread agent message').toEqual(run.previous().context.bookkeeping.unreadAgentKeys);
      expect(run.matched().context.bookkeeping.unreadAgentKeys).toEqual([]);
    },
  }),
  outcome('sendReadReceipt.error', 'sendReadReceipt', false, () => ({ error: httpError('send') }), {
    arm: (run) => fault(run, 'send', { status: 500 }),
  }),

  user('file.download (received file)', 'file.download', (s) => {
    const key = downloadableKey(s.machine);
    return key ? { key } : undefined;
  }, {
    act: (run) => {
      const key = downloadableKey(run.actor().getSnapshot());
      if (!key) throw new Error('the real session has no file to download');
      run.send({ type: 'file.download', key });
    },
  }),
  user('file.download (unknown key)', 'file.download', (s) => (inState(s, QUEUING, CHATTING) ? { key: 'no-such-file' } : undefined)),
  {
    name: 'download.done',
    kind: 'outcome',
    eventType: 'download.done',
    settles: 'download',
    offer: (s) => {
      const key = Object.entries(s.machine.context.downloads).find(([, d]) => d.status === 'downloading')?.[0];
      return key ? { key, bytes: SMALL_FILE, fileType: 'png', fileUrl: null } : undefined;
    },
    check: (run) => {
      expect(run.downloaded.at(-1)?.bytes, 'file.downloaded carries the agent file bytes').toEqual(SMALL_FILE);
    },
  },
  {
    name: 'download.failed',
    kind: 'outcome',
    eventType: 'download.failed',
    settles: 'download',
    offer: (s) => {
      const key = Object.entries(s.machine.context.downloads).find(([, d]) => d.status === 'downloading')?.[0];
      return key ? { key, error: httpError('downloadFileStream') } : undefined;
    },
    arm: (run) => fault(run, 'downloadFileStream', { status: 500 }),
  },
];

// ---------------------------------------------------------------------------------------------
// Ending and surveys

const SURVEYS: Variant[] = [
  outcome('fetchSurveyMode.done (WEB)', 'fetchSurveyMode', true, () => ({ output: SURVEY_WEB }), {
    arm: (run) => scenario(run, { survey: 'WEB' }),
  }),
  outcome('fetchSurveyMode.done (NO)', 'fetchSurveyMode', true, () => ({ output: { surveyType: 'NO' } }), {
    arm: (run) => scenario(run, { survey: 'NO' }),
  }),
  outcome('fetchSurveyMode.error (HTTP 500)', 'fetchSurveyMode', false, () => ({ error: httpError('getSatisfactionSurveyMode') }), {
    arm: (run) => fault(run, 'getSatisfactionSurveyMode', { status: 500 }),
  }),
  outcome('fetchSurveyMode.error (refused 400)', 'fetchSurveyMode', false, () => ({ error: httpError('getSatisfactionSurveyMode', 400) }), {
    arm: (run) => fault(run, 'getSatisfactionSurveyMode', { status: 400 }),
    check: (run) => expect(run.matched().context.error, 'the UI sees why there is no survey').toMatchObject({ kind: 'http', status: 400 }),
  }),
  timer('surveyModeRetryDelay', 'chatSession.connected.ending.survey-mode-retry'),

  user('survey.submit (agent rating)', 'survey.submit', (s) =>
    inState(s, { connected: 'survey-agent' }) ? { evaluation: '5', comment: 'Great help', npsScore: 9, fcr: true } : undefined,
  ),
  user('survey.submit (unknown level)', 'survey.submit', (s) => (inState(s, { connected: 'survey-agent' }) ? { evaluation: '42' } : undefined)),
  outcome('submitAgentSurvey.done', 'submitAgentSurvey', true, () => ({ output: { resultCode: '0', resultDesc: ResultDesc.satisfactionSaved } }), {
    check: (run) => expect(sessionOf(run).satisfaction).toMatchObject({ evaluation: '5', comment: 'Great help', npsScore: '9', fcrValue: '1' }),
  }),
  outcome('submitAgentSurvey.error', 'submitAgentSurvey', false, () => ({ error: httpError('saveSatisfaction') }), {
    arm: (run) => fault(run, 'saveSatisfaction', { status: 500 }),
  }),

  user('survey.submit (robot: satisfied)', 'survey.submit', (s) => (inState(s, { connected: 'survey-robot' }) ? { satisfied: true } : undefined)),
  user('survey.submit (robot: unhappy, with comment)', 'survey.submit', (s) =>
    inState(s, { connected: 'survey-robot' }) ? { satisfied: false, comment: TEXT.comment } : undefined,
  ),
  user('survey.submit (robot: unhappy, no comment)', 'survey.submit', (s) => (inState(s, { connected: 'survey-robot' }) ? { satisfied: false } : undefined)),
  ...([true, false] as const).map((satisfied) =>
    outcome(`submitRobotFeedback.done (${satisfied ? 'satisfied' : 'unhappy'})`, 'submitRobotFeedback', true, () => ({}), {
      offer: (s) =>
        s.world.inflight.includes('submitRobotFeedback') && (s.machine.context.survey.answer as { satisfied?: boolean } | null)?.satisfied === satisfied
          ? { output: { resultCode: '0', resultDesc: 'success' } }
          : undefined,
      check: (run) => {
        const feedback = sessionOf(run).feedback;
        // The last interIdx the customer had seen when rating (the submit started the request).
        expect(feedback?.interIdx, 'feedback names the last interIdx').toBe(run.previous().context.bookkeeping.lastInterIdx);
        expect(feedback, 'the simulator stored the rating as given').toMatchObject(
          satisfied ? { feedback: 1 } : { feedback: 0, feedbackContent: TEXT.comment },
        );
      },
    }),
  ),
  outcome('submitRobotFeedback.error', 'submitRobotFeedback', false, () => ({ error: httpError('feedbackSatisfaction') }), {
    arm: (run) => fault(run, 'feedbackSatisfaction', { status: 500 }),
  }),
  user('survey.skip', 'survey.skip', () => ({})),
];

export const VARIANTS: readonly Variant[] = [...START, ...LIFECYCLE, ...CONNECTED, ...CHAT, ...SURVEYS];

// Names must be unique: they identify edges of the traversal and steps of a path.
{
  const seen = new Set<string>();
  for (const v of VARIANTS) {
    if (seen.has(v.name)) throw new Error(`duplicate variant name ${v.name}`);
    seen.add(v.name);
  }
}

