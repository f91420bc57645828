/**
 * chatView / connectChat over real snapshots: the machine runs with fake actors (as in
 * test/machine), the UI's questions are asked of the view, and its commands drive the session.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { AiccError } from '../../src/client/errors.js';
import type { ChatSessionError, ChatUserEvent } from '../../machines/chatSession.types.js';
import { chatTexts, chatView, connectChat, errorText, type ChatMessageView, type ChatView } from '../../src/index.js';
import {
  agentImage,
  agentSurvey,
  agentText,
  businessError,
  disconnect,
  fakeActors,
  networkError,
  ok,
  robotText,
  settle,
  startSession,
  systemText,
} from '../machine/helpers.js';

type Session = ReturnType<typeof startSession>;
const view = (session: Session): ChatView => chatView(session.actor.getSnapshot());
const api = (session: Session) => connectChat(session.actor.getSnapshot(), (event: ChatUserEvent) => session.actor.send(event));
const until = (session: Session, test: (view: ChatView) => boolean) => waitFor(session.actor, (s) => test(chatView(s)));
const messages = (v: ChatView) => v.transcript.filter((e): e is ChatMessageView => e.kind === 'message');

const queued = (position: number, estimateWaitTime: number) => ({
  type: 'queue.updated' as const,
  info: { status: 'queuing' as const, position, totalWaitTime: 3, currentDeviceWaitTime: 3, configMaxWaitTime: 60, longestWaitTime: 3, estimateWaitTime },
});

describe('robot → agent → survey, as a UI sees it', () => {
  it('phase, who serves, abilities, transfer, queue, transcript entries, survey, end text', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    fakes.fetchSurveyMode.answer = () => agentSurvey;
    let transferred!: () => void;
    fakes.requestAgent.answer = () => new Promise((resolve) => (transferred = () => resolve(ok())));
    const session = startSession({ fakes });

    expect(view(session)).toMatchObject({ phase: 'starting', step: 'auth', statusText: 'Signing in…', servedBy: null, queue: null });
    expect(view(session).can).toMatchObject({ type: false, end: true, retry: false });

    await until(session, (v) => v.phase === 'chatting-robot');
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r1', 'Welcome', '9')] });
    let v = view(session);
    expect(v).toMatchObject({ phase: 'chatting-robot', servedBy: 'robot', transfer: 'idle', statusText: 'Chatting with our virtual assistant' });
    expect(v.can).toMatchObject({ type: true, sendFile: true, requestAgent: true, end: true, skip: false, download: true });
    expect(v.transcript).toEqual([expect.objectContaining({ kind: 'message', key: 'r1', from: 'robot', sender: 'Robo', body: 'text', text: 'Welcome', status: null, file: null })]);

    api(session).sendMessage('Hello <b>you</b>');
    const mine = messages(view(session)).find((e) => e.from === 'customer')!;
    expect(mine).toMatchObject({ sender: 'You', body: 'text', text: 'Hello <b>you</b>', read: false, canRetry: false });
    await until(session, (x) => messages(x).some((e) => e.from === 'customer' && e.status === 'sent'));
    expect(messages(view(session)).find((e) => e.from === 'customer')).toMatchObject({ status: 'sent', statusText: 'sent' });

    api(session).requestAgent();
    expect(view(session)).toMatchObject({ transfer: 'requesting', can: { requestAgent: false } });
    transferred();
    await until(session, (x) => x.phase === 'queuing');
    v = view(session);
    expect(v).toMatchObject({ transfer: 'waiting', statusText: 'Waiting for an agent', queue: { position: null, inIvr: false, text: 'Finding an agent for you…' } });
    expect(v.can).toMatchObject({ type: true, requestAgent: false, end: true });

    fakes.watchQueue.emit(queued(2, 60));
    expect(view(session).queue).toEqual({ position: 2, waitSeconds: 60, inIvr: false, text: 'You are number 2 in the queue · about 60 s' });
    fakes.watchQueue.emit({ type: 'queue.updated', info: { status: 'in-ivr' } });
    expect(view(session).queue).toMatchObject({ position: null, inIvr: true, text: 'Waiting for a free agent…' });

    fakes.watchQueue.emit({ type: 'queue.served' });
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a1', 'Hi, I am Smith'), agentImage('a2')] });
    v = view(session);
    expect(v).toMatchObject({ phase: 'chatting-agent', servedBy: 'agent', agentName: 'Agent Smith', statusText: 'Chatting with Agent Smith', transfer: 'idle', queue: null, unread: 2 });
    expect(v.can).toMatchObject({ markRead: true, requestAgent: false });
    const picture = v.transcript.at(-1) as ChatMessageView;
    expect(picture).toMatchObject({ from: 'agent', body: 'file', text: 'image.jpg' });
    expect(picture.file).toEqual({ kind: 'image', fileType: 'jpg', mime: 'image/jpeg', name: 'image.jpg', size: null, download: 'idle', canDownload: true, upload: null });

    api(session).download('a2');
    expect((view(session).transcript.at(-1) as ChatMessageView).file).toMatchObject({ download: 'downloading', canDownload: false });
    api(session).markRead();
    await until(session, (x) => x.unread === 0);

    api(session).end();
    await until(session, (x) => x.phase === 'survey-agent');
    v = view(session);
    expect(v.survey).toEqual({
      target: 'agent',
      levels: agentSurvey.surveyType === 'WEB' ? agentSurvey.levels : [],
      levelKeys: ['1', '5'],
      questions: ['NPS', 'FCR'],
      askNps: true,
      askFcr: true,
      commentMaxLength: 511,
      commentRequiredIfUnsatisfied: false,
      submitting: false,
    });
    expect(v).toMatchObject({ endReason: 'customer-ended', endText: 'You ended the chat.', statusText: 'How did we do?' });
    expect(v.can).toMatchObject({ type: false, end: false, skip: true, submitSurvey: true });

    api(session).submitSurvey({ evaluation: '7' });
    expect(view(session)).toMatchObject({ error: { name: 'ChatInputError', code: 'invalid-rating' }, errorText: 'evaluation must be one of 1, 5.' });
    api(session).submitSurvey({ evaluation: '5', comment: 'great' });
    await until(session, (x) => x.phase === 'ended');
    v = view(session);
    expect(v).toMatchObject({ phase: 'ended', step: 'disconnected', surveySubmitted: true, endText: 'You ended the chat.', statusText: 'Chat ended', survey: null });
    expect(Object.values(v.can).some(Boolean)).toBe(false);
    expect(fakes.submitAgentSurvey.calls).toEqual([expect.objectContaining({ evaluation: '5', comment: 'great' })]);
  });

  it('a robot survey: yes/no, a comment required when not satisfied, 64 characters', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    fakes.fetchSurveyMode.answer = () => agentSurvey;
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'chatting-robot');
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r1', 'Welcome', '9')] });
    api(session).end();
    await until(session, (v) => v.phase === 'survey-robot');
    expect(view(session).survey).toMatchObject({ target: 'robot', levels: [], levelKeys: [], commentMaxLength: 64, commentRequiredIfUnsatisfied: true });
    api(session).skip();
    await until(session, (v) => v.phase === 'ended');
    expect(fakes.submitRobotFeedback.calls).toEqual([]);
  });
});

describe('files through the view', () => {
  it('a file shows its upload progress while it uploads, as bytes, a fraction and a whole percentage', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'chatting-robot');
    api(session).sendFile(new Uint8Array(1000), 'scan.png');
    const entry = () => messages(view(session)).find((e) => e.from === 'customer')!;
    const { localId } = fakes.uploadFile.received[0]!;
    expect(entry().file?.upload).toEqual({ loaded: 0, total: 1000, fraction: 0, percent: 0 });
    fakes.uploadFile.emit({ type: 'upload.progress', localId, loaded: 333, total: 1000 });
    expect(entry().file?.upload).toEqual({ loaded: 333, total: 1000, fraction: 0.333, percent: 33 });
    fakes.uploadFile.emit({ type: 'upload.progress', localId, loaded: 999, total: 1000 });
    expect(entry().file?.upload?.percent, '100 only once all of it went').toBe(99);
    fakes.uploadFile.emit({ type: 'upload.progress', localId, loaded: 1000, total: 1000 });
    expect(entry().file?.upload).toEqual({ loaded: 1000, total: 1000, fraction: 1, percent: 100 });
    fakes.uploadFile.emit({ type: 'upload.done', localId, objectKey: 'key-1' });
    expect(entry()).toMatchObject({ status: expect.not.stringMatching('uploading'), file: { upload: null } });
  });

  it('sendFile takes the type from the name or the MIME type; the entry shows kind, type, MIME, size, status', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'chatting-robot');
    const chat = api(session);
    chat.sendFile(new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' }));
    chat.sendFile(new Uint8Array([4, 5]), 'notes.CSV');
    const sent = messages(view(session)).filter((e) => e.from === 'customer');
    expect(sent.map((e) => [e.body, e.file?.kind, e.file?.fileType, e.file?.mime, e.file?.size, e.status, e.statusText])).toEqual([
      ['file', 'image', 'png', 'image/png', 3, 'uploading', 'uploading…'],
      ['file', 'document', 'csv', 'text/csv', 2, 'uploading', 'uploading…'],
    ]);
    expect(sent[1]).toMatchObject({ text: 'notes.CSV', file: { name: 'notes.CSV', download: null, canDownload: false } });
    expect(fakes.uploadFile.received.map((e) => e.fileType)).toEqual(['png', 'csv']);

    // What the view cannot type is sent as '' and refused by the machine with a typed error.
    chat.sendFile(new Blob(['x'], { type: 'application/pdf' }), 'contract.pdf');
    expect(view(session)).toMatchObject({ error: { code: 'unsupported-file-type' } });
    expect(chat.checkFile(new Blob(['x']), 'contract.pdf')).toMatchObject({ code: 'unsupported-file-type' });
    expect(view(session).upload).toEqual({ maxBytes: 2 * 1024 * 1024, accept: '.jpg,.jpeg,.png,.bmp,.mp3,.aac,.mp4,.txt,.csv' });
  });

  it('checkFile uses the session limit', async () => {
    const session = startSession({ input: { identity: { userId: 'u', userName: 'n', channelId: 'c', locale: 'en' }, maxUploadBytes: 4 } });
    await until(session, (v) => v.phase === 'queuing');
    const chat = api(session);
    expect(chat.checkFile(new Uint8Array(4), 'a.png')).toBeNull();
    expect(chat.checkFile(new Uint8Array(5), 'a.png')).toMatchObject({ code: 'file-too-large', message: 'The file is 5 bytes; at most 4 are allowed.' });
    chat.sendFile(new Uint8Array(5), 'a.png');
    expect(view(session).error).toEqual(chat.checkFile(new Uint8Array(5), 'a.png'));
  });

  it('a failed send can be retried from its entry; its error is a text', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    fakes.sendMessage.answer = () => {
      throw businessError('1', 'sendUserMessage failed');
    };
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'chatting-robot');
    api(session).sendMessage('hello');
    const failed = await until(session, (v) => messages(v).some((e) => e.status === 'failed'));
    const entry = messages(chatView(failed)).find((e) => e.status === 'failed')!;
    expect(entry).toMatchObject({ canRetry: true, statusText: 'not sent', errorText: 'The chat service refused: sendUserMessage failed' });
    fakes.sendMessage.answer = (i) => ({ ...ok(), localId: i.localId });
    api(session).retryMessage(entry.key);
    await until(session, (v) => messages(v).some((e) => e.key === entry.key && e.status === 'sent'));
  });
});

describe('the other ways a chat goes', () => {
  it('after hours: the leave-message form, skip ends it with the reason as a text', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => {
      throw businessError('12', 'The current time is not within the working time of the service agents');
    };
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'leave-message');
    expect(view(session)).toMatchObject({ leaveMessage: { afterHours: true, submitting: false }, endReason: 'after-hours', endText: 'We are closed right now.' });
    expect(view(session).can).toMatchObject({ leaveMessage: true, skip: true, end: false, type: false });
    api(session).submitLeaveMessage('', 'call me');
    expect(view(session).error).toMatchObject({ code: 'invalid-caller' });
    api(session).skip();
    await until(session, (v) => v.phase === 'ended');
    expect(view(session)).toMatchObject({ endReason: 'after-hours', leaveMessage: null });
  });

  it('refused CONNECT (not after hours): the form says nobody could take the chat', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => {
      throw businessError('13', 'No ccucs address available!');
    };
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'leave-message');
    expect(view(session).leaveMessage).toEqual({ afterHours: false, submitting: false });
    api(session).submitLeaveMessage('+1 555 0100', 'call me');
    await until(session, (v) => v.phase === 'ended');
    expect(view(session)).toMatchObject({ endReason: 'message-left', endText: 'Your message was left. We will call you back.' });
  });

  it('auth-retry: starting, retry possible, the error as a text', async () => {
    const fakes = fakeActors();
    let calls = 0;
    fakes.authenticate.answer = () => {
      calls += 1;
      if (calls === 1) throw networkError();
    };
    const session = startSession({ fakes });
    await until(session, (v) => v.step === 'auth-retry');
    expect(view(session)).toMatchObject({ phase: 'starting', statusText: 'Could not sign in, retrying…', errorText: 'No connection to the chat service.' });
    expect(view(session).can).toMatchObject({ retry: true, end: true });
    api(session).retry();
    await until(session, (v) => v.phase === 'queuing');
  });

  it('survey-unavailable: ending, retry or skip', async () => {
    const fakes = fakeActors();
    fakes.fetchSurveyMode.answer = () => {
      throw new AiccError({ kind: 'http', api: 'getSatisfactionSurveyMode', status: 400, message: 'getSatisfactionSurveyMode: HTTP 400' });
    };
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'queuing');
    fakes.watchQueue.emit({ type: 'queue.served' });
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a1'), disconnect('AGENT', 'd1')] });
    await until(session, (v) => v.step === 'survey-unavailable');
    const v = view(session);
    expect(v).toMatchObject({ phase: 'ending', endReason: 'agent-ended', errorText: 'The chat service answered HTTP 400.', statusText: 'The survey could not be loaded' });
    expect(v.can).toMatchObject({ retry: true, skip: true, end: false, submitSurvey: false });
    expect(v.transcript.at(-1)).toMatchObject({ kind: 'notice', from: 'agent', text: 'The agent left the chat.' });
    api(session).skip();
    await until(session, (x) => x.phase === 'ended');
    expect(fakes.disconnect.calls).toHaveLength(1);
  });

  it('a gap the final catch-up could not fill is an entry of its own', async () => {
    const fakes = fakeActors();
    const historyError = new AiccError({ kind: 'timeout', api: 'queryHistoryChatMessage', message: 'queryHistoryChatMessage: timeout' }).toJSON();
    fakes.disconnect.answer = () => ({ messages: [], gap: { from: 1_700_000_000_500, error: historyError } }) as never;
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'queuing');
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [systemText('s1', 'Queuing...')] });
    api(session).end();
    await until(session, (v) => v.phase === 'ended');
    const entries = view(session).transcript;
    expect(entries[0]).toMatchObject({ kind: 'message', from: 'system', sender: '', text: 'Queuing...' });
    expect(entries.at(-1)).toEqual({ kind: 'gap', key: 'gap:1700000000500', time: 1_700_000_000_500, text: 'Some messages could not be loaded.', error: historyError });
  });

  it('offline and failing polls are a banner text', async () => {
    const session = startSession();
    await until(session, (v) => v.phase === 'queuing');
    session.actor.send({ type: 'connection.offline' });
    expect(view(session).connection).toEqual({ online: false, pollFailures: 0, text: 'You are offline. Messages will be sent when you are back.' });
    session.actor.send({ type: 'connection.online' });
    session.fakes.pollLoop.emit({ type: 'poll.error', error: networkError('poll').toJSON(), failures: 2 });
    expect(view(session).connection).toEqual({ online: true, pollFailures: 2, text: 'Connection trouble, reconnecting…' });
  });
});

describe('texts and purity', () => {
  it('any text can be replaced; the rest stays', async () => {
    const texts = chatTexts({ endReasons: { 'customer-ended': 'Bye!' }, status: { queuing: 'In line' }, queue: { position: 'Nr. {position}' } });
    const session = startSession();
    await until(session, (v) => v.phase === 'queuing');
    session.fakes.watchQueue.emit(queued(3, 0));
    const v = chatView(session.actor.getSnapshot(), { texts });
    expect(v).toMatchObject({ statusText: 'In line', queue: { text: 'Nr. 3' } });
    api(session).end();
    await until(session, (x) => x.phase === 'ended');
    expect(chatView(session.actor.getSnapshot(), { texts }).endText).toBe('Bye!');
    expect(chatView(session.actor.getSnapshot()).endText).toBe('You ended the chat.');
    expect(texts.endReasons['agent-ended']).toBe('The agent ended the chat.');
  });

  it('errors by kind; input errors say what was wrong', () => {
    const info = (kind: 'network' | 'timeout' | 'http' | 'business' | 'validation' | 'aborted' | 'protocol', extra = {}): ChatSessionError => ({ name: 'AiccError', kind, api: 'send', message: 'send: boom', ...extra });
    expect(errorText(info('network'))).toBe('No connection to the chat service.');
    expect(errorText(info('timeout'))).toBe('The chat service did not answer in time.');
    expect(errorText(info('http', { status: 503 }))).toBe('The chat service answered HTTP 503.');
    expect(errorText(info('business', { resultCode: '13', resultDesc: 'No ccucs address available!' }))).toBe('The chat service refused: No ccucs address available!');
    expect(errorText(info('validation'))).toBe('send: boom');
    expect(errorText(info('aborted'))).toBe('The request was cancelled.');
    expect(errorText(info('protocol'))).toBe('The chat service answered something unexpected.');
    expect(errorText({ name: 'ChatInputError', code: 'empty-text', event: 'message.send', message: 'The message is empty.' })).toBe('The message is empty.');
  });

  it('the same snapshot gives an equal view, and unchanged entries keep their identity', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    const session = startSession({ fakes });
    await until(session, (v) => v.phase === 'chatting-robot');
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r1'), robotText('r2')] });
    const snapshot = session.actor.getSnapshot();
    const before = JSON.stringify(snapshot.context);
    expect(chatView(snapshot)).toEqual(chatView(snapshot));
    expect(JSON.stringify(snapshot.context)).toBe(before);
    const first = chatView(snapshot).transcript;
    api(session).sendMessage('more');
    await settle();
    const next = view(session).transcript;
    expect(next[0]).toBe(first[0]);
    expect(next[1]).toBe(first[1]);
    expect(next).toHaveLength(3);
  });
});
