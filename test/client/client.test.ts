import { Agent as HttpAgent } from 'node:http';
import { inspect } from 'node:util';
import axios from 'axios';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AiccError,
  akSkGatewayHeaders,
  createAiccClient,
  FeedbackResultCode,
  ResultCode,
  ResultDesc,
  type ChatDownlink,
  type DownlinkMessage,
} from '../../src/client/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { API_PATHS, TransportError, type AiccClientOptions, type HttpRequest, type HttpResponse, type HttpTransport } from '../../src/client/index.js';
import { fetchTransport } from '../../src/client/transports/fetch.js';
import { nodeTransport } from '../../src/client/transports/node.js';
import { loadAxiosTransport } from '../../src/client/transport.js';
import { sharedHttp } from '../../src/client/transports/axios.js';
import { chatInput, clientFor, closeTransports, connectInput, fastSimulator, newUserId, TRANSPORTS } from './helpers.js';
import { budget, eventually, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';

async function rejection(promise: Promise<unknown>): Promise<AiccError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AiccError);
    return error as AiccError;
  }
  throw new Error('expected the call to reject');
}

/** Polls until a message matching `predicate` arrives (each poll is a real long poll). */
async function pollUntil(
  poll: () => Promise<DownlinkMessage[]>,
  predicate: (message: DownlinkMessage) => boolean,
  maxPolls = 20,
): Promise<{ match: DownlinkMessage; seen: DownlinkMessage[] }> {
  const seen: DownlinkMessage[] = [];
  for (let i = 0; i < maxPolls; i++) {
    for (const message of await poll()) {
      seen.push(message);
      if (predicate(message)) return { match: message, seen };
    }
  }
  throw new Error(`no matching message after ${maxPolls} polls; saw ${JSON.stringify(seen.map((m) => m.controlType))}`);
}

const isChat = (m: DownlinkMessage): m is ChatDownlink => m.controlType === 'CHAT';

function violationsOf(sim: Simulator, userId: string) {
  return sim.violations.filter((v) => v.userId === userId);
}

afterAll(() => closeTransports());

// Every suite but the axios-specific one at the end runs once per transport (helpers.ts, TRANSPORTS):
// `createAiccClient` and `clientFor` inside are the transport's.
describe.each(TRANSPORTS)('client against the robot-then-agent simulator ($name transport)', ({ createAiccClient, clientFor }) => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await fastSimulator({ scenario: 'robot-then-agent' });
  });
  afterAll(() => sim.close());

  it('tokenByAkSk returns a parsed AccessToken and rejects a wrong secret as HTTP 401', async () => {
    const client = createAiccClient({ baseUrl: sim.url });
    const token = await client.tokenByAkSk({ ...sim.credentials, expiresInSeconds: 120 });
    expect(token.accessToken).toMatch(/.+/);
    expect(token.expiresAt - Date.now()).toBeGreaterThan(110_000);
    expect(token.expiresAt - Date.now()).toBeLessThanOrEqual(120_000);
    const request = sim.requestsFor('tokenByAkSk').at(-1);
    expect(request?.headers['x-token-expire']).toBe('120');

    const error = await rejection(client.tokenByAkSk({ appKey: sim.credentials.appKey, appSecret: 'wrong' }));
    expect(error).toMatchObject({ kind: 'http', status: 401, api: 'tokenByAkSk' });
    await expect(client.tokenByAkSk({ ...sim.credentials, expiresInSeconds: 7200 })).rejects.toMatchObject({
      kind: 'validation',
      field: 'expiresInSeconds',
    });
  });

  it('applyToken validates before sending and returns the token', async () => {
    const { client, userId } = clientFor(sim);
    const before = sim.requests.length;
    await expect(client.applyToken({ userId: 'x'.repeat(33), userName: 'n', channelId: sim.channelId, locale: 'en' })).rejects.toMatchObject({
      kind: 'validation',
      field: 'userId',
    });
    await expect(client.applyToken({ userId, userName: 'n', channelId: sim.channelId, locale: 'english' })).rejects.toMatchObject({
      kind: 'validation',
      field: 'locale',
    });
    expect(sim.requests.length).toBe(before);
    const gateway = akSkGatewayHeaders({ baseUrl: sim.url, ...sim.credentials });
    const direct = createAiccClient({ baseUrl: sim.url, gatewayHeaders: gateway });
    const { token } = await direct.applyToken({ userId, userName: 'n', channelId: sim.channelId, locale: 'en_US' });
    expect(token.length).toBeGreaterThan(10);
  });

  it('one caller aborting does not cancel the token fetch the others wait for', async () => {
    const inner = clientFor(sim);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const client = createAiccClient({
      baseUrl: sim.url,
      gatewayHeaders: akSkGatewayHeaders({ baseUrl: sim.url, ...sim.credentials }),
      token: async () => {
        calls += 1;
        await gate;
        return (await inner.client.applyToken({ userId: inner.userId, userName: 'n', channelId: sim.channelId, locale: 'en' })).token;
      },
    });
    const controller = new AbortController();
    const impatient = client.getSatisfactionSurveyMode(undefined, { signal: controller.signal });
    const patient = client.getSatisfactionSurveyMode();
    controller.abort();
    await expect(impatient).rejects.toMatchObject({ kind: 'aborted' });
    release();
    expect((await patient).surveyType).toBe('WEB');
    expect(calls).toBe(1);
  });

  it('authenticate asks the provider once, however many calls wait for it', async () => {
    const rig = clientFor(sim);
    await Promise.all([rig.client.authenticate(), rig.client.authenticate(), rig.client.getSatisfactionSurveyMode()]);
    expect(rig.tokenRequests).toEqual(['initial']);
  });

  it('connects to the robot, polls its greeting and chats; wire fields are strings as documented', async () => {
    const { client, userId } = clientFor(sim);
    const connected = await client.send(connectInput(sim, userId));
    expect(connected.resultDesc).toBe(ResultDesc.connectRobot);

    const { match: greeting } = await pollUntil(() => client.poll({ userId }), (m) => m.sourceType === 'ROBOT');
    expect(isChat(greeting) && greeting.interIdx).toBe('1');
    expect(isChat(greeting) && greeting.content.mediaType).toBe('TEXT');
    expect(greeting.key).toMatch(/^[0-9A-F]{64}$/);

    const sent = await client.send(chatInput(sim, userId, 'what are your opening hours?'));
    expect(sent.resultDesc).toBe(ResultDesc.chatRobot);
    const { match: reply } = await pollUntil(() => client.poll({ userId }), (m) => m.sourceType === 'ROBOT');
    expect(isChat(reply) && Number(reply.interIdx)).toBeGreaterThan(1);

    const wire = sim.requestsFor('send', userId).at(-1)?.body as Record<string, unknown>;
    expect(wire).toMatchObject({ channel: 'WEB', controlType: 'CHAT', sourceType: 'CUSTOMER', mediaType: 'TEXT', to: sim.channelId });
    expect(typeof wire.timestamp).toBe('string');
    const pollRequest = sim.requestsFor('poll', userId).at(-1);
    expect(pollRequest).toMatchObject({ method: 'GET', query: { receiverId: userId, channel: 'WEB' } });
    expect(violationsOf(sim, userId)).toEqual([]);
  });

  it('poll puts a user id with reserved characters into the query string intact', async () => {
    const userId = `a b+c:d$e,[f]/é&=${Math.floor(Math.random() * 1e4)}`;
    const { client } = clientFor(sim, {}, userId);
    await client.send(connectInput(sim, userId));
    const { match: greeting } = await pollUntil(() => client.poll({ userId, isNeedRead: true }), (m) => m.sourceType === 'ROBOT');
    expect(greeting.to).toBe(userId);
    const polls = sim.requestsFor('poll', userId);
    expect(polls.length).toBeGreaterThan(0);
    expect(violationsOf(sim, userId)).toEqual([]);
  });

  it('a long poll with nothing waiting answers an empty list after the window', async () => {
    const { client, userId } = clientFor(sim);
    await client.send(connectInput(sim, userId));
    await pollUntil(() => client.poll({ userId }), (m) => m.sourceType === 'ROBOT');
    const started = Date.now();
    expect(await client.poll({ userId })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('sendAsync only acknowledges acceptance', async () => {
    const { client, userId } = clientFor(sim);
    const result = await client.sendAsync(connectInput(sim, userId));
    expect(result).toEqual({ resultCode: '0', resultDesc: ResultDesc.sendAsyncAccepted });
    await pollUntil(() => client.poll({ userId }), (m) => m.sourceType === 'ROBOT');
    expect(violationsOf(sim, userId)).toEqual([]);
  });

  it('CHAT before CONNECT is a business error 13; bad text is refused before sending', async () => {
    const { client, userId } = clientFor(sim);
    const error = await rejection(client.send(chatInput(sim, userId, 'hi')));
    expect(error).toMatchObject({ kind: 'business', resultCode: ResultCode.INTERNAL_FAILURE, api: 'send' });
    const before = sim.requests.length;
    await expect(client.send(chatInput(sim, userId, 'é'.repeat(513)))).rejects.toMatchObject({ kind: 'validation', field: 'content' });
    await expect(client.send(chatInput(sim, userId, '   '))).rejects.toMatchObject({ kind: 'validation', field: 'content' });
    await expect(client.send({ ...chatInput(sim, userId, 'x'), from: 'y'.repeat(25) })).rejects.toMatchObject({ field: 'from' });
    expect(sim.requests.length).toBe(before);
    // Messages name the api, the field and the rule; exactly 1024 UTF-8 bytes (256 × 4) still goes out.
    expect((await rejection(client.send(chatInput(sim, userId, '版'.repeat(342))))).message).toBe('send: content must be at most 1024 bytes of UTF-8 (got 1026)');
    expect(await rejection(client.send(chatInput(sim, userId, '😀'.repeat(256))))).toMatchObject({ kind: 'business', api: 'send' });
  });

  it('transfers robot → agent through the queue, then queryQueueInfo reports the agent', async () => {
    const { client, userId } = clientFor(sim);
    await client.send(connectInput(sim, userId));
    await client.send({ controlType: 'TRANS2AGENT', from: userId, to: sim.channelId });
    const queued = await client.queryQueueInfo({ userId, channelConfigId: sim.channelId });
    expect(queued.status).toBe('queuing');
    if (queued.status === 'queuing') {
      expect(queued.position).toBe(sim.scenario.initialQueuePosition);
      expect(Number.isInteger(queued.estimateWaitTime)).toBe(true);
    }
    sim.queue.setPosition(userId, 3);
    sim.queue.advance(userId);
    const moved = await client.queryQueueInfo({ userId, channelConfigId: sim.channelId });
    expect(moved.status === 'queuing' && moved.position).toBe(2);
    sim.queue.serve(userId);
    expect(await client.queryQueueInfo({ userId, channelConfigId: sim.channelId })).toEqual({ status: 'with-agent' });
    await pollUntil(() => client.poll({ userId }), (m) => m.sourceType === 'AGENT');
    expect(violationsOf(sim, userId)).toEqual([]);
  });

  it('uploads a file, sends it, and downloads the agent’s files (local and media library)', async () => {
    const { client, userId } = clientFor(sim);
    await client.send(connectInput(sim, userId));
    await client.send({ controlType: 'TRANS2AGENT', from: userId, to: sim.channelId });
    sim.queue.serve(userId);

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 250, 251, 252]);
    const { objectKey } = await client.uploadFileStream({ fileType: 'PNG', data: new Blob([png]) });
    expect(sim.files.get(objectKey)).toEqual(png);
    await client.send({ controlType: 'CHAT', mediaType: 'IMAGE', content: objectKey, from: userId, to: sim.channelId });
    expect(sim.requestsFor('uploadFileStream', userId).at(-1)?.body).toMatchObject({ fileType: 'png', channel: 'WEB' });

    const bytes = new Uint8Array(3000).map((_, i) => (i * 7) % 256);
    for (const local of [true, false]) {
      sim.agent.sendFile(userId, { bytes, fileType: 'jpg', mediaType: 'IMAGE', local });
      const { match } = await pollUntil(
        () => client.poll({ userId }),
        (m) => isChat(m) && m.content.mediaType === 'IMAGE',
      );
      if (!isChat(match) || match.content.mediaType !== 'IMAGE') throw new Error('expected an image');
      expect(match.content.file.multiMedia).toBe(!local);
      expect(match.content.file.fileId.startsWith('local/')).toBe(local);
      const file = await client.downloadFileStream(match.content.file);
      expect(file.bytes).toEqual(bytes);
      expect(file.fileType).toBe('jpg');
    }
    expect(violationsOf(sim, userId)).toEqual([]);
  });

  it('refuses bad uploads before sending: type, emptiness, size, shape', async () => {
    const { client } = clientFor(sim, { uploadMaxBytes: 10 });
    const before = sim.requests.length;
    await expect(client.uploadFileStream({ fileType: 'exe', data: new Uint8Array([1]) })).rejects.toMatchObject({ field: 'fileType' });
    await expect(client.uploadFileStream({ fileType: 'jpg', data: new Uint8Array() })).rejects.toMatchObject({ field: 'data' });
    await expect(client.uploadFileStream({ fileType: 'jpg', data: new Uint8Array(11) })).rejects.toMatchObject({ field: 'data' });
    await expect(client.uploadFileStream({ fileType: 'jpg', data: 'text' as unknown as Uint8Array })).rejects.toMatchObject({ field: 'data' });
    expect(sim.requests.length).toBe(before);
  });

  it('respects the download cap on both sides', async () => {
    const { client, userId } = clientFor(sim, { downloadMaxBytes: 1000 });
    await client.send(connectInput(sim, userId));
    await client.send({ controlType: 'TRANS2AGENT', from: userId, to: sim.channelId });
    sim.queue.serve(userId);
    const { fileId } = sim.agent.sendFile(userId, { bytes: new Uint8Array(5000), fileType: 'png', local: true });
    const error = await rejection(client.downloadFileStream({ fileId: `local/${fileId}`, fileType: 'png', multiMedia: false }));
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/cap|larger/);
    await expect(client.downloadFileStream({ fileId: `local/${fileId}`, fileType: 'gif', multiMedia: false })).rejects.toMatchObject({ kind: 'validation' });
    const unknown = await rejection(clientFor(sim, {}, userId).client.downloadFileStream({ fileId: 'local/nope', fileType: 'png', multiMedia: false }));
    expect(unknown).toMatchObject({ kind: 'business', resultCode: '13' });
  });

  it('suggests at most five phrases', async () => {
    const { client, userId } = clientFor(sim);
    await client.send(connectInput(sim, userId));
    const faq = sim.scenario.robot.faq;
    const keyword = (faq[0] ?? 'a').slice(0, 3);
    const phrases = await client.queryPhraseByKeyword({ text: keyword, locale: 'en' });
    expect(phrases.length).toBeGreaterThan(0);
    expect(phrases.length).toBeLessThanOrEqual(5);
    for (const phrase of phrases) expect(phrase.toLowerCase()).toContain(keyword.toLowerCase());
    await expect(client.queryPhraseByKeyword({ text: '', locale: 'en' })).rejects.toMatchObject({ kind: 'validation' });
  });

  it('reads the survey mode and saves an agent rating after an agent chat', async () => {
    const { client, userId } = clientFor(sim);
    await client.send(connectInput(sim, userId));
    const early = await rejection(client.saveSatisfaction({ userId, channelConfigId: sim.channelId, evaluation: '5' }));
    expect(early).toMatchObject({ kind: 'business', resultCode: '13', resultDesc: ResultDesc.satisfactionNoCall });

    await client.send({ controlType: 'TRANS2AGENT', from: userId, to: sim.channelId });
    sim.queue.serve(userId);
    const mode = await client.getSatisfactionSurveyMode({ language: 'en_US' });
    expect(mode.surveyType).toBe('WEB');
    if (mode.surveyType !== 'WEB') return;
    expect(mode.levels.map((l) => l.key)).toEqual(sim.scenario.surveyLevels.map((l) => l.key));
    const saved = await client.saveSatisfaction({
      userId,
      channelConfigId: sim.channelId,
      evaluation: mode.levels.at(-1)?.key ?? '5',
      comment: 'quick and kind',
      npsScore: 9,
      fcr: true,
    });
    expect(saved.resultCode).toBe('0');
    expect(sim.requestsFor('saveSatisfaction', userId).at(-1)?.body).toEqual({
      channel: 'WEB',
      userId,
      evaluation: '5',
      comment: 'quick and kind',
      channelConfigId: sim.channelId,
      npsScore: '9',
      fcrValue: '1',
    });
    await expect(client.saveSatisfaction({ userId, channelConfigId: sim.channelId, evaluation: '5', npsScore: 11 })).rejects.toMatchObject({
      field: 'npsScore',
    });
    expect(violationsOf(sim, userId)).toEqual([]);
  });

  it('rates the robot with the last interIdx; too late after DISCONNECT', async () => {
    const { client, userId } = clientFor(sim);
    await client.send(connectInput(sim, userId));
    const { match } = await pollUntil(() => client.poll({ userId }), (m) => m.sourceType === 'ROBOT');
    const interIdx = (match as ChatDownlink).interIdx ?? '';
    await expect(client.feedbackSatisfaction({ satisfied: false, from: userId, interIdx })).rejects.toMatchObject({
      kind: 'validation',
      field: 'content',
    });
    const ok = await client.feedbackSatisfaction({ satisfied: false, content: 'did not understand me', from: userId, interIdx });
    expect(ok.resultCode).toBe('0');
    expect(sim.requestsFor('feedbackSatisfaction', userId).at(-1)?.body).toEqual({
      feedback: 0,
      feedbackContent: 'did not understand me',
      from: userId,
      interIdx,
    });
    await client.send({ controlType: 'DISCONNECT', from: userId, to: sim.channelId });
    const late = await rejection(client.feedbackSatisfaction({ satisfied: true, from: userId, interIdx }));
    expect(late).toMatchObject({ kind: 'business', resultCode: FeedbackResultCode.NOT_ROBOT_SESSION });
    expect(violationsOf(sim, userId)).toEqual([]);
  });

  it('reads history with string paging on the wire, customers mapped from USER', async () => {
    const { client, userId } = clientFor(sim);
    sim.seedHistory(userId, [
      { sourceType: 'USER', content: 'old question', sendTime: 1_659_938_956_000, mediaType: 'TEXT' },
      { sourceType: 'AGENT', content: 'old answer', sendTime: 1_659_938_957_000, mediaType: 'TEXT' },
    ]);
    const history = await client.queryHistoryChatMessage({ channelId: sim.channelId, userId, limit: 10 });
    expect(history.map((m) => m.content).sort()).toEqual(['old answer', 'old question']);
    expect(history.find((m) => m.content === 'old question')?.sourceType).toBe('CUSTOMER');
    expect(new Set(history.map((m) => m.key)).size).toBe(2);
    const wire = sim.requestsFor('queryHistoryChatMessage', userId).at(-1)?.body;
    expect(wire).toMatchObject({ limit: '10', offset: '0', channel: 'WEB', userId, channelId: sim.channelId });
    const page = await client.queryHistoryChatMessage({ channelId: sim.channelId, userId, limit: 1, offset: 1 });
    expect(page).toHaveLength(1);
    await expect(client.queryHistoryChatMessage({ channelId: sim.channelId, userId, limit: -1 })).rejects.toMatchObject({ field: 'limit' });
  });
});

describe.each(TRANSPORTS)('client and the flow’s failure answers ($name transport)', ({ clientFor }) => {
  it('CONNECT after hours answers 12; leave-message works and validates', async () => {
    const sim = await fastSimulator({ scenario: 'after-hours' });
    try {
      const { client, userId } = clientFor(sim);
      const error = await rejection(client.send(connectInput(sim, userId)));
      expect(error).toMatchObject({ kind: 'business', resultCode: ResultCode.AFTER_HOURS, resultDesc: ResultDesc.afterHours });
      await expect(client.doLeaveMessage({ userId, caller: 'call me', message: 'x' })).rejects.toMatchObject({ field: 'caller' });
      const saved = await client.doLeaveMessage({ userId, caller: '+86 138-6666-7777', message: 'please call me back' });
      expect(saved.resultDesc).toBe(ResultDesc.leaveMessageSaved);
      expect(sim.session(userId)?.leaveMessages).toHaveLength(1);
      expect(violationsOf(sim, userId)).toEqual([]);
    } finally {
      await sim.close();
    }
  });

  it('CONNECT without CCUCS answers 13; no-survey reports NO', async () => {
    const sim = await fastSimulator({ scenario: { connectFailure: 'no-ccucs' } });
    const quiet = await fastSimulator({ scenario: 'no-survey' });
    try {
      const { client, userId } = clientFor(sim);
      await expect(client.send(connectInput(sim, userId))).rejects.toMatchObject({ resultCode: '13', resultDesc: ResultDesc.noCcucs });
      const other = clientFor(quiet);
      expect(await other.client.getSatisfactionSurveyMode()).toEqual({ surveyType: 'NO' });
    } finally {
      await Promise.all([sim.close(), quiet.close()]);
    }
  });

  it('robot-only: a transfer request is refused with 13', async () => {
    const sim = await fastSimulator({ scenario: 'robot-only' });
    try {
      const { client, userId } = clientFor(sim);
      await client.send(connectInput(sim, userId));
      await expect(client.send({ controlType: 'TRANS2AGENT', from: userId, to: sim.channelId })).rejects.toMatchObject({
        kind: 'business',
        resultCode: '13',
      });
    } finally {
      await sim.close();
    }
  });
});

describe.each(TRANSPORTS)('client auth: rotation, 401 re-apply, 403 renewal ($name transport)', ({ createAiccClient, clientFor }) => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await fastSimulator({ scenario: 'robot-then-agent', timing: { tokenRotationGraceMs: 0 } });
  });
  afterAll(() => sim.close());

  it('follows a token rotated through the response header without asking the provider', async () => {
    const rotated = vi.fn();
    const rig = clientFor(sim, { onTokenRotated: rotated });
    await rig.client.send(connectInput(sim, rig.userId));
    sim.tokens.rotate(rig.userId);
    await rig.client.poll({ userId: rig.userId });
    expect(rotated).toHaveBeenCalledTimes(1);
    const newToken = rotated.mock.calls[0]?.[0] as string;
    expect(newToken).not.toBe(rig.issuedTokens[0]);
    // Grace is 0: the old token is dead, so this only works with the rotated one.
    await rig.client.send(chatInput(sim, rig.userId, 'still here'));
    expect(rig.tokenRequests).toEqual(['initial']);
    expect(violationsOf(sim, rig.userId)).toEqual([]);
  });

  it('re-applies once on 401 and retries the call', async () => {
    const rig = clientFor(sim);
    await rig.client.send(connectInput(sim, rig.userId));
    sim.tokens.expire(rig.userId);
    await rig.client.send(chatInput(sim, rig.userId, 'after expiry'));
    expect(rig.tokenRequests).toEqual(['initial', 'unauthorized']);
    const statuses = sim.requestsFor('send', rig.userId).map((r) => r.status);
    expect(statuses).toEqual([200, 401, 200]);
  });

  it('gives up after one re-apply when the new token fails too', async () => {
    const client = createAiccClient({
      baseUrl: sim.url,
      gatewayHeaders: akSkGatewayHeaders({ baseUrl: sim.url, ...sim.credentials }),
      token: () => 'forged-token',
    });
    const userId = newUserId();
    const error = await rejection(client.send(connectInput(sim, userId)));
    expect(error).toMatchObject({ kind: 'http', status: 401 });
    expect(sim.requestsFor('send').filter((r) => r.body && (r.body as { from?: string }).from === userId)).toHaveLength(2);
  });

  it('renews the AccessToken on 403 and retries', async () => {
    const rig = clientFor(sim);
    await rig.client.authenticate();
    const before = sim.requestsFor('tokenByAkSk').length;
    const sendsBefore = sim.requestsFor('send').length;
    sim.tokens.expireAccessTokens();
    await rig.client.send(connectInput(sim, rig.userId));
    expect(sim.requestsFor('tokenByAkSk').length).toBe(before + 1);
    // The gateway refuses before it knows the user, so look at every send since.
    expect(sim.requestsFor('send').slice(sendsBefore).map((r) => r.status)).toEqual([403, 200]);
  });

  it('caches the AccessToken until shortly before expiry', async () => {
    let clock = Date.now();
    const headers = akSkGatewayHeaders({ baseUrl: sim.url, ...sim.credentials, expiresInSeconds: 100, renewBeforeMs: 10_000, now: () => clock });
    const count = () => sim.requestsFor('tokenByAkSk').length;
    const start = count();
    const first = await headers({ forceRefresh: false });
    clock += 80_000;
    expect(await headers({ forceRefresh: false })).toEqual(first);
    expect(count()).toBe(start + 1);
    clock += 15_000; // inside the renew margin
    const renewed = await headers({ forceRefresh: false });
    expect(renewed.Authorization).not.toBe(first.Authorization);
    expect(renewed['x-app-key']).toBe(sim.credentials.appKey);
    expect(count()).toBe(start + 2);
  });
});

describe.each(TRANSPORTS)('client failures: timeout, abort, network, HTTP errors, secrets ($name transport)', ({ createAiccClient, clientFor }) => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await fastSimulator({ scenario: 'robot-then-agent' });
  });
  afterAll(() => sim.close());

  it('times out with outcomeUnknown, and the delayed send still took effect', async () => {
    // The request must reach the server before the client's timeout: a race window, scaled. The
    // answer is held past any test, so the client surely times out first.
    const rig = clientFor(sim, { timeoutMs: budget(300) });
    await rig.client.authenticate();
    sim.faults.next('send', { delayMs: OUTLASTS_ANY_TEST_MS });
    const error = await rejection(rig.client.send(connectInput(sim, rig.userId)));
    expect(error).toMatchObject({ kind: 'timeout', api: 'send', outcomeUnknown: true });
    await eventually(() => expect(sim.session(rig.userId)?.state).toBe('robot'));
  });

  it('aborts a long poll through its AbortSignal', async () => {
    const rig = clientFor(sim, { longPollWindowMs: 5_000 });
    await rig.client.send(connectInput(sim, rig.userId));
    await pollUntil(() => rig.client.poll({ userId: rig.userId }), (m) => m.sourceType === 'ROBOT');
    const controller = new AbortController();
    const pending = rig.client.poll({ userId: rig.userId }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await rejection(pending)).toMatchObject({ kind: 'aborted', api: 'poll', outcomeUnknown: false });
  });

  it('maps a reset connection and a refused connection to network errors', async () => {
    const rig = clientFor(sim);
    await rig.client.authenticate();
    sim.faults.next('queryQueueInfo', { reset: true });
    const reset = await rejection(rig.client.queryQueueInfo({ userId: rig.userId, channelConfigId: sim.channelId }));
    expect(reset).toMatchObject({ kind: 'network', outcomeUnknown: true });

    const closed = await fastSimulator();
    const url = closed.url;
    await closed.close();
    const refused = await rejection(createAiccClient({ baseUrl: url }).tokenByAkSk(sim.credentials));
    expect(refused).toMatchObject({ kind: 'network', outcomeUnknown: false });
  });

  it('maps HTTP 500 with the gateway body, and bad JSON to a protocol error', async () => {
    const rig = clientFor(sim);
    await rig.client.authenticate();
    sim.faults.next('getSatisfactionSurveyMode', { status: 500, body: { errorCode: '500', exceptionInfo: 'boom' } });
    const error = await rejection(rig.client.getSatisfactionSurveyMode());
    expect(error).toMatchObject({ kind: 'http', status: 500, errorCode: '500', exceptionInfo: 'boom' });
    sim.faults.next('getSatisfactionSurveyMode', { status: 200, body: '{"resultCode":' });
    expect(await rejection(rig.client.getSatisfactionSurveyMode())).toMatchObject({ kind: 'protocol' });
  });

  it('never puts a token or a secret into an error', async () => {
    const rig = clientFor(sim, { timeoutMs: 50 });
    await rig.client.authenticate();
    const token = rig.issuedTokens[0] ?? '';
    sim.faults.next('send', { delayMs: 200 });
    const timeout = await rejection(rig.client.send(connectInput(sim, rig.userId)));
    sim.faults.next('send', { status: 500 });
    const http = await rejection(rig.client.send(connectInput(sim, rig.userId)));
    for (const error of [timeout, http]) {
      const dump = `${error.message} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(sim.credentials.appSecret);
      expect(dump).not.toMatch(/Bearer /);
    }
  });

  it('times out a poll without outcomeUnknown (a GET changes nothing)', async () => {
    const rig = clientFor(sim);
    await rig.client.authenticate();
    sim.faults.next('poll', { delayMs: OUTLASTS_ANY_TEST_MS });
    const error = await rejection(rig.client.poll({ userId: rig.userId }, { timeoutMs: budget(100) }));
    expect(error).toMatchObject({ kind: 'timeout', api: 'poll', outcomeUnknown: false });
  });

  it('sends nothing for a call whose signal aborted already', async () => {
    const rig = clientFor(sim);
    await rig.client.getSatisfactionSurveyMode(); // token and gateway headers held
    const before = sim.requests.length;
    const controller = new AbortController();
    controller.abort();
    expect(await rejection(rig.client.send(connectInput(sim, rig.userId), { signal: controller.signal }))).toMatchObject({ kind: 'aborted', api: 'send' });
    expect(await rejection(rig.client.poll({ userId: rig.userId }, { signal: controller.signal }))).toMatchObject({ kind: 'aborted', api: 'poll', outcomeUnknown: false });
    expect(sim.requests.length).toBe(before);
  });

  it('refuses an answer over the answer cap as a protocol error', async () => {
    const { client, userId } = clientFor(sim, { downloadMaxBytes: 1000 });
    await client.send(connectInput(sim, userId));
    await client.send({ controlType: 'TRANS2AGENT', from: userId, to: sim.channelId });
    sim.queue.serve(userId);
    // The cap on the answer is the download cap in Base64 plus 64 KB: 200 KB is far over it.
    const { fileId } = sim.agent.sendFile(userId, { bytes: new Uint8Array(200_000), fileType: 'png', local: true });
    const error = await rejection(client.downloadFileStream({ fileId: `local/${fileId}`, fileType: 'png', multiMedia: false }));
    expect(error).toMatchObject({ kind: 'protocol', api: 'downloadFileStream', message: 'downloadFileStream: the answer is larger than allowed' });
    expect(error.outcomeUnknown).toBeUndefined();
    // The client still works afterwards.
    expect((await client.getSatisfactionSurveyMode()).surveyType).toBe('WEB');
  });
});

describe('axios transport: instances and interceptors', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await fastSimulator({ scenario: 'robot-then-agent' });
    // client.http is readable once axios has loaded (a client's first request does it).
    await loadAxiosTransport();
  });
  afterAll(() => sim.close());

  it('uses an injected axios instance, so interceptors see every call', async () => {
    const http = axios.create();
    const seen: string[] = [];
    http.interceptors.request.use((config) => {
      seen.push(String(config.url));
      return config;
    });
    const rig = clientFor(sim, { axios: http });
    expect(rig.client.http).toBe(http);
    await rig.client.getSatisfactionSurveyMode();
    expect(seen.some((url) => url.endsWith('/apiaccess/ccmessaging/getsatisfactionsurveymode'))).toBe(true);
  });

  it('gives a client its own axios instance once it reads client.http; interceptors stay with that client', async () => {
    const first = clientFor(sim);
    const second = clientFor(sim);
    const firstHttp = first.client.http;
    expect(first.client.http).toBe(firstHttp); // the same instance on every read
    const secondHttp = second.client.http;
    expect(secondHttp).not.toBe(firstHttp);
    expect(firstHttp).not.toBe(axios); // never the global default instance

    const seenByFirst: string[] = [];
    const seenBySecond: string[] = [];
    firstHttp.interceptors.request.use((config) => (seenByFirst.push(String(config.url)), config));
    secondHttp.interceptors.request.use((config) => (seenBySecond.push(String(config.url)), config));
    await first.client.send(connectInput(sim, first.userId));
    expect(seenByFirst.filter((url) => url.endsWith('/apiaccess/ccmessaging/send'))).toHaveLength(1);
    expect(seenBySecond).toEqual([]);
    await second.client.poll({ userId: second.userId });
    expect(seenBySecond.filter((url) => url.includes('/apiaccess/ccmessaging/poll?'))).toHaveLength(1);
    expect(seenByFirst.some((url) => url.includes('/poll'))).toBe(false);
  });

  it('shares one axios instance between clients that never read client.http', async () => {
    const seen: string[] = [];
    const id = sharedHttp().interceptors.request.use((config) => (seen.push(String(config.url)), config));
    try {
      const rigs = [clientFor(sim), clientFor(sim)];
      for (const rig of rigs) await rig.client.send(connectInput(sim, rig.userId));
      expect(seen.filter((url) => url.endsWith('/apiaccess/ccmessaging/send'))).toHaveLength(2);
      // Reading http gives that client its own instance for every later call.
      const own = rigs[0]!.client.http;
      expect(own).not.toBe(sharedHttp());
      seen.length = 0;
      await rigs[0]!.client.send(connectInput(sim, rigs[0]!.userId));
      await rigs[1]!.client.send(connectInput(sim, rigs[1]!.userId));
      expect(seen.filter((url) => url.endsWith('/apiaccess/ccmessaging/send'))).toHaveLength(1);
    } finally {
      sharedHttp().interceptors.request.eject(id);
    }
  });
});

describe('transports: the pluggable layer', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await fastSimulator({ scenario: 'robot-then-agent' });
  });
  afterAll(() => sim.close());

  const ok = (headers: HttpResponse['headers'] = {}): HttpResponse => ({ status: 200, headers, body: JSON.stringify({ resultCode: '0', resultDesc: 'ok' }) });

  /** A client on a transport of the test's own, answering (or failing) as `next` says. */
  function fakeClient(options: Partial<AiccClientOptions> = {}) {
    const requests: HttpRequest[] = [];
    const rig = { requests, next: async (): Promise<HttpResponse> => ok() };
    const transport: HttpTransport = {
      name: 'fake',
      request: (request) => {
        requests.push({ ...request, headers: { ...request.headers } });
        return rig.next();
      },
    };
    const client = createAiccClient({ baseUrl: 'http://fake.invalid/', token: () => 'token-1', transport, ...options });
    return { ...rig, rig, client };
  }

  it('a client on a transport has no axios instance; transport and axios exclude each other', () => {
    const client = createAiccClient({ baseUrl: sim.url, transport: fetchTransport() });
    expect(() => client.http).toThrow(expect.objectContaining({ kind: 'validation', field: 'http' }));
    expect(() => createAiccClient({ baseUrl: sim.url, transport: fetchTransport(), axios: axios.create() })).toThrow(
      expect.objectContaining({ kind: 'validation', field: 'transport' }),
    );
    expect(() => createAiccClient({ baseUrl: sim.url, transport: {} as HttpTransport })).toThrow(expect.objectContaining({ field: 'transport' }));
  });

  it('a transport of your own gets the exchange and its answer goes through the same rules', async () => {
    const rotated = vi.fn();
    const fake = fakeClient({ onTokenRotated: rotated, timeoutMs: 1234 });
    // A repeated header may come as a list: the first value counts.
    fake.rig.next = async () => ok({ 'ccmessaging-token': ['token-2', 'token-x'] });
    await fake.client.send({ controlType: 'CONNECT', from: 'u1', to: 'c1' });
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      url: `http://fake.invalid${API_PATHS.send}`,
      headers: { 'ccmessaging-token': 'token-1', 'content-type': 'application/json; charset=UTF-8' },
      timeoutMs: 1234,
    });
    expect(JSON.parse(fake.requests[0]?.body ?? '')).toMatchObject({ controlType: 'CONNECT', from: 'u1' });
    expect(rotated).toHaveBeenCalledWith('token-2');
    fake.rig.next = async () => ok();
    await fake.client.poll({ userId: 'u1' });
    expect(fake.requests[1]).toMatchObject({ method: 'GET', url: `http://fake.invalid${API_PATHS.poll}?receiverId=u1&channel=WEB`, body: undefined });
    expect(fake.requests[1]?.headers['ccmessaging-token']).toBe('token-2');
    expect(fake.requests[1]?.headers['content-type']).toBeUndefined();
  });

  it('maps each TransportError reason to the same AiccError, by method', async () => {
    const fake = fakeClient();
    const send = () => rejection(fake.client.send({ controlType: 'CONNECT', from: 'u1', to: 'c1' }));
    const poll = () => rejection(fake.client.poll({ userId: 'u1' }));
    const cases: [TransportError, Partial<AiccError>, Partial<AiccError>][] = [
      [new TransportError('not-sent', 'ECONNREFUSED'), { kind: 'network', outcomeUnknown: false, message: 'send: network error (ECONNREFUSED)' }, { kind: 'network', outcomeUnknown: false }],
      [new TransportError('network', 'ECONNRESET'), { kind: 'network', outcomeUnknown: true, message: 'send: network error (ECONNRESET)' }, { kind: 'network', outcomeUnknown: false }],
      [new TransportError('network'), { kind: 'network', outcomeUnknown: true, message: 'send: network error' }, { kind: 'network', outcomeUnknown: false }],
      [new TransportError('timeout'), { kind: 'timeout', outcomeUnknown: true, message: 'send: no answer within the timeout' }, { kind: 'timeout', outcomeUnknown: false }],
      [new TransportError('aborted'), { kind: 'aborted', outcomeUnknown: true, message: 'send: aborted' }, { kind: 'aborted', outcomeUnknown: false }],
      [new TransportError('too-large'), { kind: 'protocol', message: 'send: the answer is larger than allowed' }, { kind: 'protocol' }],
    ];
    for (const [thrown, onPost, onGet] of cases) {
      fake.rig.next = () => Promise.reject(thrown);
      expect(await send(), thrown.message).toMatchObject(onPost);
      expect(await poll(), thrown.message).toMatchObject(onGet);
    }
    // Anything else a transport throws is a network error that keeps it as the cause.
    const own = new Error('my transport broke');
    fake.rig.next = () => Promise.reject(own);
    const error = await send();
    expect(error).toMatchObject({ kind: 'network', message: 'send: my transport broke' });
    expect(error.cause).toBe(own);
    // Whatever it throws, a call whose signal fired was aborted.
    const controller = new AbortController();
    fake.rig.next = () => (controller.abort(), Promise.reject(own));
    expect(await rejection(fake.client.send({ controlType: 'CONNECT', from: 'u1', to: 'c1' }, { signal: controller.signal }))).toMatchObject({
      kind: 'aborted',
      outcomeUnknown: true,
    });
  });

  it('fetch: a failure that does not say why (a browser) may have reached the server', async () => {
    const failing = (cause?: unknown) => fetchTransport({ fetch: () => Promise.reject(new TypeError('Failed to fetch', cause === undefined ? undefined : { cause })) });
    const client = (transport: HttpTransport) => createAiccClient({ baseUrl: sim.url, token: () => 't', transport });
    const input = { controlType: 'CONNECT' as const, from: 'u1', to: 'c1' };
    expect(await rejection(client(failing()).send(input))).toMatchObject({ kind: 'network', outcomeUnknown: true, message: 'send: network error' });
    expect(await rejection(client(failing({ code: 'ENOTFOUND' })).send(input))).toMatchObject({ kind: 'network', outcomeUnknown: false });
  });

  it('fetch: passes its init through and follows no redirect', async () => {
    const seen: RequestInit[] = [];
    const transport = fetchTransport({
      init: { credentials: 'include' },
      fetch: async (_url, init) => (seen.push(init ?? {}), new Response(JSON.stringify({ resultCode: '0' }), { status: 200 })),
    });
    await createAiccClient({ baseUrl: sim.url, token: () => 't', transport }).send({ controlType: 'CONNECT', from: 'u1', to: 'c1' });
    expect(seen[0]).toMatchObject({ credentials: 'include', redirect: 'manual', method: 'POST' });
  });

  it('node: keeps connections alive and reuses them across calls and clients', async () => {
    let connections = 0;
    class CountingAgent extends HttpAgent {
      override createConnection(...args: Parameters<HttpAgent['createConnection']>): ReturnType<HttpAgent['createConnection']> {
        connections += 1;
        return super.createConnection(...args);
      }
    }
    const transport = nodeTransport({ httpAgent: new CountingAgent({ keepAlive: true }) });
    try {
      const rigs = [clientFor(sim, { transport }), clientFor(sim, { transport })];
      for (const rig of rigs) {
        await rig.client.send(connectInput(sim, rig.userId));
        await rig.client.getSatisfactionSurveyMode();
      }
      // Two clients, each with its token and gateway clients: well over ten requests, one at a time.
      expect(sim.requests.filter((r) => rigs.some((rig) => r.userId === rig.userId)).length).toBeGreaterThan(3);
      expect(connections).toBe(1);
    } finally {
      transport.httpAgents[0]?.destroy();
    }
  });
});
