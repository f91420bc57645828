/**
 * Pure transitions: `initialTransition` / `transition` compute the next snapshot without
 * running any actor, so actor results are fed in as `xstate.done.actor.*` / `xstate.error.actor.*`.
 */
import { describe, expect, it } from 'vitest';
import { initialTransition, transition, type SnapshotFrom } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import type { ChatSessionEvent, ChatSessionInput } from '../../machines/chatSession.types.js';
import { entryAt, transcriptEntries } from '../../machines/chatSession.transcript.js';
import { AiccError } from '../../src/client/errors.js';
import {
  agentSurvey,
  agentText,
  businessError,
  disconnect,
  done,
  failed,
  input,
  networkError,
  ok,
  polled,
  robotText,
  sendFailed,
  sent,
  systemText,
} from './helpers.js';

type Snap = SnapshotFrom<typeof chatSessionMachine>;

function start(over: Partial<ChatSessionInput> = {}): Snap {
  return initialTransition(chatSessionMachine, { ...input, ...over })[0];
}

function run(snapshot: Snap, ...events: ChatSessionEvent[]): Snap {
  return events.reduce((s, e) => transition(chatSessionMachine, s, e)[0], snapshot);
}

const robotConnect = done('connect', ok('connect to robot successfully.'));
const agentConnect = done('connect', ok('success'));

/** A session chatting with the robot (robot greeting with interIdx 3 received). */
function chattingWithRobot(): Snap {
  return run(start(), done('authenticate'), robotConnect, polled(robotText('r1', 'Welcome', '3')));
}

/** A session chatting with an agent (queued first, then served). */
function chattingWithAgent(): Snap {
  return run(start(), done('authenticate'), agentConnect, polled(systemText('s1')), polled(agentText('a1')));
}

const stateOf = (s: Snap) => JSON.stringify(s.value);

describe('start-up', () => {
  it('authenticates first', () => {
    expect(start().value).toBe('auth');
    expect(start().children.authenticate).toBeDefined();
  });

  it('loads history only when asked', () => {
    expect(run(start(), done('authenticate')).value).toBe('connecting');
    const withHistory = run(start({ loadHistory: true }), done('authenticate'));
    expect(withHistory.value).toBe('history');
    const merged = run(withHistory, done('loadHistory', [{ id: 'h1', key: 'h1', messageCode: 'h1', sourceType: 'CUSTOMER', controlType: 'CHAT', mediaType: 'TEXT', content: 'old', senderNickname: null, timestamp: 1, callId: null }]));
    expect(merged.value).toBe('connecting');
    expect(transcriptEntries(merged.context.transcript).map((e) => e.kind)).toEqual(['history']);
  });

  it('goes on connecting when history fails, keeping the error', () => {
    const s = run(start({ loadHistory: true }), done('authenticate'), failed('loadHistory', networkError()));
    expect(s.value).toBe('connecting');
    expect(s.context.error).toMatchObject({ kind: 'network' });
  });

  it('ends with auth-failed when no token can be had', () => {
    const s = run(start(), failed('authenticate', new AiccError({ kind: 'http', api: 'applyToken', status: 401, message: 'no' })));
    expect(s.status).toBe('done');
    expect(s.output).toMatchObject({ endReason: 'auth-failed', error: { status: 401 } });
  });

  it('a transient token failure (5xx, 429, no answer, flow control) waits in auth-retry, then tries again', () => {
    const flowControl = new AiccError({ kind: 'business', api: 'applyToken', resultCode: '10010000002', message: 'limited' });
    for (const error of [new AiccError({ kind: 'http', api: 'tokenByAkSk', status: 503, message: 'x' }), networkError(), flowControl]) {
      const s = run(start(), failed('authenticate', error));
      expect(s.value).toBe('auth-retry');
      expect(s.context.error).toMatchObject({ kind: error.kind });
      expect(s.context.bookkeeping.authAttempts).toBe(1);
      const again = run(s, { type: 'request.retry' });
      expect(again.value).toBe('auth');
      const through = run(again, done('authenticate'));
      expect(through.value).toBe('connecting');
      expect(through.context.error).toBeNull();
      expect(through.context.bookkeeping.authAttempts).toBe(0);
    }
    expect(run(start(), failed('authenticate', networkError()), { type: 'chat.end' }).output?.endReason).toBe('customer-ended');
  });
});

describe('connecting: robot vs agent routing', () => {
  it('a robot answer goes straight to chatting, served by the robot', () => {
    const s = run(start(), done('authenticate'), robotConnect);
    expect(s.matches({ connected: 'chatting' })).toBe(true);
    expect(s.context.servedBy).toBe('robot');
    // The file workers start with a transfer (docs/performance.md, heap); the sendMessage worker runs while chatting.
    expect(Object.keys(s.children).sort()).toEqual(['pollLoop', 'sendMessage']);
  });

  it('any other answer queues', () => {
    const s = run(start(), done('authenticate'), agentConnect);
    expect(s.matches({ connected: 'queuing' })).toBe(true);
    expect(s.context.servedBy).toBeNull();
    expect(s.children.watchQueue).toBeDefined();
  });

  it('a sendAsync acceptance queues until a robot or agent speaks', () => {
    const s = run(start({ connectVia: 'sendAsync' }), done('authenticate'), done('connect', ok('send sendMessageForOpenApiAsync success.')));
    expect(s.matches({ connected: 'queuing' })).toBe(true);
    const robot = run(s, polled(robotText('r1')));
    expect(robot.matches({ connected: 'chatting' })).toBe(true);
    expect(robot.context.servedBy).toBe('robot');
  });

  it('queue.served, or the first AGENT message, means served by an agent', () => {
    const queued = run(start(), done('authenticate'), agentConnect);
    const served = run(queued, { type: 'queue.served' });
    expect(served.matches({ connected: 'chatting' })).toBe(true);
    expect(served.context.servedBy).toBe('agent');
    expect(served.context.queue).toBeNull();
    const byMessage = run(queued, polled(systemText('s1')), polled(agentText('a1')));
    expect(byMessage.matches({ connected: 'chatting' })).toBe(true);
    expect(byMessage.context).toMatchObject({ servedBy: 'agent', agentNickname: 'Agent Smith' });
  });

  it('SYSTEM messages and queue updates keep it queuing', () => {
    const s = run(
      start(),
      done('authenticate'),
      agentConnect,
      polled(systemText('s1')),
      { type: 'queue.updated', info: { status: 'queuing', position: 2, totalWaitTime: 3, currentDeviceWaitTime: 3, configMaxWaitTime: 60, longestWaitTime: 4, estimateWaitTime: 30 } },
    );
    expect(s.matches({ connected: 'queuing' })).toBe(true);
    expect(s.context.queue).toMatchObject({ status: 'queuing', position: 2 });
  });
});

describe('connecting: failures', () => {
  const connecting = () => run(start(), done('authenticate'));

  it('after hours (12) → leave-message, reason after-hours', () => {
    const s = run(connecting(), failed('connect', businessError('12', 'The current time is not within the working time of the service agents')));
    expect(s.matches({ 'leave-message': 'form' })).toBe(true);
    expect(s.context.endReason).toBe('after-hours');
    expect(s.context.error).toMatchObject({ kind: 'business', resultCode: '12' });
  });

  it('13 and CCUCS codes → leave-message, reason connect-failed', () => {
    for (const code of ['13', '160003', '20139']) {
      const s = run(connecting(), failed('connect', businessError(code)));
      expect(s.matches('leave-message')).toBe(true);
      expect(s.context.endReason).toBe('connect-failed');
    }
  });

  it('network errors → connect-retry, then give up → connect-failed', () => {
    let s = run(connecting(), failed('connect', networkError()));
    expect(s.value).toBe('connect-retry');
    expect(s.context.bookkeeping.connectAttempts).toBe(1);
    s = run(s, { type: 'request.retry' }, failed('connect', networkError()));
    expect(s.value).toBe('connect-retry');
    s = run(s, { type: 'request.retry' }, failed('connect', networkError())); // connectRetries = 2
    // The last CONNECT may have opened a session after all: DISCONNECT closes it.
    expect(s.value).toBe('disconnecting');
    s = run(s, done('disconnect'));
    expect(s.status).toBe('done');
    expect(s.output?.endReason).toBe('connect-failed');
  });

  it('a validation error is not retried', () => {
    const s = run(connecting(), failed('connect', new AiccError({ kind: 'validation', api: 'send', field: 'from', message: 'too long' })), done('disconnect'));
    expect(s.status).toBe('done');
    expect(s.output).toMatchObject({ endReason: 'connect-failed', error: { kind: 'validation' } });
  });

  it('resets the attempt counter once connected', () => {
    const s = run(connecting(), failed('connect', networkError()), { type: 'request.retry' }, agentConnect);
    expect(s.context.bookkeeping.connectAttempts).toBe(0);
    expect(s.context.error).toBeNull();
  });
});

describe('leave-message', () => {
  const form = () => run(start(), done('authenticate'), failed('connect', businessError('12')));

  it('rejects bad input with a typed error and stays in the form', () => {
    const s = run(form(), { type: 'leaveMessage.submit', caller: '', message: 'hi' });
    expect(s.matches({ 'leave-message': 'form' })).toBe(true);
    expect(s.context.error).toMatchObject({ name: 'ChatInputError', code: 'invalid-caller' });
  });

  it('submits, then ends with message-left', () => {
    let s = run(form(), { type: 'leaveMessage.submit', caller: '13866667777', message: 'call me back' });
    expect(s.matches({ 'leave-message': 'submitting' })).toBe(true);
    expect(s.context.leaveMessage).toEqual({ caller: '13866667777', message: 'call me back' });
    s = run(s, done('leaveMessage', ok('Save leaveMessage success!')));
    expect(s.status).toBe('done');
    expect(s.output).toMatchObject({ endReason: 'message-left', error: null });
    expect(s.context.leaveMessage).toBeNull();
  });

  it('a failed submit goes back to the form with the error', () => {
    const s = run(form(), { type: 'leaveMessage.submit', caller: '13866667777', message: 'x' }, failed('leaveMessage', businessError('13')));
    expect(s.matches({ 'leave-message': 'form' })).toBe(true);
    expect(s.context.error).toMatchObject({ resultCode: '13' });
  });

  it('skip or chat.end keeps the reason it came with', () => {
    expect(run(form(), { type: 'leaveMessage.skip' }).output?.endReason).toBe('after-hours');
    const ccucs = run(start(), done('authenticate'), failed('connect', businessError('13')), { type: 'chat.end' });
    expect(ccucs.output?.endReason).toBe('connect-failed');
  });

  it('a queue timeout that allows offline messages leads here too', () => {
    const s = run(start(), done('authenticate'), agentConnect, polled(disconnect('SYSTEM', 'd1', true)));
    expect(s.matches('leave-message')).toBe(true);
    expect(s.context.serverDisconnect).toEqual({ sourceType: 'SYSTEM', isOfflineStatus: true });
    expect(run(s, { type: 'leaveMessage.skip' }).output?.endReason).toBe('session-released');
  });
});

describe('ending and end reasons', () => {
  it('customer ends a robot chat: survey mode asked, NO survey → disconnecting → customer-ended', () => {
    let s = run(chattingWithRobot(), { type: 'chat.end' });
    expect(s.matches({ connected: { ending: 'fetching-survey' } })).toBe(true);
    s = run(s, done('fetchSurveyMode', { surveyType: 'NO' }));
    expect(s.value).toBe('disconnecting');
    s = run(s, done('disconnect'));
    expect(s.output).toMatchObject({ endReason: 'customer-ended', servedBy: 'robot', surveySubmitted: false });
  });

  it('agent DISCONNECT → agent-ended; SYSTEM DISCONNECT → session-released', () => {
    const agentEnded = run(chattingWithAgent(), polled(agentText('a2', 'bye'), disconnect('AGENT', 'd1')));
    expect(agentEnded.matches({ connected: 'ending' })).toBe(true);
    expect(agentEnded.context.endReason).toBe('agent-ended');
    expect(entryAt(agentEnded.context, 'a2')).toBeDefined();
    const released = run(chattingWithAgent(), polled(disconnect('SYSTEM', 'd1', false)));
    expect(released.context.endReason).toBe('session-released');
    expect(released.context.serverDisconnect).toEqual({ sourceType: 'SYSTEM', isOfflineStatus: false });
  });

  it('never served: no survey call, straight to disconnecting', () => {
    const s = run(start(), done('authenticate'), agentConnect, { type: 'chat.end' });
    expect(s.value).toBe('disconnecting');
    expect(s.children.fetchSurveyMode).toBeUndefined();
    expect(run(s, failed('disconnect', networkError())).output?.endReason).toBe('customer-ended');
  });

  it('queue.ended → session-released', () => {
    const s = run(start(), done('authenticate'), agentConnect, { type: 'queue.ended', resultCode: '5' });
    expect(s.value).toBe('disconnecting');
    expect(s.context.endReason).toBe('session-released');
  });

  it('poll.failed → network-lost, with a best-effort DISCONNECT (no ghost session for the agent)', () => {
    const s = run(chattingWithAgent(), { type: 'poll.failed', error: networkError('poll').toJSON() });
    expect(s.value).toBe('disconnecting');
    expect(s.children.disconnect).toBeDefined();
    const ended = run(s, failed('disconnect', networkError()));
    expect(ended.output).toMatchObject({ endReason: 'network-lost', error: { api: 'poll' } });
  });

  it('chat.end while connecting still sends DISCONNECT; before that it just ends', () => {
    expect(run(start(), done('authenticate'), { type: 'chat.end' }).value).toBe('disconnecting');
    expect(run(start(), { type: 'chat.end' }).output?.endReason).toBe('customer-ended');
    const retrying = run(start(), done('authenticate'), failed('connect', networkError()), { type: 'chat.end' });
    expect(retrying.value).toBe('disconnecting');
    expect(run(retrying, done('disconnect')).output?.endReason).toBe('customer-ended');
  });

  it('a survey-mode refusal is shown, not skipped silently: the UI retries or skips', () => {
    const refused = run(chattingWithAgent(), { type: 'chat.end' }, failed('fetchSurveyMode', businessError('13')));
    expect(refused.value).toEqual({ connected: { ending: 'survey-unavailable' } });
    expect(refused.context.error).toMatchObject({ kind: 'business', resultCode: '13' });
    expect(run(refused, { type: 'survey.skip' }).value).toBe('disconnecting');
    expect(run(refused, { type: 'request.retry' }).value).toEqual({ connected: { ending: 'fetching-survey' } });
  });

  it('a transient survey-mode failure is retried after a backoff, then handed to the UI', () => {
    let s = run(chattingWithAgent(), { type: 'chat.end' }, failed('fetchSurveyMode', networkError('send')));
    expect(s.value).toEqual({ connected: { ending: 'survey-mode-retry' } });
    expect(s.context.bookkeeping.surveyModeAttempts).toBe(1);
    s = run(s, { type: 'request.retry' }, done('fetchSurveyMode', agentSurvey));
    expect(s.value).toEqual({ connected: { 'survey-agent': 'form' } });
    expect(s.context.error).toBeNull();
  });
});

describe('surveys', () => {
  it('WEB + agent → survey-agent; submit → saveSatisfaction → disconnecting', () => {
    let s = run(chattingWithAgent(), { type: 'chat.end' }, done('fetchSurveyMode', agentSurvey));
    expect(s.matches({ connected: { 'survey-agent': 'form' } })).toBe(true);
    expect(s.context.survey.offer).toMatchObject({ target: 'agent', questions: ['NPS', 'FCR'] });
    const bad = run(s, { type: 'survey.submit', evaluation: '3' });
    expect(bad.value).toEqual(s.value);
    expect(bad.context.error).toMatchObject({ code: 'invalid-rating' });
    s = run(s, { type: 'survey.submit', evaluation: '5', comment: 'great', npsScore: 9, fcr: true });
    expect(s.matches({ connected: { 'survey-agent': 'submitting' } })).toBe(true);
    expect(s.context.survey.answer).toEqual({ evaluation: '5', comment: 'great', npsScore: 9, fcr: true });
    s = run(s, done('submitAgentSurvey', ok('Save satisfaction success!')));
    expect(s.value).toBe('disconnecting');
    s = run(s, done('disconnect'));
    expect(s.output).toMatchObject({ endReason: 'customer-ended', surveySubmitted: true, servedBy: 'agent' });
  });

  it('a failed survey submit returns to the form; skip moves on', () => {
    let s = run(chattingWithAgent(), { type: 'chat.end' }, done('fetchSurveyMode', agentSurvey));
    s = run(s, { type: 'survey.submit', evaluation: '1' }, failed('submitAgentSurvey', businessError('13', 'The callIdString obtained failed!')));
    expect(s.matches({ connected: { 'survey-agent': 'form' } })).toBe(true);
    expect(s.context.error).toMatchObject({ resultCode: '13' });
    expect(run(s, { type: 'survey.skip' }).value).toBe('disconnecting');
  });

  it('WEB + robot with an interIdx → survey-robot → feedbacksatisfaction', () => {
    let s = run(chattingWithRobot(), { type: 'chat.end' }, done('fetchSurveyMode', agentSurvey));
    expect(s.matches({ connected: { 'survey-robot': 'form' } })).toBe(true);
    expect(run(s, { type: 'survey.submit', satisfied: false }).context.error).toMatchObject({ code: 'comment-required' });
    expect(run(s, { type: 'survey.submit', evaluation: '5' }).context.error).toMatchObject({ code: 'invalid-rating' });
    s = run(s, { type: 'survey.submit', satisfied: false, comment: 'did not help' });
    expect(s.matches({ connected: { 'survey-robot': 'submitting' } })).toBe(true);
    expect(s.children.submitRobotFeedback).toBeDefined();
    s = run(s, done('submitRobotFeedback', ok()));
    expect(s.value).toBe('disconnecting');
    expect(s.context.survey.submitted).toBe(true);
  });

  it('robot without an interIdx → no survey', () => {
    const s = run(start(), done('authenticate'), robotConnect, polled(robotText('r1', 'hi', '')), { type: 'chat.end' }, done('fetchSurveyMode', agentSurvey));
    expect(s.context.bookkeeping.lastInterIdx).toBeNull();
    expect(s.value).toBe('disconnecting');
  });

  it('agent served + NO survey → no survey', () => {
    const s = run(chattingWithAgent(), polled(disconnect('AGENT', 'd')), done('fetchSurveyMode', { surveyType: 'NO' }));
    expect(s.value).toBe('disconnecting');
  });
});

describe('chatting: outbox', () => {
  it('sends one message at a time, in order', () => {
    let s = run(chattingWithAgent(), { type: 'message.send', text: 'one' }, { type: 'message.send', text: 'two' });
    expect(s.matches({ connected: { chatting: { outbox: 'sending' } } })).toBe(true);
    const [first, second] = s.context.outbox;
    expect(entryAt(s.context, first)).toMatchObject({ status: 'sending', text: 'one' });
    expect(entryAt(s.context, second)).toMatchObject({ status: 'queued', text: 'two' });
    s = run(s, sent({ ...ok(), localId: first! }));
    expect(entryAt(s.context, first)).toMatchObject({ status: 'sent' });
    expect(entryAt(s.context, second)).toMatchObject({ status: 'sending' });
    s = run(s, sendFailed(networkError(), second));
    expect(entryAt(s.context, second)).toMatchObject({ status: 'failed', error: { kind: 'network' } });
    expect(s.matches({ connected: { chatting: { outbox: 'idle' } } })).toBe(true);
    s = run(s, { type: 'message.retry', key: second! });
    expect(entryAt(s.context, second)).toMatchObject({ status: 'sending', error: null });
  });

  it('holds messages while queuing and sends them once served', () => {
    let s = run(start(), done('authenticate'), agentConnect, { type: 'message.send', text: 'anyone there?' });
    const [id] = s.context.outbox;
    expect(entryAt(s.context, id)).toMatchObject({ status: 'queued' });
    expect(s.children.sendMessage).toBeUndefined();
    s = run(s, { type: 'queue.served' });
    expect(entryAt(s.context, id)).toMatchObject({ status: 'sending' });
    expect(s.children.sendMessage).toBeDefined();
  });

  it('a text goes on the wire in the step that queues it only when online with nothing queued before it', () => {
    // Online, idle, nothing queued: queued as `sending`, outbox.sending, the worker has it.
    let s = run(chattingWithAgent(), { type: 'message.send', text: 'now' });
    expect(s.matches({ connected: { chatting: { outbox: 'sending' } } })).toBe(true);
    expect(entryAt(s.context, s.context.outbox[0])).toMatchObject({ status: 'sending', text: 'now' });

    // Offline: it waits, queued, until the connection is back.
    s = run(chattingWithAgent(), { type: 'connection.offline' }, { type: 'message.send', text: 'later' });
    const [held] = s.context.outbox;
    expect(s.matches({ connected: { chatting: { outbox: 'idle' } } })).toBe(true);
    expect(entryAt(s.context, held)).toMatchObject({ status: 'queued' });
    s = run(s, { type: 'connection.online' });
    expect(entryAt(s.context, held)).toMatchObject({ status: 'sending' });

    // A file still uploading heads the queue: the text waits behind it, in typing order.
    s = run(chattingWithAgent(), { type: 'file.send', data: new Uint8Array([1, 2, 3]), fileType: 'jpg' }, { type: 'message.send', text: 'after the picture' });
    const [file, text] = s.context.outbox;
    expect(s.matches({ connected: { chatting: { outbox: 'idle' } } })).toBe(true);
    expect(entryAt(s.context, file)).toMatchObject({ status: 'uploading' });
    expect(entryAt(s.context, text)).toMatchObject({ status: 'queued', text: 'after the picture' });

    // Invalid text: refused wherever the outbox is, nothing queued.
    s = run(chattingWithAgent(), { type: 'message.send', text: '  ' });
    expect(s.context.outbox).toEqual([]);
    expect(s.context.error).toMatchObject({ code: 'empty-text' });
  });

  it('a poll batch resends at once what waits for a resend (the connection works again)', () => {
    let s = run(chattingWithAgent(), { type: 'message.send', text: 'one' });
    const [id] = s.context.outbox;
    s = run(s, sendFailed(new AiccError({ kind: 'http', api: 'send', status: 503, message: 'busy' }), id));
    expect(s.matches({ connected: { chatting: { outbox: 'resending' } } })).toBe(true);
    expect(entryAt(s.context, id)).toMatchObject({ status: 'queued', resends: 1 });
    s = run(s, polled(agentText('a2')));
    expect(s.matches({ connected: { chatting: { outbox: 'sending' } } })).toBe(true);
    expect(entryAt(s.context, id)).toMatchObject({ status: 'sending' });
  });

  it('invalid payloads set a typed error and change nothing else', () => {
    const s = chattingWithAgent();
    for (const event of [
      { type: 'message.send', text: '' },
      { type: 'message.send', text: 'x'.repeat(1025) },
      { type: 'message.retry', key: 'nope' },
      { type: 'file.send', data: 'not bytes', fileType: 'jpg' },
      { type: 'file.send', data: new Uint8Array(1), fileType: 'exe' },
      { type: 'file.download', key: 'a1' },
      { type: 'file.download', key: 'missing' },
      { type: 'agent.request' },
    ] as unknown as ChatSessionEvent[]) {
      const next = run(s, event);
      expect(next.value).toEqual(s.value);
      expect(next.context.error).toMatchObject({ name: 'ChatInputError', event: event.type });
      expect({ ...next.context, error: null }).toEqual({ ...s.context, error: null });
    }
  });

  it('a sent message cannot be retried', () => {
    let s = run(chattingWithAgent(), { type: 'message.send', text: 'one' });
    const [id] = s.context.outbox;
    s = run(s, sent({ ...ok(), localId: id! }), { type: 'message.retry', key: id! });
    expect(s.context.error).toMatchObject({ code: 'not-retryable' });
  });

  it('ending fails whatever was not sent', () => {
    let s = run(chattingWithAgent(), { type: 'message.send', text: 'one' }, { type: 'message.send', text: 'two' });
    const [first, second] = s.context.outbox;
    s = run(s, { type: 'chat.end' });
    expect(entryAt(s.context, first)).toMatchObject({ status: 'failed', error: { kind: 'aborted', outcomeUnknown: true } });
    expect(entryAt(s.context, second)).toMatchObject({ status: 'failed', error: { kind: 'aborted' } });
    expect(s.context.outbox).toEqual([]);
  });

  it("the sendMessage worker's own error (a host's worker that throws) fails what is unsent, visibly", () => {
    let s = run(chattingWithAgent(), { type: 'message.send', text: 'one' }, { type: 'message.send', text: 'two' });
    const [first, second] = s.context.outbox;
    s = run(s, failed('sendMessage', new Error('worker crashed')));
    expect(entryAt(s.context, first)).toMatchObject({ status: 'failed' });
    expect(entryAt(s.context, second)).toMatchObject({ status: 'failed' });
    expect(s.context.error).toMatchObject({ message: 'worker crashed' });
    expect(s.matches({ connected: 'chatting' })).toBe(true);
  });
});

describe('chatting: transfer to an agent', () => {
  it('TRANS2AGENT accepted → queuing, robot messages no longer count', () => {
    let s = run(chattingWithRobot(), { type: 'agent.request' });
    expect(s.matches({ connected: { chatting: { transfer: 'requesting' } } })).toBe(true);
    s = run(s, done('requestAgent', ok()));
    expect(s.matches({ connected: 'queuing' })).toBe(true);
    expect(s.context.bookkeeping.awaitingAgent).toBe(true);
    s = run(s, polled(robotText('r2', 'transferring you')));
    expect(s.matches({ connected: 'queuing' })).toBe(true);
    s = run(s, polled(agentText('a1')));
    expect(s.matches({ connected: 'chatting' })).toBe(true);
    expect(s.context).toMatchObject({ servedBy: 'agent', bookkeeping: { awaitingAgent: false } });
  });

  it('after hours (12) stays with the robot and says why', () => {
    const s = run(chattingWithRobot(), { type: 'agent.request' }, failed('requestAgent', businessError('12')));
    expect(s.matches({ connected: { chatting: { transfer: 'idle' } } })).toBe(true);
    expect(s.context.servedBy).toBe('robot');
    expect(s.context.error).toMatchObject({ kind: 'business', resultCode: '12' });
  });

  it('13 stays with the robot with the error', () => {
    const s = run(chattingWithRobot(), { type: 'agent.request' }, failed('requestAgent', businessError('13')));
    expect(s.matches({ connected: 'chatting' })).toBe(true);
    expect(s.context.error).toMatchObject({ resultCode: '13' });
  });

  it('an agent chat cannot be transferred', () => {
    const s = run(chattingWithAgent(), { type: 'agent.request' });
    expect(s.context.error).toMatchObject({ code: 'not-served-by-robot' });
  });

  it('an agent taking over a robot chat switches servedBy without a transfer', () => {
    const s = run(chattingWithRobot(), polled(agentText('a1')));
    expect(s.matches({ connected: 'chatting' })).toBe(true);
    expect(s.context.servedBy).toBe('agent');
  });
});

describe('events in the wrong state do nothing', () => {
  const cases: Array<[string, () => Snap, ChatSessionEvent]> = [
    ['message.send in auth', () => start(), { type: 'message.send', text: 'hi' }],
    ['survey.submit while chatting', chattingWithAgent, { type: 'survey.submit', evaluation: '5' }],
    ['leaveMessage.submit while chatting', chattingWithAgent, { type: 'leaveMessage.submit', caller: '123456', message: 'x' }],
    ['retry while chatting', chattingWithAgent, { type: 'request.retry' }],
    ['survey.skip while queuing', () => run(start(), done('authenticate'), agentConnect), { type: 'survey.skip' }],
    ['agent.request while queuing', () => run(start(), done('authenticate'), agentConnect), { type: 'agent.request' }],
    ['messages.markRead with nothing unread', chattingWithRobot, { type: 'messages.markRead' }],
    ['queue.served while chatting', chattingWithRobot, { type: 'queue.served' }],
    ['input.change in connecting', () => run(start(), done('authenticate')), { type: 'input.change', text: 'x' }],
    ['message.send in a survey', () => run(chattingWithAgent(), { type: 'chat.end' }, done('fetchSurveyMode', agentSurvey)), { type: 'message.send', text: 'x' }],
  ];
  for (const [name, make, event] of cases) {
    it(name, () => {
      const s = make();
      const next = run(s, event);
      expect(stateOf(next)).toBe(stateOf(s));
      expect(next.context).toEqual(s.context);
    });
  }

  it('everything is ignored once disconnected', () => {
    const s = run(start(), { type: 'chat.end' });
    const next = run(s, { type: 'message.send', text: 'hi' }, { type: 'chat.end' }, { type: 'request.retry' });
    expect(next.status).toBe('done');
    expect(next.context).toEqual(s.context);
  });
});
