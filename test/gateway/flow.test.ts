/**
 * The package's own client, configured as a web page would (baseUrl = gateway, token = the
 * gateway's /token route, no gatewayHeaders), through the gateway to the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultDesc, type ChatDownlink, type DownlinkMessage } from '../../src/client/index.js';
import { BASE_PATH, browserFor, jsonHeaders, logText, raw, startRig, tokenFor, until, type Browser, type Rig } from './helpers.js';
import { OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';

async function pollUntil(b: Browser, predicate: (m: DownlinkMessage) => boolean, maxPolls = 20): Promise<DownlinkMessage> {
  for (let i = 0; i < maxPolls; i++) {
    for (const message of await b.client.poll({ userId: b.userId })) if (predicate(message)) return message;
  }
  throw new Error('no matching message');
}

/** A compact JWE (five base64url parts, the header a JSON object). */
const JWE = /^eyJ[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/;

const isChat = (m: DownlinkMessage): m is ChatDownlink => m.controlType === 'CHAT';

/** Every secret the gateway holds or upstream handed out. */
function secrets(rig: Rig): string[] {
  return [rig.sim.credentials.appKey, rig.sim.credentials.appSecret, ...rig.tap.secretsSeen()];
}

function leaks(haystack: string, needles: string[]): string[] {
  return needles.filter((n) => haystack.includes(n));
}

describe('client → gateway → simulator', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.close());

  it('runs robot → agent → survey → DISCONNECT, with rotation, 401 re-apply and 403 renewal on the way', async () => {
    const { sim, tap } = rig;
    const b = browserFor(rig);
    const { client, userId } = b;
    const channelId = sim.channelId;

    expect(await client.queryHistoryChatMessage({ channelId, userId })).toEqual([]);
    expect((await client.send({ controlType: 'CONNECT', from: userId, to: channelId })).resultDesc).toBe(ResultDesc.connectRobot);
    const greeting = await pollUntil(b, (m) => m.sourceType === 'ROBOT');
    expect(isChat(greeting) && greeting.interIdx).toBe('1');

    await client.send({ controlType: 'CHAT', mediaType: 'TEXT', content: 'opening hours?', from: userId, to: channelId });
    const reply = await pollUntil(b, (m) => m.sourceType === 'ROBOT');
    const interIdx = (reply as ChatDownlink).interIdx ?? '';
    // feedbacksatisfaction: `from` may be the user id (or the channel id, see the attack tests).
    expect((await client.feedbackSatisfaction({ satisfied: true, from: userId, interIdx })).resultCode).toBe('0');

    // Rotation: upstream puts a new token in a response header; the gateway re-seals it.
    sim.tokens.rotate(userId);
    await client.poll({ userId });
    expect(b.rotations).toHaveLength(1);
    expect(b.rotations[0]).toMatch(JWE);
    expect(tap.records.filter((r) => typeof r.responseHeaders['ccmessaging-token'] === 'string')).toHaveLength(1);

    // Robot → agent through the queue.
    await client.send({ controlType: 'TRANS2AGENT', from: userId, to: channelId });
    expect((await client.queryQueueInfo({ userId, channelConfigId: channelId })).status).toBe('queuing');
    sim.queue.serve(userId);
    expect(await client.queryQueueInfo({ userId, channelConfigId: channelId })).toEqual({ status: 'with-agent' });
    await pollUntil(b, (m) => m.sourceType === 'AGENT');

    // 401: the upstream token dies; the client re-applies through /token and retries.
    const tokenCalls = () => tap.records.filter((r) => r.url.endsWith('/applyToken')).length;
    expect(tokenCalls()).toBe(1);
    sim.tokens.expire(userId);
    await client.send({ controlType: 'CHAT', mediaType: 'TEXT', content: 'after expiry', from: userId, to: channelId });
    expect(tokenCalls()).toBe(2);
    expect(sim.requestsFor('send', userId).slice(-2).map((r) => r.status)).toEqual([401, 200]);

    // 403: every AccessToken dies; the gateway renews it and retries once; the browser sees 200.
    const akSkBefore = sim.requestsFor('tokenByAkSk').length;
    const sendsBefore = sim.requestsFor('send').length;
    sim.tokens.expireAccessTokens();
    await client.send({ controlType: 'CHAT', mediaType: 'TEXT', content: 'after 403', from: userId, to: channelId });
    expect(sim.requestsFor('tokenByAkSk').length).toBe(akSkBefore + 1);
    expect(sim.requestsFor('send').slice(sendsBefore).map((r) => r.status)).toEqual([403, 200]);
    expect(b.seen.some((r) => r.status === 403)).toBe(false);

    // Files: a 2 MiB upload fits the default upload limit; a download comes back.
    const big = new Uint8Array(2 * 1024 * 1024).map((_, i) => i % 251);
    const { objectKey } = await client.uploadFileStream({ fileType: 'jpg', data: big });
    // The browser holds the key tagged for this customer (files.test.ts); upstream has the raw one.
    expect(objectKey).toMatch(/~[A-Za-z0-9_-]{22}$/);
    expect(sim.files.get(objectKey.slice(0, objectKey.lastIndexOf('~')))?.length).toBe(big.length);
    await client.send({ controlType: 'CHAT', mediaType: 'IMAGE', content: objectKey, from: userId, to: channelId });
    const bytes = new Uint8Array(3000).map((_, i) => (i * 7) % 256);
    sim.agent.sendFile(userId, { bytes, fileType: 'png', local: true });
    const image = await pollUntil(b, (m) => isChat(m) && m.content.mediaType === 'IMAGE');
    if (!isChat(image) || image.content.mediaType !== 'IMAGE') throw new Error('expected an image');
    expect((await client.downloadFileStream(image.content.file)).bytes).toEqual(bytes);

    // The agent ends; survey; DISCONNECT.
    sim.agent.end(userId);
    await pollUntil(b, (m) => m.controlType === 'DISCONNECT');
    const mode = await client.getSatisfactionSurveyMode({ language: 'en_US' });
    expect(mode.surveyType).toBe('WEB');
    const saved = await client.saveSatisfaction({ userId, channelConfigId: channelId, evaluation: '5', comment: 'great', npsScore: 9, fcr: true });
    expect(saved.resultCode).toBe('0');
    expect((await client.send({ controlType: 'DISCONNECT', from: userId, to: channelId })).resultCode).toBe('0');

    expect(sim.session(userId)?.endReason).toBe('agent-end');
    expect(sim.session(userId)?.satisfaction?.evaluation).toBe('5');
    expect(sim.violations.filter((v) => v.userId === userId)).toEqual([]);

    // What the browser saw: sealed tokens only, no secret in any header or body.
    const browserText = b.seen.map((r) => JSON.stringify(r.headers) + r.body).join('\n');
    // The scan is meaningful: the tap saw AccessTokens and raw tokens, the browser saw /token answers.
    expect(rig.tap.secretsSeen().length).toBeGreaterThanOrEqual(4);
    expect(b.seen.filter((r) => /"token":"eyJ[\w-]*\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+"/.test(r.body))).toHaveLength(2);
    expect(leaks(browserText, secrets(rig))).toEqual([]);
    expect(leaks(logText(rig.logs), secrets(rig))).toEqual([]);
    expect(rig.logs.some((l) => l.userId === userId && l.api === 'send' && l.status === 200 && typeof l.ms === 'number')).toBe(true);
  });

  it('two users chat at once, each bound to their own session', async () => {
    const [a, b] = [browserFor(rig), browserFor(rig)];
    const channelId = rig.sim.channelId;
    await Promise.all([a, b].map((x) => x.client.send({ controlType: 'CONNECT', from: x.userId, to: channelId })));
    await Promise.all([a, b].map((x) => pollUntil(x, (m) => m.sourceType === 'ROBOT')));
    await a.client.send({ controlType: 'CHAT', mediaType: 'TEXT', content: 'I am A', from: a.userId, to: channelId });
    expect(rig.sim.session(a.userId)?.transcript.some((t) => t.content === 'I am A')).toBe(true);
    expect(rig.sim.session(b.userId)?.transcript.some((t) => t.content === 'I am A')).toBe(false);
    expect(rig.sim.violations).toEqual([]);
  });

  it('passes an empty long poll through after the window', async () => {
    const b = browserFor(rig);
    await b.client.send({ controlType: 'CONNECT', from: b.userId, to: rig.sim.channelId });
    await pollUntil(b, (m) => m.sourceType === 'ROBOT');
    const started = Date.now();
    expect(await b.client.poll({ userId: b.userId })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(rig.sim.timing.longPollWindowMs - 20);
  });

  it('every refusal and error answer is free of secrets, and so is the log', async () => {
    const b = browserFor(rig);
    await b.client.authenticate();
    const token = await tokenFor(rig, b.cookie);
    const answers = await Promise.all([
      raw(rig, { path: `${BASE_PATH}/apiaccess/ccmessaging/send`, headers: jsonHeaders(b.cookie, token), body: '{"from":"someone-else","to":"x"}' }),
      raw(rig, { path: `${BASE_PATH}/apigovernance/api/oauth/tokenByAkSk`, headers: jsonHeaders(b.cookie, token), body: '{}' }),
      raw(rig, { path: `${BASE_PATH}/apiaccess/ccmessaging/send`, headers: jsonHeaders(b.cookie, 'forged'), body: '{}' }),
      raw(rig, { path: `${BASE_PATH}/apiaccess/ccmessaging/send`, headers: jsonHeaders(b.cookie, token), body: '{' }),
      raw(rig, { path: `${BASE_PATH}/apiaccess/ccmessaging/send`, headers: jsonHeaders(b.cookie, token), body: JSON.stringify({ from: b.userId, to: rig.sim.channelId, controlType: 'NOPE' }) }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([403, 404, 401, 400, 200]);
    const text = answers.map((a) => JSON.stringify(a.headers) + a.body).join('\n');
    expect(leaks(text, secrets(rig))).toEqual([]);
    expect(leaks(logText(rig.logs), secrets(rig))).toEqual([]);
  });
});

describe('gateway long poll and upstream failures', () => {
  let rig: Rig;
  beforeAll(async () => {
    // A window no test outlives, so the poll below is surely still waiting when the browser leaves.
    rig = await startRig(
      { longPollWindowMs: OUTLASTS_ANY_TEST_MS, pollTimeoutMs: OUTLASTS_ANY_TEST_MS + 1_000 },
      { timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } },
    );
  });
  afterAll(() => rig.close());

  it('aborts the upstream poll when the browser disconnects', async () => {
    const b = browserFor(rig);
    await b.client.send({ controlType: 'CONNECT', from: b.userId, to: rig.sim.channelId });
    await b.client.poll({ userId: b.userId }); // the greeting is waiting: answered at once
    const controller = new AbortController();
    const pending = b.client.poll({ userId: b.userId }, { signal: controller.signal });
    await until(() => rig.sim.requestsFor('poll', b.userId).some((r) => r.status === 0));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    await until(() => rig.sim.requestsFor('poll', b.userId).some((r) => r.abandoned === true));
    await until(() => rig.logs.some((l) => l.api === 'poll' && l.status === 499));
  });

  it('answers 504 when upstream outlives the poll timeout, 502 when upstream is gone', async () => {
    const slow = await startRig({ pollTimeoutMs: 100 });
    try {
      const b = browserFor(slow);
      await b.client.authenticate();
      slow.sim.faults.next('poll', { delayMs: 1000 });
      await expect(b.client.poll({ userId: b.userId })).rejects.toMatchObject({ kind: 'http', status: 504 });
      await slow.tap.close();
      await expect(b.client.queryPhraseByKeyword({ text: 'hours', locale: 'en' })).rejects.toMatchObject({ kind: 'http', status: 502 });
    } finally {
      await slow.close();
    }
  });
});
