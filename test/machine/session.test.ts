/**
 * The machine running as an actor with fake actors and a SimulatedClock: no network, no sleeps.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, waitFor } from 'xstate';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import { entryAt, transcriptEntries } from '../../machines/chatSession.transcript.js';
import type { ChatSessionEmitted, OutgoingEntry } from '../../machines/chatSession.types.js';
import type { UploadWorkerEvent } from '../../machines/chatSession.contracts.js';
import {
  agentImage,
  agentSurvey,
  agentText,
  businessError,
  disconnect,
  fakeActors,
  input,
  networkError,
  ok,
  robotText,
  settle,
  startSession,
} from './helpers.js';

describe('a whole robot session', () => {
  it('connects, chats, rates the robot and ends', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    fakes.fetchSurveyMode.answer = () => agentSurvey;
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'chatting' }));
    expect(fakes.pollLoop.running).toBe(1);
    expect(fakes.connect.calls).toEqual([{ userId: 'user-1', channelId: '202207292843442389', nickname: 'Ann', via: 'send', isNeedRead: false, lostSince: null }]);

    fakes.pollLoop.emit({ type: 'poll.messages', messages: [robotText('r1', 'Welcome', '9')] });
    actor.send({ type: 'message.send', text: 'version?' });
    await waitFor(actor, (s) => s.context.outbox.length === 0);
    expect(fakes.sendMessage.calls[0]).toMatchObject({ mediaType: 'TEXT', content: 'version?', userId: 'user-1' });

    actor.send({ type: 'chat.end' });
    await waitFor(actor, (s) => s.matches({ connected: 'survey-robot' }));
    actor.send({ type: 'survey.submit', satisfied: true });
    const final = await waitFor(actor, (s) => s.status === 'done');
    expect(fakes.submitRobotFeedback.calls).toEqual([{ userId: 'user-1', interIdx: '9', satisfied: true }]);
    expect(fakes.disconnect.calls).toHaveLength(1);
    expect(fakes.pollLoop.running).toBe(0);
    expect(final.output).toMatchObject({ endReason: 'customer-ended', servedBy: 'robot', surveySubmitted: true });
    expect(final.output?.transcript.map((e) => e.kind)).toEqual(['incoming', 'outgoing']);
    expect((final.output?.transcript[1] as OutgoingEntry).status).toBe('sent');
  });
});

describe('a whole agent session', () => {
  it('queues, is served, the agent ends it, the customer rates the agent', async () => {
    const fakes = fakeActors();
    fakes.fetchSurveyMode.answer = () => agentSurvey;
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    expect(fakes.watchQueue.running).toBe(1);
    fakes.watchQueue.emit({
      type: 'queue.updated',
      info: { status: 'queuing', position: 1, totalWaitTime: 3, currentDeviceWaitTime: 3, configMaxWaitTime: 60, longestWaitTime: 3, estimateWaitTime: 60 },
    });
    expect(actor.getSnapshot().context.queue).toMatchObject({ position: 1 });
    fakes.watchQueue.emit({ type: 'queue.served' });
    expect(actor.getSnapshot().matches({ connected: 'chatting' })).toBe(true);
    expect(fakes.watchQueue.running).toBe(0);
    expect(fakes.pollLoop.starts).toBe(1); // the one poll loop survives queuing → chatting

    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a1', 'Hi, I am Smith'), disconnect('AGENT', 'd1')] });
    await waitFor(actor, (s) => s.matches({ connected: 'survey-agent' }));
    actor.send({ type: 'survey.submit', evaluation: '5', comment: 'thanks', fcr: true });
    const final = await waitFor(actor, (s) => s.status === 'done');
    expect(fakes.submitAgentSurvey.calls).toEqual([
      { userId: 'user-1', channelId: '202207292843442389', evaluation: '5', comment: 'thanks', fcr: true },
    ]);
    expect(final.output).toMatchObject({ endReason: 'agent-ended', servedBy: 'agent', agentNickname: 'Agent Smith' });
  });
});

describe('timers (SimulatedClock)', () => {
  it('retries CONNECT with exponential backoff, then gives up', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => {
      throw networkError();
    };
    const { actor, clock } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches('connect-retry'));
    clock.increment(99);
    expect(actor.getSnapshot().value).toBe('connect-retry');
    clock.increment(1); // 100 ms = base
    await waitFor(actor, (s) => s.context.bookkeeping.connectAttempts === 2);
    expect(fakes.connect.calls).toHaveLength(2);
    clock.increment(199);
    expect(actor.getSnapshot().value).toBe('connect-retry');
    clock.increment(1); // 200 ms = base * 2
    const final = await waitFor(actor, (s) => s.status === 'done');
    expect(fakes.connect.calls).toHaveLength(3);
    expect(final.output?.endReason).toBe('connect-failed');
  });

  it('`retry` skips the wait', async () => {
    const fakes = fakeActors();
    let calls = 0;
    fakes.connect.answer = () => {
      calls += 1;
      if (calls === 1) throw networkError();
      return ok('success');
    };
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches('connect-retry'));
    actor.send({ type: 'request.retry' });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
  });

  it('debounces phrase suggestions', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    const { actor, clock } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'chatting' }));
    actor.send({ type: 'input.change', text: 'ver' });
    clock.increment(150);
    actor.send({ type: 'input.change', text: 'vers' });
    clock.increment(150);
    expect(fakes.suggestPhrases.calls).toHaveLength(0);
    clock.increment(50);
    await waitFor(actor, (s) => s.context.compose.suggestions.length > 0);
    expect(fakes.suggestPhrases.calls).toEqual([{ text: 'vers', locale: 'en' }]);
    expect(actor.getSnapshot().context.compose.suggestions).toEqual(['vers?']);
    actor.send({ type: 'input.change', text: '' });
    expect(actor.getSnapshot().context.compose.suggestions).toEqual([]);
  });

  it('sends at most one typing notice per throttle window, to agents only', async () => {
    const fakes = fakeActors();
    const { actor, clock } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.watchQueue.emit({ type: 'queue.served' });
    for (const text of ['h', 'he', 'hel']) actor.send({ type: 'input.change', text });
    await settle();
    expect(fakes.sendTyping.calls).toHaveLength(1);
    clock.increment(1000);
    actor.send({ type: 'input.change', text: 'hell' });
    await settle();
    expect(fakes.sendTyping.calls).toHaveLength(2);
  });
});

describe('files', () => {
  it('uploads through the worker, then sends the objectKey; bytes never reach context', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.watchQueue.emit({ type: 'queue.served' });
    const data = new Uint8Array([0xff, 0xd8, 0xff]);
    actor.send({ type: 'file.send', data, fileType: 'jpeg', name: 'photo.jpg' });
    const [localId] = actor.getSnapshot().context.outbox;
    expect(entryAt(actor.getSnapshot().context, localId)).toMatchObject({ status: 'uploading', mediaType: 'IMAGE', file: { size: 3 } });
    expect(fakes.uploadFile.received).toEqual([{ type: 'upload.start', localId, fileType: 'jpg', data }]);
    const persisted = JSON.stringify(actor.getPersistedSnapshot());
    expect(persisted).not.toMatch(/"0":255/); // how a Uint8Array would serialise
    expect(persisted).not.toContain('"data"');
    fakes.uploadFile.emit({ type: 'upload.done', localId: localId!, objectKey: 'obj-1' });
    await waitFor(actor, (s) => (entryAt(s.context, localId) as OutgoingEntry).status === 'sent');
    expect(fakes.sendMessage.calls[0]).toMatchObject({ mediaType: 'IMAGE', content: 'obj-1' });
  });

  it('an upload failure fails that message only', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    actor.send({ type: 'file.send', data: new Uint8Array([1]), fileType: 'txt' });
    actor.send({ type: 'message.send', text: 'after the file' });
    const [fileId, textId] = actor.getSnapshot().context.outbox;
    fakes.uploadFile.emit({ type: 'upload.failed', localId: fileId!, error: businessError('13').toJSON() });
    fakes.watchQueue.emit({ type: 'queue.served' });
    await waitFor(actor, (s) => (entryAt(s.context, textId) as OutgoingEntry).status === 'sent');
    expect(entryAt(actor.getSnapshot().context, fileId)).toMatchObject({ status: 'failed', error: { resultCode: '13' } });
    actor.send({ type: 'message.retry', key: fileId! });
    expect(actor.getSnapshot().context.error).toMatchObject({ code: 'not-retryable' });
  });

  it('keeps the outbox in order behind an upload', async () => {
    const fakes = fakeActors();
    fakes.connect.answer = () => ok('connect to robot successfully.');
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'chatting' }));
    actor.send({ type: 'file.send', data: new Uint8Array([1, 2]), fileType: 'csv', name: 'data.csv' });
    actor.send({ type: 'message.send', text: 'see the file' });
    await settle();
    expect(fakes.sendMessage.calls).toHaveLength(0);
    const [fileId] = actor.getSnapshot().context.outbox;
    fakes.uploadFile.emit({ type: 'upload.done', localId: fileId!, objectKey: 'k' });
    await waitFor(actor, (s) => s.context.outbox.length === 0);
    expect(fakes.sendMessage.calls.map((c) => c.content)).toEqual(['data.csv,2,k,csv', 'see the file']);
  });

  it('emits downloaded bytes as an event and keeps only the status', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    const downloaded: ChatSessionEmitted[] = [];
    actor.on('file.downloaded', (event) => downloaded.push(event));
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentImage('img1')] });
    actor.send({ type: 'file.download', key: 'img1' });
    expect(actor.getSnapshot().context.downloads.img1).toMatchObject({ status: 'downloading', fileType: 'jpg' });
    expect(fakes.downloadFile.received).toEqual([
      { type: 'download.start', key: 'img1', file: { fileId: 'media-1', fileType: 'jpg', multiMedia: true } },
    ]);
    actor.send({ type: 'file.download', key: 'img1' });
    expect(actor.getSnapshot().context.error).toMatchObject({ code: 'not-downloadable' });
    const bytes = new Uint8Array([1, 2, 3]);
    fakes.downloadFile.emit({ type: 'download.done', key: 'img1', bytes, fileType: 'jpg', fileUrl: null });
    expect(downloaded).toEqual([{ type: 'file.downloaded', key: 'img1', bytes, fileType: 'jpg', fileUrl: null }]);
    expect(actor.getSnapshot().context.downloads.img1).toEqual({ status: 'done', fileType: 'jpg', fileUrl: null, error: null });
    actor.send({ type: 'file.download', key: 'img1' });
    fakes.downloadFile.emit({ type: 'download.failed', key: 'img1', error: businessError('13').toJSON() });
    expect(actor.getSnapshot().context.downloads.img1?.status).toBe('failed');
  });
});

describe('file workers run only while a transfer is pending', () => {
  const workers = (actor: ReturnType<typeof startSession>['actor']) =>
    Object.keys(actor.getSnapshot().children).filter((id) => id === 'uploadFile' || id === 'downloadFile');

  it('a connected session without transfers has no file worker', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.watchQueue.emit({ type: 'queue.served' });
    expect(actor.getSnapshot().matches({ connected: 'chatting' })).toBe(true);
    expect(workers(actor)).toEqual([]);
    expect(fakes.uploadFile.starts + fakes.downloadFile.starts).toBe(0);
  });

  it('the upload worker starts with the first upload, serves the queued ones and stops after the last', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    actor.send({ type: 'file.send', data: new Uint8Array([1]), fileType: 'png' });
    actor.send({ type: 'file.send', data: new Uint8Array([2]), fileType: 'png' });
    expect(workers(actor)).toEqual(['uploadFile']);
    expect(fakes.uploadFile).toMatchObject({ starts: 1, running: 1 });
    const [first, second] = actor.getSnapshot().context.outbox;
    expect(fakes.uploadFile.received.map((e) => e.localId)).toEqual([first, second]);
    fakes.uploadFile.emit({ type: 'upload.done', localId: first!, objectKey: 'k1' });
    expect(workers(actor)).toEqual(['uploadFile']);
    fakes.uploadFile.emit({ type: 'upload.failed', localId: second!, error: businessError('13').toJSON() });
    expect(workers(actor)).toEqual([]);
    expect(fakes.uploadFile.running).toBe(0);
    // The next upload gets a fresh worker.
    actor.send({ type: 'file.send', data: new Uint8Array([3]), fileType: 'png' });
    expect(workers(actor)).toEqual(['uploadFile']);
    expect(fakes.uploadFile).toMatchObject({ starts: 2, running: 1 });
  });

  it('the download worker runs while a download is pending', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentImage('img1'), agentImage('img2')] });
    expect(workers(actor)).toEqual([]);
    actor.send({ type: 'file.download', key: 'img1' });
    actor.send({ type: 'file.download', key: 'img2' });
    expect(workers(actor)).toEqual(['downloadFile']);
    expect(fakes.downloadFile).toMatchObject({ starts: 1, running: 1 });
    fakes.downloadFile.emit({ type: 'download.done', key: 'img1', bytes: new Uint8Array([1]), fileType: 'jpg', fileUrl: null });
    expect(workers(actor)).toEqual(['downloadFile']);
    fakes.downloadFile.emit({ type: 'download.failed', key: 'img2', error: businessError('13').toJSON() });
    expect(workers(actor)).toEqual([]);
    expect(fakes.downloadFile.running).toBe(0);
  });

  it('an upload worker that throws fails its uploads; the next upload gets a fresh worker', async () => {
    const fakes = fakeActors();
    const received: string[] = [];
    let starts = 0;
    const uploadFile = fromCallback<UploadWorkerEvent>(({ sendBack, receive }) => {
      const broken = ++starts === 1;
      receive((event) => {
        if (broken) throw new Error('worker broke');
        received.push(event.localId);
      });
      sendBack({ type: 'upload.ready' });
    });
    const { actor } = startSession({ fakes: { ...fakes, actors: { ...fakes.actors, uploadFile } as typeof fakes.actors } });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    actor.send({ type: 'file.send', data: new Uint8Array([1]), fileType: 'png' });
    // The worker threw on receiving the order, within this send.
    expect(actor.getSnapshot().context.outbox).toEqual([]);
    expect(transcriptEntries(actor.getSnapshot().context.transcript)).toMatchObject([{ kind: 'outgoing', status: 'failed' }]);
    expect(actor.getSnapshot().status).toBe('active');
    expect(actor.getSnapshot().context.error).toMatchObject({ message: expect.stringContaining('worker broke') });
    expect(workers(actor)).toEqual([]);
    actor.send({ type: 'file.send', data: new Uint8Array([2]), fileType: 'png' });
    const [next] = actor.getSnapshot().context.outbox;
    expect(starts).toBe(2);
    expect(received).toEqual([next]);
    expect((entryAt(actor.getSnapshot().context, next) as OutgoingEntry).status).toBe('uploading');
  });

  it('ending the session stops the workers of transfers still pending', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentImage('img1')] });
    actor.send({ type: 'file.send', data: new Uint8Array([1]), fileType: 'png' });
    actor.send({ type: 'file.download', key: 'img1' });
    expect(fakes.uploadFile.running + fakes.downloadFile.running).toBe(2);
    actor.send({ type: 'chat.end' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(fakes.uploadFile.running + fakes.downloadFile.running).toBe(0);
  });
});

describe('read receipts', () => {
  it('acknowledges unread agent messages on messages.markRead', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a1'), agentText('a2')] });
    actor.send({ type: 'messages.markRead' });
    await waitFor(actor, (s) => s.context.bookkeeping.unreadAgentKeys.length === 0);
    expect(fakes.sendReadReceipt.calls[0]).toMatchObject({ messageIds: ['a1', 'a2'] });
  });
});

describe('poll health', () => {
  it('records poll errors and clears them when messages flow again', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.pollLoop.emit({ type: 'poll.error', error: networkError('poll').toJSON(), failures: 2 });
    expect(actor.getSnapshot().context.connection).toMatchObject({ pollFailures: 2, lastPollError: { kind: 'network' } });
    fakes.pollLoop.emit({ type: 'poll.messages', messages: [agentText('a1')] });
    expect(actor.getSnapshot().context.connection).toEqual({ pollFailures: 0, lastPollError: null, online: true, pageVisible: true });
  });

  it('poll.failed ends the session with network-lost, stops every child and DISCONNECTs best effort', async () => {
    const fakes = fakeActors();
    const { actor } = startSession({ fakes });
    await waitFor(actor, (s) => s.matches({ connected: 'queuing' }));
    fakes.pollLoop.emit({ type: 'poll.failed', error: networkError('poll').toJSON() });
    const ended = await waitFor(actor, (s) => s.status === 'done');
    expect(ended.output?.endReason).toBe('network-lost');
    expect(fakes.pollLoop.running + fakes.watchQueue.running + fakes.uploadFile.running + fakes.downloadFile.running).toBe(0);
    expect(fakes.disconnect.calls).toHaveLength(1);
    expect(fakes.disconnect.calls[0]).toMatchObject({ bestEffort: true });
  });
});

describe('placeholders', () => {
  it('the bare machine fails visibly when no actors are provided', async () => {
    const actor = createActor(chatSessionMachine, { input }).start();
    const final = await waitFor(actor, (s) => s.status === 'done');
    expect(final.output).toMatchObject({ endReason: 'auth-failed', error: { message: expect.stringContaining('"authenticate" not provided') } });
  });
});
