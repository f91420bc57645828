/**
 * Every documented result code of every API, as the service would answer it (HTTP 200 with the
 * code in the body, injected through the simulator), mapped to the client's typed outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AiccError,
  DownloadResultCode,
  FeedbackResultCode,
  QueueResultCode,
  ResultCode,
  UploadReturnCode,
  type AiccClient,
  type ApiName,
} from '../../src/client/index.js';
import type { Simulator } from '../../src/simulator/index.js';
import { closeTransports, fastSimulator, TRANSPORTS, type ClientRig } from './helpers.js';

type Call = (client: AiccClient, userId: string, sim: Simulator) => Promise<unknown>;

const calls: Partial<Record<ApiName, Call>> = {
  queryHistoryChatMessage: (c, userId, sim) => c.queryHistoryChatMessage({ channelId: sim.channelId, userId }),
  send: (c, userId, sim) => c.send({ controlType: 'CONNECT', from: userId, to: sim.channelId }),
  sendAsync: (c, userId, sim) => c.sendAsync({ controlType: 'CONNECT', from: userId, to: sim.channelId }),
  doLeaveMessage: (c, userId) => c.doLeaveMessage({ userId, caller: '13866667777', message: 'call me' }),
  poll: (c, userId) => c.poll({ userId }),
  downloadFileStream: (c) => c.downloadFileStream({ fileId: 'abc', fileType: 'jpg', multiMedia: true }),
  queryQueueInfo: (c, userId, sim) => c.queryQueueInfo({ userId, channelConfigId: sim.channelId }),
  uploadFileStream: (c) => c.uploadFileStream({ fileType: 'jpg', data: new Uint8Array([1, 2, 3]) }),
  queryPhraseByKeyword: (c) => c.queryPhraseByKeyword({ text: 'hours', locale: 'en' }),
  getSatisfactionSurveyMode: (c) => c.getSatisfactionSurveyMode(),
  saveSatisfaction: (c, userId, sim) => c.saveSatisfaction({ userId, channelConfigId: sim.channelId, evaluation: '5' }),
  feedbackSatisfaction: (c, userId) => c.feedbackSatisfaction({ satisfied: true, from: userId, interIdx: '1' }),
};

/** [api, documented failure code, body key] — docs/protocol.md#4-the-apis. */
const businessFailures: [ApiName, string, 'resultCode' | 'returnCode'][] = [
  ['queryHistoryChatMessage', ResultCode.FAILURE, 'resultCode'],
  ['send', ResultCode.AFTER_HOURS, 'resultCode'],
  ['send', ResultCode.INTERNAL_FAILURE, 'resultCode'],
  ['send', '160018', 'resultCode'],
  ['sendAsync', ResultCode.INTERNAL_FAILURE, 'resultCode'],
  ['doLeaveMessage', ResultCode.PARAMETER_MISSING, 'resultCode'],
  ['doLeaveMessage', ResultCode.PARAMETER_ERROR, 'resultCode'],
  ['doLeaveMessage', ResultCode.INTERNAL_FAILURE, 'resultCode'],
  ['poll', ResultCode.PARAMETER_ERROR, 'resultCode'],
  ['downloadFileStream', DownloadResultCode.OBJECT_KEY_NULL, 'resultCode'],
  ['downloadFileStream', DownloadResultCode.FAILED, 'resultCode'],
  ['downloadFileStream', DownloadResultCode.PARAMETER_NULL, 'resultCode'],
  ['queryQueueInfo', QueueResultCode.PARAMETER_ERROR, 'resultCode'],
  ['queryQueueInfo', QueueResultCode.CCUCS_REQUEST_FAILED, 'resultCode'],
  ['queryQueueInfo', QueueResultCode.TOKEN_ERROR, 'resultCode'],
  ['queryQueueInfo', QueueResultCode.UNKNOWN_ERROR, 'resultCode'],
  ['queryQueueInfo', QueueResultCode.CCUCS_SESSION_EXPIRED, 'resultCode'],
  ['queryQueueInfo', QueueResultCode.CCUCS_COMMUNICATION_FAILURE, 'resultCode'],
  ['uploadFileStream', UploadReturnCode.PARAMETER_MISSING, 'returnCode'],
  ['uploadFileStream', UploadReturnCode.PARAMETER_ERROR, 'returnCode'],
  ['uploadFileStream', UploadReturnCode.FAILED, 'returnCode'],
  ['queryPhraseByKeyword', ResultCode.FAILURE, 'resultCode'],
  ['getSatisfactionSurveyMode', ResultCode.INTERNAL_FAILURE, 'resultCode'],
  ['saveSatisfaction', ResultCode.INTERNAL_FAILURE, 'resultCode'],
  ['feedbackSatisfaction', FeedbackResultCode.CONTENT_REQUIRED, 'resultCode'],
  ['feedbackSatisfaction', FeedbackResultCode.RATE_LIMITED, 'resultCode'],
  ['feedbackSatisfaction', FeedbackResultCode.CHAT_MODULE_ERROR, 'resultCode'],
  ['feedbackSatisfaction', FeedbackResultCode.NOT_ROBOT_SESSION, 'resultCode'],
  ['feedbackSatisfaction', FeedbackResultCode.AUTH_FAILED, 'resultCode'],
];

afterAll(() => closeTransports());

// Once per transport (helpers.ts): `clientFor` inside is the transport's.
describe.each(TRANSPORTS)('documented result codes ($name transport)', ({ clientFor }) => {
  let sim: Simulator;
  let rig: ClientRig;
  beforeAll(async () => {
    sim = await fastSimulator();
    rig = clientFor(sim);
    await rig.client.authenticate();
  });
  afterAll(() => sim.close());

  it.each(businessFailures)('%s %s → business AiccError', async (api, code, key) => {
    const call = calls[api];
    if (!call) throw new Error(`no call for ${api}`);
    sim.faults.next(api, { status: 200, body: { [key]: code, resultDesc: `documented failure ${code}` } });
    const error = await call(rig.client, rig.userId, sim).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AiccError);
    expect(error).toMatchObject({ kind: 'business', api, resultCode: code, resultDesc: `documented failure ${code}` });
  });

  it('downloadFileStream "401" is a body code, not an expired token: no re-apply', async () => {
    const fresh = clientFor(sim);
    await fresh.client.authenticate();
    sim.faults.next('downloadFileStream', { status: 200, body: { resultCode: '401', resultDesc: 'objectKey is null!' } });
    await expect(fresh.client.downloadFileStream({ fileId: 'x', fileType: 'jpg', multiMedia: true })).rejects.toMatchObject({ resultCode: '401' });
    expect(fresh.tokenRequests).toEqual(['initial']);
    // Elsewhere a body "401" means the token (docs/protocol.md#62-how-401-is-signalled): one re-apply and a retry.
    sim.faults.next('getSatisfactionSurveyMode', { status: 200, body: { resultCode: '401' } });
    await fresh.client.getSatisfactionSurveyMode();
    expect(fresh.tokenRequests).toEqual(['initial', 'unauthorized']);
  });

  it.each([
    [QueueResultCode.WITH_AGENT, { status: 'with-agent' }],
    [QueueResultCode.IN_IVR, { status: 'in-ivr' }],
    [QueueResultCode.SESSION_ENDED, { status: 'ended', resultCode: '5' }],
    [QueueResultCode.SESSION_NOT_FOUND, { status: 'ended', resultCode: '160004' }],
  ])('queryQueueInfo %s is a status, not an error', async (code, status) => {
    sim.faults.next('queryQueueInfo', { status: 200, body: { resultCode: code } });
    expect(await rig.client.queryQueueInfo({ userId: rig.userId, channelConfigId: sim.channelId })).toEqual(status);
  });

  it('queryQueueInfo metrics arrive as integers, also when a server sends strings', async () => {
    sim.faults.next('queryQueueInfo', {
      status: 200,
      body: { resultCode: '0', position: '3', totalWaitTime: 5, currentDeviceWaitTime: 4, configMaxcWaitTime: 60, longestWaitTime: 9, estimateWaitTime: 30 },
    });
    expect(await rig.client.queryQueueInfo({ userId: rig.userId, channelConfigId: sim.channelId })).toEqual({
      status: 'queuing',
      position: 3,
      totalWaitTime: 5,
      currentDeviceWaitTime: 4,
      configMaxWaitTime: 60,
      longestWaitTime: 9,
      estimateWaitTime: 30,
    });
  });

  it('accepts the documented variants of success answers', async () => {
    // saveSatisfaction: the developer-guide example answers only returnCode.
    sim.faults.next('saveSatisfaction', { status: 200, body: { returnCode: '0' } });
    expect((await rig.client.saveSatisfaction({ userId: rig.userId, channelConfigId: sim.channelId, evaluation: '4' })).resultCode).toBe('0');
    // poll: an empty window as null or without the field.
    sim.faults.next('poll', { status: 200, body: { resultCode: '0', downlinkMessages: null } });
    expect(await rig.client.poll({ userId: rig.userId })).toEqual([]);
    sim.faults.next('poll', { status: 200, body: { resultCode: '0' } });
    expect(await rig.client.poll({ userId: rig.userId })).toEqual([]);
    // downloadFileStream: the documented example holds only fileStream.
    sim.faults.next('downloadFileStream', { status: 200, body: { fileStream: 'AQID' } });
    expect((await rig.client.downloadFileStream({ fileId: 'x', fileType: 'jpg', multiMedia: true })).bytes).toEqual(new Uint8Array([1, 2, 3]));
    // queryPhraseByKeyword: `question` typed string in one table.
    sim.faults.next('queryPhraseByKeyword', { status: 200, body: { resultCode: '0', question: 'only one' } });
    expect(await rig.client.queryPhraseByKeyword({ text: 'o', locale: 'en' })).toEqual(['only one']);
    // applyToken: the EN guide's answer has a token and no resultCode.
    sim.faults.next('applyToken', { status: 200, body: { token: 'opaque' } });
    const direct = clientFor(sim).client;
    await expect(direct.authenticate()).resolves.toBeUndefined();
  });

  it('a garbled download stream is a protocol error, not a crash', async () => {
    sim.faults.next('downloadFileStream', { status: 200, body: { resultCode: '0', fileStream: 'not base64!' } });
    await expect(rig.client.downloadFileStream({ fileId: 'x', fileType: 'jpg', multiMedia: true })).rejects.toMatchObject({ kind: 'protocol' });
  });

  it('applyToken "1" (wrong channel) rejects with a business error', async () => {
    const other = clientFor(sim);
    const gatewayClient = other.client;
    await expect(
      gatewayClient.applyToken({ userId: other.userId, userName: 'n', channelId: 'no-such-channel', locale: 'en' }),
    ).rejects.toMatchObject({ kind: 'business', resultCode: '1', api: 'applyToken' });
  });
});
