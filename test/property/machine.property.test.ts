/**
 * Property-based tests of the statechart (fast-check, pure `transition`): random sequences of
 * user events — valid and invalid payloads, in any state — interleaved with realistic actor
 * outcomes (answers to the request in flight, poll batches with duplicates, reordered and
 * unknown messages, worker reports, timers) never throw, never leave the machine in an error or
 * unknown state, and keep the transcript invariants:
 *
 * - keys are unique and the index finds every entry;
 * - incoming messages appear once, in the order of their first delivery;
 * - every text the machine accepted stays in the transcript; nothing outgoing disappears;
 * - a message shown `sent` never goes back to the wire (never resent after a success);
 * - the outbox only holds unsent outgoing messages, at most one is `sending`, and a message that
 *   failed with an unknown outcome is never put back on the wire without a `message.retry`;
 * - a refused payload changes neither the state nor the outbox;
 * - a finished session has a typed end reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type AnyStateNode, type SnapshotFrom } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { entryAt, transcriptEntries } from '../../machines/chatSession.transcript.js';
import { END_REASONS, type ChatSessionEvent, type ChatSessionInput, type OutgoingEntry } from '../../machines/chatSession.types.js';
import type { AiccErrorInfo } from '../../src/client/errors.js';
import type { DownlinkMessage } from '../../src/client/types.js';

type Snap = SnapshotFrom<typeof chatSessionMachine>;

const INPUT: ChatSessionInput = {
  identity: { userId: 'prop-user', userName: 'Prop', channelId: '1011577355744904195', locale: 'en_US' },
  isNeedRead: true,
  timing: { connectRetries: 2, sendRetries: 2, maxPollFailures: 3 },
};

/** Passed through within one macrostep (eventless), so never part of a resting snapshot. */
const TRANSIENT: ReadonlySet<string> = new Set(['chatSession.connected.ending.checking']);

/** Every state node id of the machine: a snapshot must never be anywhere else. */
const STATE_IDS: ReadonlySet<string> = new Set(
  (function all(node: AnyStateNode): string[] {
    return [node.id, ...Object.values(node.states).flatMap((child) => all(child as AnyStateNode))];
  })(chatSessionMachine.root),
);

// ---------------------------------------------------------------------------------------------
// Steps: what happens next, resolved against the current snapshot

const KEYS = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8'];

const errorArb = fc.oneof(
  fc.constant<AiccErrorInfo>({ name: 'AiccError', kind: 'network', api: 'send', message: 'refused', outcomeUnknown: false }),
  fc.constant<AiccErrorInfo>({ name: 'AiccError', kind: 'network', api: 'send', message: 'reset', outcomeUnknown: true }),
  fc.constant<AiccErrorInfo>({ name: 'AiccError', kind: 'timeout', api: 'send', message: 'timeout', outcomeUnknown: true }),
  fc.constant<AiccErrorInfo>({ name: 'AiccError', kind: 'aborted', api: 'send', message: 'aborted', outcomeUnknown: true }),
  fc.constantFrom(400, 401, 403, 404, 429, 500, 502, 503, 504).map<AiccErrorInfo>((status) => ({ name: 'AiccError', kind: 'http', api: 'send', status, message: `HTTP ${status}` })),
  fc.constantFrom('1', '12', '13', '160004').map<AiccErrorInfo>((resultCode) => ({ name: 'AiccError', kind: 'business', api: 'send', resultCode, message: `code ${resultCode}` })),
  fc.constant<AiccErrorInfo>({ name: 'AiccError', kind: 'protocol', api: 'send', message: 'bad JSON' }),
  fc.constant<AiccErrorInfo>({ name: 'AiccError', kind: 'validation', api: 'send', field: 'content', message: 'too long' }),
  // Not even an AiccError (a bug elsewhere): the machine must cope.
  fc.constant(new TypeError('x is undefined') as unknown as AiccErrorInfo),
);

const textArb = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }),
  fc.constantFrom('', '   ', '\n', 'x'.repeat(1025), '€'.repeat(342), '€'.repeat(341), 'hello'),
  fc.constantFrom(42 as unknown as string, null as unknown as string, undefined as unknown as string, {} as unknown as string),
);

function downlink(kind: number, key: string, timestamp: number): DownlinkMessage {
  const base = { key, messageCode: key, senderNickname: 'x', timestamp, callId: null, from: 'c', to: 'prop-user' };
  switch (kind % 7) {
    case 0:
      return { ...base, sourceType: 'AGENT', controlType: 'CHAT', content: { mediaType: 'TEXT', text: `a ${key}` }, interIdx: null, robotGender: null, simQuestions: null, queueFlag: false };
    case 1:
      return { ...base, sourceType: 'ROBOT', controlType: 'CHAT', content: { mediaType: 'TEXT', text: `r ${key}` }, interIdx: String(timestamp % 9), robotGender: null, simQuestions: null, queueFlag: false };
    case 2:
      return { ...base, sourceType: 'SYSTEM', controlType: 'CHAT', content: { mediaType: 'TEXT', text: 'Queuing...' }, interIdx: null, robotGender: null, simQuestions: null, queueFlag: true };
    case 3:
      return { ...base, sourceType: 'AGENT', controlType: 'CHAT', content: { mediaType: 'IMAGE', file: { fileId: key, fileType: 'jpg', multiMedia: true }, resourceId: key }, interIdx: null, robotGender: null, simQuestions: null, queueFlag: false };
    case 4:
      return { ...base, sourceType: 'AGENT', controlType: 'READ', messageIds: ['1', key] };
    case 5:
      return { ...base, sourceType: kind % 2 ? 'AGENT' : 'SYSTEM', controlType: 'DISCONNECT', isOfflineStatus: kind % 3 === 0 };
    default:
      return { ...base, sourceType: 'SYSTEM', controlType: 'UNKNOWN', rawControlType: 'WEIRD', content: null };
  }
}

type Step =
  | { kind: 'user'; pick: number; text: string; flag: boolean; n: number }
  | { kind: 'outcome'; ok: boolean; variant: number; error: AiccErrorInfo }
  | { kind: 'poll'; messages: { kind: number; key: number; ts: number }[] }
  | { kind: 'worker'; pick: number; error: AiccErrorInfo }
  | { kind: 'timer'; pick: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('user' as const), pick: fc.nat(40), text: textArb, flag: fc.boolean(), n: fc.integer({ min: -2, max: 12 }) }) },
  // Mostly successes, so runs get far into the chart; failures still one in four.
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('outcome' as const), ok: fc.nat(3).map((n) => n > 0), variant: fc.nat(5), error: errorArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('poll' as const),
      messages: fc.array(fc.record({ kind: fc.nat(20), key: fc.nat(KEYS.length - 1), ts: fc.nat(50) }), { maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('worker' as const), pick: fc.nat(12), error: errorArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('timer' as const), pick: fc.nat(5) }) },
);

function outgoing(s: Snap): OutgoingEntry[] {
  return transcriptEntries(s.context.transcript).filter((e): e is OutgoingEntry => e.kind === 'outgoing');
}

/**
 * The request in flight whose outcome a step settles: an invoked promise actor, or the CHAT the
 * sendMessage worker was told to send (while outbox.sending), answered as the worker does.
 */
const PROMISE_ACTORS = [
  'authenticate',
  'loadHistory',
  'connect',
  'requestAgent',
  'suggestPhrases',
  'sendTyping',
  'sendReadReceipt',
  'fetchSurveyMode',
  'submitAgentSurvey',
  'submitRobotFeedback',
  'disconnect',
  'leaveMessage',
];

function userEvent(step: Extract<Step, { kind: 'user' }>, s: Snap): Record<string, unknown> {
  const anyKey = transcriptEntries(s.context.transcript)[Math.abs(step.n) % Math.max(1, s.context.transcript.length)]?.key ?? 'none';
  const failed = outgoing(s).find((e) => e.status === 'failed')?.key ?? 'none';
  const events: Record<string, unknown>[] = [
    { type: 'message.send', text: step.text },
    { type: 'message.send', text: 'valid text' },
    { type: 'message.send' },
    { type: 'message.retry', key: step.flag ? failed : anyKey },
    { type: 'message.retry', key: step.text },
    { type: 'file.send', data: new Uint8Array([1, 2, 3]), fileType: step.flag ? 'png' : 'exe', name: step.text },
    { type: 'file.send', data: step.text, fileType: 'png' },
    { type: 'file.send', data: new Uint8Array(0), fileType: 'jpg' },
    { type: 'file.download', key: step.flag ? anyKey : step.text },
    { type: 'input.change', text: step.text },
    { type: 'agent.request' },
    { type: 'messages.markRead' },
    { type: 'chat.end' },
    { type: 'survey.submit', evaluation: step.flag ? '5' : step.text, comment: step.text, npsScore: step.n, fcr: step.flag },
    { type: 'survey.submit', satisfied: step.flag, comment: step.text },
    { type: 'survey.submit', satisfied: 'yes' },
    { type: 'survey.skip' },
    { type: 'leaveMessage.submit', caller: step.flag ? '+86 138 0000 0000' : step.text, message: step.text },
    { type: 'leaveMessage.skip' },
    { type: 'request.retry' },
    { type: 'session.resumed' },
    { type: 'connection.offline' },
    { type: 'connection.online' },
    { type: 'page.hidden' },
    { type: 'page.visible' },
    { type: 'nonsense.event', text: step.text },
    { type: 'outbox.flush' },
  ];
  return events[step.pick % events.length] as Record<string, unknown>;
}

function outcomeEvent(step: Extract<Step, { kind: 'outcome' }>, s: Snap): Record<string, unknown> | null {
  const inFlight = PROMISE_ACTORS.filter((id) => s.children[id as keyof typeof s.children]);
  if (s.matches({ connected: { chatting: { outbox: 'sending' } } })) inFlight.push('sendMessage');
  const id = inFlight[step.variant % Math.max(1, inFlight.length)];
  if (!id) return null;
  const head = s.context.outbox[0];
  if (id === 'sendMessage') {
    return step.ok
      ? { type: 'message.sent', output: { resultCode: '0', resultDesc: 'ok', localId: head ?? '' } }
      : { type: 'message.sendFailed', localId: head ?? '', error: step.error };
  }
  if (!step.ok) return { type: `xstate.error.actor.${id}`, error: step.error };
  const outputs: Record<string, unknown[]> = {
    authenticate: [undefined],
    loadHistory: [[], [{ id: '1', key: 'h1', messageCode: 'h1', sourceType: 'AGENT', controlType: 'CHAT', mediaType: 'TEXT', content: 'old', senderNickname: null, timestamp: 1, callId: null }]],
    connect: [{ resultCode: '0', resultDesc: 'connect to robot successfully.' }, { resultCode: '0', resultDesc: 'success' }, undefined],
    requestAgent: [{ resultCode: '0', resultDesc: 'success' }],
    suggestPhrases: [{ text: s.context.compose.draft, phrases: ['a', 'b'] }, { text: 'stale', phrases: ['c'] }, undefined],
    sendTyping: [undefined],
    sendReadReceipt: [{ messageIds: s.context.bookkeeping.unreadAgentKeys.slice() }],
    fetchSurveyMode: [{ surveyType: 'NO' }, { surveyType: 'WEB', levels: [{ key: '5', label: 'good' }], questions: ['NPS'] }, null],
    submitAgentSurvey: [{ resultCode: '0', resultDesc: 'ok' }],
    submitRobotFeedback: [{ resultCode: '0', resultDesc: 'ok' }],
    disconnect: [undefined, { messages: [downlink(0, 'late', 99)] }, { messages: 'garbage' }],
    leaveMessage: [{ resultCode: '0', resultDesc: 'ok' }],
  };
  const options = outputs[id] ?? [undefined];
  return { type: `xstate.done.actor.${id}`, output: options[step.variant % options.length] };
}

function workerEvent(step: Extract<Step, { kind: 'worker' }>, s: Snap): Record<string, unknown> {
  const uploading = outgoing(s).find((e) => e.status === 'uploading')?.localId ?? 'out-0';
  const downloading = Object.keys(s.context.downloads)[0] ?? 'none';
  const events: Record<string, unknown>[] = [
    { type: 'upload.ready' },
    { type: 'upload.progress', localId: uploading, loaded: step.pick % 4, total: outgoing(s).find((e) => e.localId === uploading)?.file?.size ?? 3 },
    { type: 'upload.progress', localId: uploading, loaded: step.error, total: -step.pick },
    { type: 'upload.done', localId: uploading, objectKey: 'obj-1' },
    { type: 'upload.failed', localId: uploading, error: step.error },
    { type: 'download.ready' },
    { type: 'download.done', key: downloading, bytes: new Uint8Array([1]), fileType: 'jpg', fileUrl: null },
    { type: 'download.failed', key: downloading, error: step.error },
    { type: 'poll.error', error: step.error, failures: (step.pick % 3) + 1 },
    { type: 'poll.failed', error: step.error },
    { type: 'queue.updated', info: { status: 'queuing', position: step.pick, totalWaitTime: 1, currentDeviceWaitTime: 1, configMaxWaitTime: 60, longestWaitTime: 1, estimateWaitTime: 1 } },
    { type: 'queue.served' },
    { type: 'queue.ended', resultCode: '160004' },
  ];
  return events[step.pick % events.length] as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// The run

interface Trace {
  /** Incoming keys in the order of first delivery while the machine merged batches. */
  delivered: string[];
  /** Texts the machine accepted from message.send. */
  accepted: string[];
  /** localIds ever shown `sent`. */
  sent: Set<string>;
  /** localIds whose last failure had an unknown outcome, not retried since. */
  unknown: Set<string>;
  /** Delayed events pending (type → due order). */
  timers: string[];
}

/** State nodes the random runs reached (the exploration must cover the chart, not stall at auth). */
const visited = new Set<string>();
let eventsTried = 0;
let refusedPayloads = 0;

function check(prev: Snap, next: Snap, event: Record<string, unknown>, trace: Trace): void {
  eventsTried += 1;
  for (const node of next._nodes) visited.add(node.id);
  expect(next.status, `status after ${String(event.type)}`).not.toBe('error');
  for (const node of next._nodes) expect(STATE_IDS.has(node.id), `unknown state node ${node.id}`).toBe(true);
  const c = next.context;

  // Keys unique; the index finds each entry.
  const keys = transcriptEntries(c.transcript).map((e) => e.key);
  expect(new Set(keys).size, 'transcript keys are unique').toBe(keys.length);
  for (const entry of transcriptEntries(c.transcript)) expect(entryAt(c, entry.key)).toBe(entry);

  // Incoming: once each, in first-delivery order.
  const incoming = transcriptEntries(c.transcript).filter((e) => e.kind === 'incoming').map((e) => e.key);
  expect(incoming, 'incoming messages in first-delivery order').toEqual(trace.delivered);

  // Outgoing: never lost, sent stays sent, unknown never silently back on the wire.
  const out = outgoing(next);
  const before = outgoing(prev);
  expect(out.length, 'outgoing entries never disappear').toBeGreaterThanOrEqual(before.length);
  for (const text of trace.accepted) expect(out.some((e) => e.text === text), `accepted text "${text}" is in the transcript`).toBe(true);
  for (const e of out) {
    if (trace.sent.has(e.localId)) expect(e.status, `${e.localId} was sent and must stay sent`).toBe('sent');
    if (trace.unknown.has(e.localId) && event.type !== 'message.retry') {
      expect(['failed'], `${e.localId} had an unknown outcome: only message.retry may requeue it`).toContain(e.status);
    }
    expect(['uploading', 'queued', 'sending', 'sent', 'failed']).toContain(e.status);
    // Upload progress: whole bytes within the file while uploading, none otherwise.
    if (e.status === 'uploading' && e.progress) {
      expect(Number.isSafeInteger(e.progress.loaded) && e.progress.loaded >= 0 && e.progress.loaded <= e.progress.total).toBe(true);
      expect(e.progress.total).toBe(e.file?.size);
    } else expect(e.progress ?? null, `${e.localId} (${e.status}) has no upload progress`).toBeNull();
  }
  const sending = out.filter((e) => e.status === 'sending');
  expect(sending.length, 'at most one message on the wire').toBeLessThanOrEqual(1);
  for (const id of c.outbox) {
    const entry = out.find((e) => e.localId === id);
    expect(entry && ['uploading', 'queued', 'sending'].includes(entry.status), `outbox id ${id} is an unsent message`).toBe(true);
  }
  if (next.status === 'done') expect(END_REASONS as readonly string[]).toContain(next.output?.endReason);
}

function apply(s: Snap, event: Record<string, unknown>, trace: Trace): Snap {
  const wasConnected = s.matches('connected');
  const accepts = event.type === 'message.send' && s.can(event as ChatSessionEvent);
  const outBefore = outgoing(s).length;
  let next: Snap;
  let actions: { type: string; params?: unknown }[];
  try {
    [next, actions] = transition(chatSessionMachine, s, event as ChatSessionEvent) as [Snap, { type: string; params?: unknown }[]];
  } catch (error) {
    throw new Error(`transition threw on ${JSON.stringify(event)} in ${JSON.stringify(s.value)}: ${String(error)}`);
  }
  // Reference bookkeeping.
  if (event.type === 'poll.messages' && wasConnected) {
    for (const m of event.messages as DownlinkMessage[]) {
      if (m.controlType !== 'READ' && !trace.delivered.includes(m.key)) trace.delivered.push(m.key);
    }
  }
  if (event.type === 'xstate.done.actor.disconnect') {
    const messages = (event.output as { messages?: unknown } | undefined)?.messages;
    if (Array.isArray(messages)) for (const m of messages as DownlinkMessage[]) if (!trace.delivered.includes(m.key)) trace.delivered.push(m.key);
  }
  if (accepts && outgoing(next).length === outBefore + 1) trace.accepted.push(String(event.text));
  for (const e of outgoing(next)) {
    if (e.status === 'sent') trace.sent.add(e.localId);
    const unknown = e.status === 'failed' && (e.error as { outcomeUnknown?: boolean } | null)?.outcomeUnknown === true;
    if (unknown) trace.unknown.add(e.localId);
    else if (e.status !== 'failed') trace.unknown.delete(e.localId);
  }
  // A refused payload changes neither the state nor the outbox.
  if (next.context.error?.name === 'ChatInputError' && next.context.error !== s.context.error) {
    refusedPayloads += 1;
    expect(JSON.stringify(next.value), `refused ${String(event.type)} changed the state`).toBe(JSON.stringify(s.value));
    expect(next.context.outbox).toEqual(s.context.outbox);
  }
  // A send that failed after it may have reached the server is shown failed with an unknown
  // outcome and leaves the queue; one that certainly did not arrive (refused, 429, 503) stays
  // first and is resent (until the resends run out); one the server refused is failed.
  if (event.type === 'message.sendFailed') {
    const head = outgoing(s).find((e) => e.localId === s.context.outbox[0]);
    const after = head && outgoing(next).find((e) => e.localId === head.localId);
    const error = event.error as Partial<AiccErrorInfo>;
    const status = error.status ?? 0;
    const unknown =
      error.outcomeUnknown === true ||
      (error.kind === 'network' && error.outcomeUnknown !== false) ||
      error.kind === 'timeout' ||
      error.kind === 'aborted' ||
      error.kind === 'protocol' ||
      (error.kind === 'http' && status >= 500 && status !== 503);
    const refused = !unknown && ((error.kind === 'network' && error.outcomeUnknown === false) || (error.kind === 'http' && [401, 403, 429, 503].includes(status)));
    if (head && after && head.status === 'sending') {
      if (unknown || head.maybeDelivered) {
        expect(after.status, 'an unknown outcome is surfaced, not resent').toBe('failed');
        expect((after.error as { outcomeUnknown?: boolean } | null)?.outcomeUnknown, 'flagged outcomeUnknown').toBe(true);
      } else if (refused && (head.resends ?? 0) < (s.context.config.timing.sendRetries ?? 0)) {
        expect(after.status, 'a refused send stays queued for a resend').toBe('queued');
        expect(next.context.outbox[0], 'and keeps its place').toBe(head.localId);
      } else {
        expect(after.status, 'a refused or impossible send is failed').toBe('failed');
      }
    }
  }
  for (const action of actions) {
    const p = action.params as { delay?: number; event?: { type: string } } | undefined;
    if (action.type === 'xstate.raise' && typeof p?.delay === 'number' && p.event) trace.timers.push(p.event.type);
  }
  check(s, next, event, trace);
  return next;
}

function run(steps: Step[], input: ChatSessionInput = INPUT): Snap {
  let [s] = initialTransition(chatSessionMachine, input) as [Snap, unknown];
  const trace: Trace = { delivered: [], accepted: [], sent: new Set(), unknown: new Set(), timers: [] };
  let clock = 0;
  for (const step of steps) {
    if (s.status !== 'active') break;
    let event: Record<string, unknown> | null = null;
    switch (step.kind) {
      case 'user':
        event = userEvent(step, s);
        break;
      case 'outcome':
        event = outcomeEvent(step, s);
        break;
      case 'poll':
        event = {
          type: 'poll.messages',
          messages: step.messages.map((m) => downlink(m.kind, KEYS[m.key] as string, 1_700_000_000_000 + (clock += 1) + m.ts)),
        };
        break;
      case 'worker':
        event = workerEvent(step, s);
        break;
      case 'timer':
        event = trace.timers.length > 0 ? { type: trace.timers.splice(step.pick % trace.timers.length, 1)[0] } : null;
        break;
    }
    if (event) s = apply(s, event, trace);
  }
  return s;
}

describe('chat-session statechart, random event sequences (fast-check)', () => {
  it('never throws, never errors, keeps the transcript and outbox invariants', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 80 }), (steps) => {
        run(steps);
      }),
      { numRuns: 400, seed: 20260501 },
    );
  });

  it('the same from a connected start (more of the chat explored)', () => {
    const connect: Step[] = [
      { kind: 'outcome', ok: true, variant: 0, error: {} as AiccErrorInfo },
      { kind: 'outcome', ok: true, variant: 0, error: {} as AiccErrorInfo },
    ];
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 80 }), (steps) => {
        run([...connect, ...steps]);
      }),
      { numRuns: 400, seed: 20260502 },
    );
  });

  it('the same from a survey (agent and robot)', () => {
    const ok = (variant: number): Step => ({ kind: 'outcome', ok: true, variant, error: {} as AiccErrorInfo });
    const user = (pick: number): Step => ({ kind: 'user', pick, text: 'fine', flag: true, n: 9 });
    const agent: Step[] = [ok(0), ok(1), { kind: 'poll', messages: [{ kind: 0, key: 0, ts: 1 }] }, user(12), ok(1)];
    const robot: Step[] = [ok(0), ok(0), { kind: 'poll', messages: [{ kind: 1, key: 1, ts: 1 }] }, user(12), ok(1)];
    fc.assert(
      fc.property(fc.boolean(), fc.array(stepArb, { minLength: 1, maxLength: 30 }), (isAgent, steps) => {
        const end = run([...(isAgent ? agent : robot), ...steps]);
        void end;
      }),
      { numRuns: 200, seed: 20260504 },
    );
  });

  it('the same with history and sendAsync (other start-up branches)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        run(steps, { ...INPUT, loadHistory: true, connectVia: 'sendAsync' });
      }),
      { numRuns: 200, seed: 20260503 },
    );
  });
  it('explored every state node of the chart', () => {
    const missing = [...STATE_IDS].filter((id) => !visited.has(id) && !TRANSIENT.has(id));
    expect(missing.join(' '), `state nodes no random run reached (${eventsTried} events, ${refusedPayloads} refused payloads)`).toBe('');
    expect(refusedPayloads).toBeGreaterThan(100);
    if (process.env['PROPERTY_STATS']) console.log(`machine properties: ${eventsTried} events, ${refusedPayloads} refused payloads, ${visited.size} state nodes`);
  });

});
