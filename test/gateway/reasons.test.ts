/**
 * Gateway refusals reach the page typed: the gateway's answer names its reason, the client keeps
 * it as `AiccError.gatewayReason` (token route and forwarded calls alike), and the view shows the
 * reason's text in English and Chinese, not "HTTP 403". Over real HTTP: client → gateway →
 * simulator.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from 'xstate';
import { AiccError, GATEWAY_REFUSAL_REASONS, createAiccClient, type AiccErrorInfo } from '../../src/client/index.js';
import { GATEWAY_REASONS, gatewayTokenProvider } from '../../src/gateway/index.js';
import { CHAT_TEXTS, chatView, createChatSession, errorText } from '../../src/index.js';
import { ZH_CN_TEXTS } from '../../src/locales/zh_CN.js';
import { ALLOWED_ORIGIN, BASE_PATH, browserFor, jsonHeaders, newUserId, raw, startRig, tokenFor, until, type Rig } from './helpers.js';
import { budget, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';

/** A Vite dev server's origin: not in the rig's allowedOrigins. */
const DEV_ORIGIN = 'http://localhost:5173';

async function rejection(promise: unknown): Promise<AiccError> {
  const error: unknown = await Promise.resolve(promise).then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AiccError);
  return error as AiccError;
}

describe('gateway refusal reasons', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ rateLimit: { windowMs: 60_000, max: 1000, perRoute: { token: 50, queryPhraseByKeyword: 1 } } });
  });
  afterAll(() => rig.close());

  it('the gateway has one text per reason of the shared list, and nothing else', () => {
    expect(Object.keys(GATEWAY_REASONS).sort()).toEqual([...GATEWAY_REFUSAL_REASONS].sort());
  });

  it('a refused origin: the token route answers reason "origin", naming the origin and the option', async () => {
    const answer = await raw(rig, { path: `${BASE_PATH}/token`, headers: { origin: DEV_ORIGIN, 'content-type': 'application/json' }, body: '{}' });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toEqual({
      errorCode: '403',
      exceptionInfo: `origin not allowed: add ${DEV_ORIGIN} to allowedOrigins (behind a dev-server proxy too: the browser's Origin is passed on unchanged)`,
      reason: 'origin',
    });
    // Something that is not an origin is not echoed.
    const odd = await raw(rig, { path: `${BASE_PATH}/token`, headers: { origin: 'http://x/"<script>', 'content-type': 'application/json' }, body: '{}' });
    expect(JSON.parse(odd.body)).toEqual({ errorCode: '403', exceptionInfo: GATEWAY_REASONS.origin, reason: 'origin' });
  });

  it('gatewayTokenProvider turns the refusal into a typed AiccError, shown as the origin text in both catalogues', async () => {
    const provider = gatewayTokenProvider(rig.url, { headers: { origin: DEV_ORIGIN } });
    const error = await rejection(provider({ reason: 'initial' }));
    expect(error.toJSON()).toMatchObject({ kind: 'http', api: 'applyToken', status: 403, errorCode: '403', gatewayReason: 'origin' });
    expect(error.message).toContain(`add ${DEV_ORIGIN} to allowedOrigins`);
    expect(errorText(error.toJSON())).toBe(CHAT_TEXTS.gatewayReasons.origin);
    expect(errorText(error.toJSON())).toContain('allowedOrigins');
    expect(errorText(error.toJSON(), ZH_CN_TEXTS)).toBe(ZH_CN_TEXTS.gatewayReasons.origin);
  });

  it('an unidentified caller: reason "unidentified"', async () => {
    const provider = gatewayTokenProvider(rig.url, { headers: { origin: ALLOWED_ORIGIN } });
    const error = await rejection(provider({ reason: 'initial' }));
    expect(error).toMatchObject({ status: 401, gatewayReason: 'unidentified' });
    expect(errorText(error.toJSON())).toBe('Please sign in to chat with us.');
  });

  it('a forwarded call over its rate limit: reason "rateLimited" (axios transport)', async () => {
    const { client } = browserFor(rig);
    const ask = () => client.queryPhraseByKeyword({ text: 'opening', locale: 'en_US' });
    await ask();
    const error = await rejection(ask());
    expect(error).toMatchObject({ kind: 'http', api: 'queryPhraseByKeyword', status: 429, gatewayReason: 'rateLimited' });
    expect(errorText(error.toJSON())).toBe('Too many requests. Please wait a moment.');
    expect(errorText(error.toJSON(), ZH_CN_TEXTS)).toBe('请求过于频繁，请稍候。');
  });

  it('a call over the customer\'s requests in flight: reason "inFlight", shown as "please wait"', async () => {
    let identified = 0;
    let own: Rig | undefined;
    const sessionOf = (cookie: string | undefined) => /(?:^|;\s*)sid=([^;]+)/.exec(cookie ?? '')?.[1] ?? '';
    own = await startRig({
      limits: { inFlightPerCustomer: 1, bodyTimeoutMs: OUTLASTS_ANY_TEST_MS },
      identify: (req) => {
        identified += 1;
        return own?.identities.get(sessionOf(req.headers.cookie)) ?? null;
      },
    });
    const r = own;
    try {
      const { client, cookie } = browserFor(r);
      const token = await tokenFor(r, cookie);
      // One request of this customer whose body has not come in yet.
      const { hostname, port } = new URL(r.origin);
      const slow = request({ host: hostname, port, method: 'POST', path: `${BASE_PATH}/apiaccess/ccmessaging/getsatisfactionsurveymode`, headers: { ...jsonHeaders(cookie, token), 'content-length': 2 }, agent: false });
      slow.on('error', () => {});
      const before = identified;
      slow.write('{');
      await until(() => identified === before + 1);
      const error = await rejection(client.getSatisfactionSurveyMode({ language: 'en_US' }));
      expect(error).toMatchObject({ kind: 'http', status: 429, gatewayReason: 'inFlight', exceptionInfo: GATEWAY_REASONS.inFlight });
      expect(errorText(error.toJSON())).toBe('Too many requests. Please wait a moment.');
      expect(errorText(error.toJSON(), ZH_CN_TEXTS)).toBe('请求过于频繁，请稍候。');
      slow.destroy();
    } finally {
      await r.close();
    }
  });

  it('a request for someone else: reason "notCaller", the text saying which field', async () => {
    const { client, userId } = browserFor(rig);
    const error = await rejection(client.queryHistoryChatMessage({ channelId: rig.sim.channelId, userId: `${userId}x` }));
    expect(error).toMatchObject({ status: 403, gatewayReason: 'notCaller', exceptionInfo: 'userId does not belong to the caller' });
    expect(errorText(error.toJSON())).toBe('The chat service refused the request: userId does not belong to the caller');
  });

  it('answers that are not the gateway’s carry no reason (an unknown name is dropped, not passed on)', async () => {
    rig.sim.faults.next('getSatisfactionSurveyMode', { status: 500, body: { errorCode: '500', exceptionInfo: 'boom', reason: 'somethingElse' } });
    const { client } = browserFor(rig);
    const error = await rejection(client.getSatisfactionSurveyMode({ language: 'en_US' }));
    expect(error.status).toBe(500);
    expect(error.gatewayReason).toBeUndefined();
    expect('gatewayReason' in error.toJSON()).toBe(false);
    expect(errorText(error.toJSON())).toBe('The chat service answered HTTP 500.');
  });

  it('a session from a refused origin ends auth-failed, and its view says why (not "HTTP 403")', async () => {
    const userId = newUserId();
    const cookie = rig.login(userId);
    const headers = { cookie, origin: DEV_ORIGIN };
    const client = createAiccClient({ baseUrl: rig.url, token: gatewayTokenProvider(rig.url, { headers }) });
    const session = createChatSession({ client, identity: { userId, userName: 'Dev', channelId: rig.sim.channelId, locale: 'zh_CN' } });
    session.start();
    try {
      const ended = await waitFor(session, (s) => s.status === 'done', { timeout: budget(10_000) });
      const view = chatView(ended, { locales: [ZH_CN_TEXTS] });
      expect(view.endReason).toBe('auth-failed');
      expect((view.error as AiccErrorInfo).gatewayReason).toBe('origin');
      expect(view.errorText).toBe(ZH_CN_TEXTS.gatewayReasons.origin);
      expect(chatView(ended, { locale: 'en_US' }).errorText).toBe(CHAT_TEXTS.gatewayReasons.origin);
      expect(rig.sim.requestsFor('send', userId)).toHaveLength(0);
    } finally {
      session.stop();
    }
  });
});
