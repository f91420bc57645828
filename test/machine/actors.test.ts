/**
 * The real actors of src/actors against a scripted fake AiccClient (no HTTP): poll loop
 * concurrency, backoff with jitter, give-up, abort; queue watcher; file workers; uplinks.
 */
import { describe, expect, it } from 'vitest';
import { createActor, setup, type AnyActorLogic, type AnyEventObject } from 'xstate';
import { AiccError } from '../../src/client/errors.js';
import type { AiccClient, DownlinkMessage, QueueStatus, SendInput, UploadOptions } from '../../src/client/types.js';
import { createChatActors, fullJitterBackoff, type Sleep } from '../../src/actors/index.js';
import { agentText, networkError, ok, settle } from './helpers.js';

/** Runs `logic` as the invoked child of a tiny parent that records what the child sends back. */
function host(logic: AnyActorLogic, input?: unknown) {
  const events: AnyEventObject[] = [];
  const machine = setup({ actors: { logic } }).createMachine({
    invoke: { id: 'child', src: 'logic', input: () => input },
    on: { '*': { actions: ({ event }) => void events.push(event) } },
  });
  const actor = createActor(machine).start();
  return {
    events,
    actor,
    send: (event: AnyEventObject) => actor.getSnapshot().children.child?.send(event),
    types: () => events.map((e) => e.type),
  };
}

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
  signal: AbortSignal | undefined;
}

/** A fake client whose poll calls are answered by the test, one by one. */
function pollClient() {
  const pending: Deferred<DownlinkMessage[]>[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    poll: (_input: unknown, options?: { signal?: AbortSignal }) =>
      new Promise<DownlinkMessage[]>((resolve, reject) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const done = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A) => {
          inFlight -= 1;
          fn(...a);
        };
        pending.push({ resolve: done(resolve), reject: done(reject), signal: options?.signal });
      }),
  } as unknown as AiccClient;
  return {
    client,
    pending,
    stats: () => ({ inFlight, maxInFlight, calls: pending.length }),
    last: () => pending[pending.length - 1]!,
  };
}

const pollInput = { userId: 'u', isNeedRead: true, backoffBaseMs: 100, backoffMaxMs: 1000, maxFailures: 4, minIntervalMs: 0 };

function recordingSleep() {
  const waits: number[] = [];
  const sleep: Sleep = async (ms) => {
    waits.push(ms);
  };
  return { waits, sleep };
}

describe('fullJitterBackoff', () => {
  it('is random * min(max, base * 2^(n-1))', () => {
    expect([1, 2, 3, 4, 5].map((n) => fullJitterBackoff(n, 100, 1000, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(fullJitterBackoff(3, 100, 1000, () => 0.5)).toBe(200);
    expect(fullJitterBackoff(3, 100, 1000, () => 0)).toBe(0);
    expect(fullJitterBackoff(1000, 100, 1000, () => 0.999)).toBe(999);
  });
});

describe('pollLoop', () => {
  it('keeps exactly one poll in flight and re-polls at once after messages', async () => {
    const fake = pollClient();
    const { sleep, waits } = recordingSleep();
    const { events } = host(createChatActors(fake.client, { sleep }).pollLoop, pollInput);
    await settle();
    expect(fake.stats()).toMatchObject({ inFlight: 1, calls: 1 });
    const message = agentText('a1');
    fake.last().resolve([message]);
    await settle();
    expect(events).toEqual([{ type: 'poll.messages', messages: [message] }]);
    expect(fake.stats()).toMatchObject({ inFlight: 1, calls: 2, maxInFlight: 1 });
    expect(waits).toEqual([]);
    fake.last().resolve([]);
    await settle();
    expect(events).toHaveLength(1); // empty polls are not reported
    expect(fake.stats()).toMatchObject({ calls: 3, maxInFlight: 1 });
  });

  it('backs off with full jitter, reports poll.error, then gives up with poll.failed', async () => {
    const fake = pollClient();
    const { sleep, waits } = recordingSleep();
    const { events } = host(createChatActors(fake.client, { sleep, random: () => 0.5 }).pollLoop, pollInput);
    for (let i = 0; i < 4; i++) {
      await settle();
      fake.last().reject(networkError('poll'));
    }
    await settle(10);
    expect(waits).toEqual([50, 100, 200]);
    expect(events.map((e) => [e.type, e.failures])).toEqual([
      ['poll.error', 1],
      ['poll.error', 2],
      ['poll.error', 3],
      ['poll.failed', undefined],
    ]);
    expect(events[3]).toMatchObject({ error: { name: 'AiccError', kind: 'network', api: 'poll' } });
    expect(fake.stats().calls).toBe(4);
  });

  it('a success resets the failure count', async () => {
    const fake = pollClient();
    const { sleep } = recordingSleep();
    const { events } = host(createChatActors(fake.client, { sleep, random: () => 1 }).pollLoop, pollInput);
    const script: Array<'fail' | 'ok'> = ['fail', 'fail', 'fail', 'ok', 'fail', 'fail', 'fail'];
    for (const step of script) {
      await settle();
      if (step === 'ok') fake.last().resolve([agentText('x')]);
      else fake.last().reject(networkError('poll'));
    }
    await settle();
    expect(events.some((e) => e.type === 'poll.failed')).toBe(false);
    expect(events.filter((e) => e.type === 'poll.error').map((e) => e.failures)).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('stopping aborts the poll in flight and sends nothing more', async () => {
    const fake = pollClient();
    const { actor, events } = host(createChatActors(fake.client).pollLoop, pollInput);
    await settle();
    const inFlight = fake.last();
    actor.stop();
    expect(inFlight.signal?.aborted).toBe(true);
    inFlight.reject(new AiccError({ kind: 'aborted', api: 'poll', message: 'aborted' }));
    await settle();
    expect(events).toEqual([]);
    expect(fake.stats().calls).toBe(1);
  });

  it('gives every poll the one signal of its life (no AbortController per poll) until a stale poll is dropped', async () => {
    const fake = pollClient();
    let now = 1000;
    const { actor, send } = host(createChatActors(fake.client, { now: () => now }).pollLoop, { ...pollInput, staleMs: 7000 });
    for (let i = 0; i < 3; i++) {
      await settle();
      fake.last().resolve([]);
    }
    await settle();
    const signals = fake.pending.map((p) => p.signal);
    expect(signals).toHaveLength(4);
    expect(new Set(signals).size).toBe(1);
    // A poll in flight for longer than staleMs when the page shows again is dropped on its own...
    const stale = fake.last();
    now += 8000;
    send({ type: 'connectivity', online: true, visible: true });
    expect(stale.signal?.aborted).toBe(true);
    stale.reject(new AiccError({ kind: 'aborted', api: 'poll', message: 'aborted' }));
    await settle();
    // ...and the next one carries a fresh signal, which stopping the loop aborts.
    const next = fake.last();
    expect(next).not.toBe(stale);
    expect(next.signal?.aborted).toBe(false);
    actor.stop();
    expect(next.signal?.aborted).toBe(true);
  });

  it('waits out pollMinIntervalMs after an empty poll that came back early', async () => {
    const fake = pollClient();
    const { sleep, waits } = recordingSleep();
    let now = 1000;
    host(createChatActors(fake.client, { sleep, now: () => now }).pollLoop, { ...pollInput, minIntervalMs: 500 });
    await settle();
    now += 120;
    fake.last().resolve([]);
    await settle();
    expect(waits).toEqual([380]);
  });
});

describe('watchQueue', () => {
  function queueClient(answers: Array<QueueStatus | Error>) {
    const calls: unknown[] = [];
    const client = {
      queryQueueInfo: async (input: unknown) => {
        calls.push(input);
        const answer = answers.shift();
        if (answer instanceof Error) throw answer;
        return answer ?? { status: 'queuing', position: 9, totalWaitTime: 0, currentDeviceWaitTime: 0, configMaxWaitTime: 0, longestWaitTime: 0, estimateWaitTime: 0 };
      },
    } as unknown as AiccClient;
    return { client, calls };
  }

  it('reports metrics every interval, skips errors, stops when served', async () => {
    const metrics = { position: 2, totalWaitTime: 5, currentDeviceWaitTime: 5, configMaxWaitTime: 60, longestWaitTime: 7, estimateWaitTime: 30 };
    const fake = queueClient([{ status: 'queuing', ...metrics }, networkError(), { status: 'in-ivr' }, { status: 'with-agent' }]);
    const { sleep, waits } = recordingSleep();
    const { types, events } = host(createChatActors(fake.client, { sleep }).watchQueue, { userId: 'u', channelId: 'c', intervalMs: 3000 });
    await settle(20);
    expect(types()).toEqual(['queue.updated', 'queue.updated', 'queue.served']);
    expect(events[0]).toEqual({ type: 'queue.updated', info: { status: 'queuing', ...metrics } });
    expect(events[1]).toEqual({ type: 'queue.updated', info: { status: 'in-ivr' } });
    expect(fake.calls).toEqual(Array(4).fill({ userId: 'u', channelConfigId: 'c' }));
    expect(waits).toEqual([3000, 3000, 3000]);
  });

  it('reports a session that is gone once it was seen queuing', async () => {
    const metrics = { position: 1, totalWaitTime: 0, currentDeviceWaitTime: 0, configMaxWaitTime: 0, longestWaitTime: 0, estimateWaitTime: 0 };
    const fake = queueClient([{ status: 'queuing', ...metrics }, { status: 'ended', resultCode: '160004' }]);
    const { types, events } = host(createChatActors(fake.client, recordingSleep()).watchQueue, { userId: 'u', channelId: 'c', intervalMs: 1 });
    await settle(10);
    expect(types()).toEqual(['queue.updated', 'queue.ended']);
    expect(events[1]).toEqual({ type: 'queue.ended', resultCode: '160004' });
  });

  it('does not trust "gone" before the queue was seen: a robot greeting may still be on its way', async () => {
    const gone = { status: 'ended', resultCode: '160004' } as const;
    const metrics = { position: 1, totalWaitTime: 0, currentDeviceWaitTime: 0, configMaxWaitTime: 0, longestWaitTime: 0, estimateWaitTime: 0 };
    const fake = queueClient([gone, gone, { status: 'queuing', ...metrics }, gone]);
    const { types } = host(createChatActors(fake.client, recordingSleep()).watchQueue, { userId: 'u', channelId: 'c', intervalMs: 1 });
    await settle(10);
    expect(types()).toEqual(['queue.updated', 'queue.ended']);

    const never = queueClient([gone, gone, gone]);
    const second = host(createChatActors(never.client, recordingSleep()).watchQueue, { userId: 'u', channelId: 'c', intervalMs: 1 });
    await settle(10);
    expect(second.types()).toEqual(['queue.ended']);
    expect(never.calls).toHaveLength(3);
  });
});

describe('file workers', () => {
  it('upload: ready, then done or failed per file', async () => {
    const client = {
      uploadFileStream: async ({ fileType }: { fileType: string }) => {
        if (fileType === 'csv') throw new AiccError({ kind: 'business', api: 'uploadFileStream', resultCode: '13', message: 'upload failed' });
        return { objectKey: `key-${fileType}` };
      },
    } as unknown as AiccClient;
    const { events, send } = host(createChatActors(client).uploadFile);
    await settle();
    send({ type: 'upload.start', localId: 'out-1', fileType: 'jpg', data: new Uint8Array([1]) });
    send({ type: 'upload.start', localId: 'out-2', fileType: 'csv', data: new Uint8Array([2]) });
    await settle();
    expect(events).toEqual([
      { type: 'upload.ready' },
      { type: 'upload.done', localId: 'out-1', objectKey: 'key-jpg' },
      { type: 'upload.failed', localId: 'out-2', error: expect.objectContaining({ resultCode: '13' }) },
    ]);
  });

  it('upload: the client\'s progress reports become upload.progress of that file, before upload.done', async () => {
    const client = {
      uploadFileStream: async ({ data }: { data: Uint8Array }, options?: UploadOptions) => {
        options?.onProgress?.({ loaded: 1, total: data.length });
        options?.onProgress?.({ loaded: data.length, total: data.length });
        return { objectKey: 'key' };
      },
    } as unknown as AiccClient;
    const { events, send } = host(createChatActors(client).uploadFile);
    await settle();
    send({ type: 'upload.start', localId: 'out-7', fileType: 'png', data: new Uint8Array(4) });
    await settle();
    expect(events).toEqual([
      { type: 'upload.ready' },
      { type: 'upload.progress', localId: 'out-7', loaded: 1, total: 4 },
      { type: 'upload.progress', localId: 'out-7', loaded: 4, total: 4 },
      { type: 'upload.done', localId: 'out-7', objectKey: 'key' },
    ]);
  });

  it('download: hands the bytes back in an event', async () => {
    const bytes = new Uint8Array([9, 9]);
    const client = {
      downloadFileStream: async () => ({ bytes, fileType: 'png', fileUrl: 'https://x/y' }),
    } as unknown as AiccClient;
    const { events, send } = host(createChatActors(client).downloadFile);
    await settle();
    send({ type: 'download.start', key: 'm1', file: { fileId: 'f', fileType: 'png', multiMedia: true } });
    await settle();
    expect(events).toEqual([{ type: 'download.ready' }, { type: 'download.done', key: 'm1', bytes, fileType: 'png', fileUrl: 'https://x/y' }]);
  });
});

describe('sendMessage worker', () => {
  const chat = (localId: string) => ({ userId: 'u', channelId: 'c', nickname: null, localId, mediaType: 'TEXT', content: `text of ${localId}`, timestamp: 1 });

  it('answers each CHAT it is told to send: message.sent with its localId, or message.sendFailed with the error', async () => {
    const client = {
      send: async (input: SendInput) => {
        if (input.content === 'text of out-2') throw new AiccError({ kind: 'http', api: 'send', status: 503, message: 'busy' });
        return ok('sendUserMessage successfully.');
      },
    } as unknown as AiccClient;
    const worker = host(createChatActors(client).sendMessage);
    worker.send({ type: 'send', input: chat('out-1') });
    await settle();
    worker.send({ type: 'send', input: chat('out-2') });
    await settle();
    expect(worker.events).toEqual([
      { type: 'message.sent', output: { ...ok('sendUserMessage successfully.'), localId: 'out-1' } },
      { type: 'message.sendFailed', localId: 'out-2', error: expect.objectContaining({ name: 'AiccError', kind: 'http', status: 503 }) },
    ]);
  });

  it('stopping aborts the CHAT on the wire and drops its answer', async () => {
    let signal: AbortSignal | undefined;
    let answer: ((value: unknown) => void) | undefined;
    const client = {
      send: (_input: SendInput, options?: { signal?: AbortSignal }) => {
        signal = options?.signal;
        return new Promise((resolve) => (answer = resolve));
      },
    } as unknown as AiccClient;
    const worker = host(createChatActors(client).sendMessage);
    worker.send({ type: 'send', input: chat('out-1') });
    await settle();
    expect(signal?.aborted).toBe(false);
    worker.actor.stop();
    expect(signal?.aborted).toBe(true);
    answer?.(ok());
    await settle();
    expect(worker.events).toEqual([]);
  });
});

describe('uplinks and one-shot calls', () => {
  function recordingClient() {
    const calls: Array<[string, unknown, AbortSignal | undefined]> = [];
    const record = (name: string, answer: unknown = ok()) => async (input: unknown, options?: { signal?: AbortSignal }) => {
      calls.push([name, input, options?.signal]);
      return answer;
    };
    const client = {
      authenticate: async (options?: { signal?: AbortSignal }) => void calls.push(['authenticate', undefined, options?.signal]),
      send: record('send'),
      sendAsync: record('sendAsync'),
      queryHistoryChatMessage: record('queryHistoryChatMessage', []),
      queryPhraseByKeyword: record('queryPhraseByKeyword', ['a?']),
      getSatisfactionSurveyMode: record('getSatisfactionSurveyMode', { surveyType: 'NO' }),
      saveSatisfaction: record('saveSatisfaction'),
      feedbackSatisfaction: record('feedbackSatisfaction'),
      doLeaveMessage: record('doLeaveMessage'),
    } as unknown as AiccClient;
    return { client, calls };
  }

  async function runPromise(logic: AnyActorLogic, input?: unknown) {
    const actor = createActor(logic, { input }).start();
    await settle(10);
    return actor.getSnapshot().output as unknown;
  }

  const party = { userId: 'u', channelId: 'c', nickname: 'Ann' };

  it('builds the documented uplink for each control type, with an AbortSignal', async () => {
    const { client, calls } = recordingClient();
    const actors = createChatActors(client);
    await runPromise(actors.connect, { ...party, via: 'sendAsync' });
    const worker = host(actors.sendMessage);
    worker.send({ type: 'send', input: { ...party, localId: 'out-5', mediaType: 'IMAGE', content: 'obj', timestamp: 5 } });
    await settle(10);
    expect(worker.events).toEqual([{ type: 'message.sent', output: { ...ok(), localId: 'out-5' } }]);
    await runPromise(actors.sendTyping, party);
    await runPromise(actors.requestAgent, { ...party, nickname: null });
    const receipt = await runPromise(actors.sendReadReceipt, { ...party, messageIds: ['a1', 'a2'] });
    await runPromise(actors.disconnect, party);
    const sends = calls.map(([name, input]) => [name, input as SendInput]);
    expect(sends).toEqual([
      ['sendAsync', { controlType: 'CONNECT', mediaType: 'TEXT', content: '', from: 'u', to: 'c', senderNickname: 'Ann' }],
      ['send', { controlType: 'CHAT', mediaType: 'IMAGE', content: 'obj', timestamp: 5, from: 'u', to: 'c', senderNickname: 'Ann' }],
      ['send', { controlType: 'INPUT', mediaType: 'TEXT', content: '', from: 'u', to: 'c', senderNickname: 'Ann' }],
      ['send', { controlType: 'TRANS2AGENT', mediaType: 'TEXT', content: '', from: 'u', to: 'c' }],
      ['send', { controlType: 'READ', mediaType: 'TEXT', content: '["a1","a2"]', from: 'u', to: 'c', senderNickname: 'Ann' }],
      ['send', { controlType: 'DISCONNECT', mediaType: 'TEXT', content: '', from: 'u', to: 'c', senderNickname: 'Ann' }],
    ]);
    expect(calls.every(([, , signal]) => signal instanceof AbortSignal)).toBe(true);
    expect(receipt).toEqual({ messageIds: ['a1', 'a2'] });
  });

  it('maps survey, phrase, history and leave-message inputs to the client', async () => {
    const { client, calls } = recordingClient();
    const actors = createChatActors(client);
    await runPromise(actors.authenticate);
    expect(await runPromise(actors.suggestPhrases, { text: 'ver', locale: 'en' })).toEqual({ text: 'ver', phrases: ['a?'] });
    await runPromise(actors.loadHistory, { userId: 'u', channelId: 'c', limit: 20 });
    await runPromise(actors.fetchSurveyMode, { language: 'en_US' });
    await runPromise(actors.submitAgentSurvey, { userId: 'u', channelId: 'c', evaluation: '4', npsScore: 7 });
    await runPromise(actors.submitRobotFeedback, { userId: 'u', interIdx: '3', satisfied: false, comment: 'meh' });
    await runPromise(actors.leaveMessage, { userId: 'u', caller: '123456', message: 'call me' });
    expect(calls.map(([name, input]) => [name, input])).toEqual([
      ['authenticate', undefined],
      ['queryPhraseByKeyword', { text: 'ver', locale: 'en' }],
      ['queryHistoryChatMessage', { userId: 'u', channelId: 'c', limit: 20 }],
      ['getSatisfactionSurveyMode', { language: 'en_US' }],
      ['saveSatisfaction', { userId: 'u', channelConfigId: 'c', evaluation: '4', npsScore: 7 }],
      ['feedbackSatisfaction', { satisfied: false, from: 'u', interIdx: '3', content: 'meh' }],
      ['doLeaveMessage', { userId: 'u', caller: '123456', message: 'call me' }],
    ]);
  });
});
