/**
 * Attacks on the gateway. Each one is refused, and the simulator's request log shows that none
 * of them reached upstream (sim.requests unchanged).
 */
import { connect } from 'node:net';
import { request } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../src/client/index.js';
import { createGateway, memoryGatewayStore } from '../../src/gateway/index.js';
import { createTokenSealer } from '../../src/gateway/sealing.js';
import {
  ALLOWED_ORIGIN,
  BASE_PATH,
  TOKEN_SECRET,
  jsonHeaders,
  newUserId,
  raw,
  startRig,
  tokenFor,
  type RawAnswer,
  type Rig,
} from './helpers.js';
import { sealLegacyV1 } from './legacyToken.js';

const P = (api: keyof typeof API_PATHS): string => BASE_PATH + API_PATHS[api];
const DAY = 24 * 3600_000;

/** Runs `attack` and checks that the simulator saw no request meanwhile. */
async function refused(rig: Rig, attack: () => Promise<RawAnswer>): Promise<RawAnswer> {
  const before = rig.sim.requests.length;
  const answer = await attack();
  expect(rig.sim.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`), `upstream was reached (HTTP ${answer.status} ${answer.body})`).toEqual([]);
  return answer;
}

/** Sends headers plus `firstChunk` and waits for the answer without sending the rest. */
function partial(rig: Rig, path: string, headers: Record<string, string | number>, firstChunk: Buffer): Promise<RawAnswer> {
  const { port, hostname } = new URL(rig.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: 'POST', path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() });
        req.destroy();
      });
    });
    req.on('error', (e) => reject(e));
    req.write(firstChunk);
  });
}

/** Streams chunks (no Content-Length) until the gateway answers. */
function streamUntilAnswered(rig: Rig, path: string, headers: Record<string, string>): Promise<{ answer: RawAnswer; sent: number }> {
  const { port, hostname } = new URL(rig.origin);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = request({ host: hostname, port, method: 'POST', path, headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ answer: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }, sent });
        req.destroy();
      });
    });
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const pump = (): void => {
      while (!answered && sent < 64 * 1024 * 1024) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
    };
    req.write('{"fileType":"jpg","channel":"WEB","fileStream":"');
    pump();
  });
}

/** A raw HTTP/1.1 request over a socket: header bytes exactly as given. */
function rawSocket(rig: Rig, text: string): Promise<string> {
  const { port, hostname } = new URL(rig.origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(text));
    let data = '';
    socket.on('data', (c) => (data += c.toString()));
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('gateway attacks', () => {
  let rig: Rig;
  let alice: { userId: string; cookie: string; token: string };
  let bob: { userId: string; cookie: string; token: string };
  const send = (from: string, to: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ channel: 'WEB', controlType: 'CHAT', mediaType: 'TEXT', content: 'hi', sourceType: 'CUSTOMER', from, to, ...extra });

  beforeAll(async () => {
    rig = await startRig();
    const mk = async () => {
      const userId = newUserId();
      const cookie = rig.login(userId);
      return { userId, cookie, token: await tokenFor(rig, cookie) };
    };
    alice = await mk();
    bob = await mk();
    const connected = await raw(rig, {
      path: P('send'),
      headers: jsonHeaders(alice.cookie, alice.token),
      body: JSON.stringify({ channel: 'WEB', controlType: 'CONNECT', mediaType: 'TEXT', sourceType: 'CUSTOMER', from: alice.userId, to: rig.sim.channelId }),
    });
    expect(connected.status).toBe(200);
  });
  afterAll(() => rig.close());

  describe('cross-user and cross-channel fields', () => {
    const cases = (): Array<[string, keyof typeof API_PATHS, string, number]> => {
      const ch = rig.sim.channelId;
      const a = alice.userId;
      const o = bob.userId;
      return [
        ['send from=bob', 'send', send(o, ch), 403],
        ['sendAsync from=bob', 'sendAsync', send(o, ch), 403],
        ['send to=other channel', 'send', send(a, '999'), 403],
        ['history userId=bob', 'queryHistoryChatMessage', JSON.stringify({ channelId: ch, userId: o, limit: '1', offset: '0', channel: 'WEB' }), 403],
        ['history channelId=other', 'queryHistoryChatMessage', JSON.stringify({ channelId: '999', userId: a, limit: '1', offset: '0', channel: 'WEB' }), 403],
        ['queue userId=bob', 'queryQueueInfo', JSON.stringify({ userId: o, channelConfigId: ch, channel: 'WEB' }), 403],
        ['queue channelConfigId=other', 'queryQueueInfo', JSON.stringify({ userId: a, channelConfigId: '999', channel: 'WEB' }), 403],
        ['leave message callId=bob', 'doLeaveMessage', JSON.stringify({ callId: o, caller: '123456', leaveMessage: 'x', channel: 'WEB' }), 403],
        ['satisfaction flat userId=bob', 'saveSatisfaction', JSON.stringify({ channel: 'WEB', userId: o, evaluation: '5', comment: '', channelConfigId: ch }), 403],
        ['satisfaction flat channel=other', 'saveSatisfaction', JSON.stringify({ channel: 'WEB', userId: a, evaluation: '5', comment: '', channelConfigId: '999' }), 403],
        ['satisfaction wrapped userId=bob', 'saveSatisfaction', JSON.stringify({ satisfication: { channel: 'WEB', userId: o, evaluation: '5', comment: '', channelConfigId: ch } }), 403],
        [
          'satisfaction wrapped alice + flat bob',
          'saveSatisfaction',
          JSON.stringify({ userId: o, satisfication: { channel: 'WEB', userId: a, evaluation: '5', comment: '', channelConfigId: ch } }),
          403,
        ],
        ['satisfaction wrapped not an object', 'saveSatisfaction', JSON.stringify({ satisfication: 'x', userId: a, channelConfigId: ch }), 400],
        ['feedback from=bob', 'feedbackSatisfaction', JSON.stringify({ feedback: 1, from: o, interIdx: '1' }), 403],
        ['send without from', 'send', JSON.stringify({ channel: 'WEB', controlType: 'CHAT', to: ch }), 400],
        ['send from as an array', 'send', send(a, ch, { from: [a] }), 400],
        ['send from as an object', 'send', send(a, ch, { from: { toString: a } }), 400],
        ['duplicate key, bob last', 'send', `{"from":"${a}","to":"${ch}","from":"${o}"}`, 403],
      ];
    };

    it('refuses another user’s id or another channel in every binding field', async () => {
      for (const [name, api, body, status] of cases()) {
        const answer = await refused(rig, () => raw(rig, { path: P(api), headers: jsonHeaders(alice.cookie, alice.token), body }));
        expect(answer.status, name).toBe(status);
      }
    });

    it('refuses another user’s poll, and poll query pollution', async () => {
      const ch = 'channel=WEB';
      for (const [query, status] of [
        [`receiverId=${bob.userId}&${ch}`, 403],
        [`receiverId=${alice.userId}&receiverId=${bob.userId}&${ch}`, 400],
        [`receiverId=${bob.userId}&receiverId=${alice.userId}&${ch}`, 400],
        [`${ch}`, 400],
        [`receiverId=${alice.userId}&${ch}&userId=${bob.userId}`, 400],
        [`receiverId=${alice.userId}&channel=SMS`, 400],
        [`receiverId=${alice.userId}&${ch}&isNeedRead=maybe`, 400],
        [`receiverId=${encodeURIComponent(bob.userId)}%00&${ch}`, 403],
      ] as const) {
        const answer = await refused(rig, () => raw(rig, { method: 'GET', path: `${P('poll')}?${query}`, headers: { cookie: alice.cookie, 'ccmessaging-token': alice.token } }));
        expect(answer.status, query).toBe(status);
      }
    });

    it('forwards what is the caller’s own: duplicate keys collapse to the value checked, feedback from=channel is allowed', async () => {
      const ch = rig.sim.channelId;
      const before = rig.tap.records.length;
      const answer = await raw(rig, { path: P('send'), headers: jsonHeaders(alice.cookie, alice.token), body: `{"from":"${bob.userId}","to":"${ch}","controlType":"INPUT","mediaType":"TEXT","channel":"WEB","sourceType":"CUSTOMER","from":"${alice.userId}"}` });
      expect(answer.status).toBe(200);
      const forwarded = rig.tap.records.slice(before).find((r) => r.url.endsWith('/send'));
      expect(forwarded?.body).not.toContain(bob.userId);
      expect(JSON.parse(forwarded?.body ?? '{}')).toMatchObject({ from: alice.userId });
      const feedback = await raw(rig, { path: P('feedbackSatisfaction'), headers: jsonHeaders(alice.cookie, alice.token), body: JSON.stringify({ feedback: 1, from: ch, interIdx: '1' }) });
      expect(feedback.status).toBe(200);
      expect(rig.sim.violations.filter((v) => v.userId === alice.userId)).toEqual([]);
    });
  });

  describe('paths and methods', () => {
    it('refuses traversal, encoded, doubled, case-variant and non-whitelisted paths with 404', async () => {
      const paths = [
        `${BASE_PATH}/../apigovernance/api/oauth/tokenByAkSk`,
        `${BASE_PATH}/%2e%2e/apigovernance/api/oauth/tokenByAkSk`,
        `${BASE_PATH}/%2E%2E/%2E%2E/apigovernance/api/oauth/tokenByAkSk`,
        `${BASE_PATH}/apiaccess/ccmessaging/%2e%2e/applyToken`,
        `${BASE_PATH}/apiaccess/ccmessaging/send/../applyToken`,
        `${BASE_PATH}/apiaccess/ccmessaging/v1/robot/../../applyToken`,
        `${BASE_PATH}/token/../apiaccess/ccmessaging/applyToken`,
        `${BASE_PATH}//apiaccess/ccmessaging/send`,
        `${BASE_PATH}/apiaccess//ccmessaging/send`,
        `${BASE_PATH}/apiaccess/ccmessaging//send`,
        `${BASE_PATH}/APIACCESS/ccmessaging/send`,
        `${BASE_PATH}/apiaccess/ccmessaging/Send`,
        `${BASE_PATH}/apiaccess/ccmessaging/getSatisfactionSurveyMode`,
        `/AICC/apiaccess/ccmessaging/send`,
        `${BASE_PATH}/apiaccess/ccmessaging/send/`,
        `${BASE_PATH}/apiaccess/ccmessaging/send%2F`,
        `${BASE_PATH}/apiaccess/ccmessaging/sen%64`,
        `${BASE_PATH}/apiaccess%2Fccmessaging%2Fsend`,
        `${BASE_PATH}/apiaccess/ccmessaging/send;jsessionid=1`,
        `${BASE_PATH}/apiaccess/ccmessaging/send%00`,
        `${BASE_PATH}\\apiaccess\\ccmessaging\\send`,
        `${BASE_PATH}/./apiaccess/ccmessaging/send`,
        `http://127.0.0.1${BASE_PATH}/apiaccess/ccmessaging/send`,
        `/apiaccess/ccmessaging/send`,
        `${BASE_PATH}/apigovernance/api/oauth/tokenByAkSk`,
        `${BASE_PATH}/apiaccess/ccmessaging/applyToken`,
        `${BASE_PATH}/apiaccess/ccmessaging/unknown`,
        `${BASE_PATH}/rest/ccmessaging/v1/messages/poll`,
        `${BASE_PATH}`,
        `${BASE_PATH}/`,
        `*`,
      ];
      const body = send(alice.userId, rig.sim.channelId);
      for (const path of paths) {
        const answer = await refused(rig, () => raw(rig, { path, headers: jsonHeaders(alice.cookie, alice.token), body }));
        expect(answer.status, path).toBe(404);
      }
      expect(paths.length).toBe(31);
    });

    it('refuses wrong methods with 404', async () => {
      const cases: Array<[string, string]> = [
        ['GET', P('send')],
        ['PUT', P('send')],
        ['DELETE', P('send')],
        ['PATCH', P('uploadFileStream')],
        ['POST', `${P('poll')}?receiverId=${alice.userId}&channel=WEB`],
        ['HEAD', `${P('poll')}?receiverId=${alice.userId}&channel=WEB`],
        ['GET', `${BASE_PATH}/token`],
        ['OPTIONS', P('send')],
        ['TRACE', P('send')],
      ];
      for (const [method, path] of cases) {
        const answer = await refused(rig, () => raw(rig, { method, path, headers: { cookie: alice.cookie, 'ccmessaging-token': alice.token } }));
        expect(answer.status, `${method} ${path}`).toBe(404);
      }
    });

    it('refuses a query string on POST routes and a body on poll', async () => {
      const q = await refused(rig, () => raw(rig, { path: `${P('send')}?from=${bob.userId}`, headers: jsonHeaders(alice.cookie, alice.token), body: send(alice.userId, rig.sim.channelId) }));
      expect(q.status).toBe(400);
      const framings: Array<Record<string, string | number>> = [{ 'content-length': 7 }, { 'transfer-encoding': 'chunked' }];
      for (const framing of framings) {
        const b = await refused(rig, () =>
          raw(rig, { method: 'GET', path: `${P('poll')}?receiverId=${alice.userId}&channel=WEB`, headers: { cookie: alice.cookie, 'ccmessaging-token': alice.token, ...framing }, body: '{"x":1}' }),
        );
        expect(b.status).toBe(400);
      }
    });
  });

  describe('bodies', () => {
    it('answers 413 on a declared oversized JSON body without waiting for it', async () => {
      const answer = await refused(rig, () =>
        partial(rig, P('send'), { ...jsonHeaders(alice.cookie, alice.token), 'content-length': 70 * 1024 }, Buffer.from('{"from":')),
      );
      expect(answer.status).toBe(413);
    });

    it('answers 413 on a declared oversized upload, and on the token route', async () => {
      const upload = await refused(rig, () =>
        partial(rig, P('uploadFileStream'), { ...jsonHeaders(alice.cookie, alice.token), 'content-length': 100 * 1024 * 1024 }, Buffer.from('{')),
      );
      expect(upload.status).toBe(413);
      const token = await refused(rig, () => partial(rig, `${BASE_PATH}/token`, { cookie: alice.cookie, 'content-type': 'application/json', 'content-length': 1024 * 1024 }, Buffer.from('{')));
      expect(token.status).toBe(413);
    });

    it('answers 413 to a chunked upload as soon as it passes the limit', async () => {
      const before = rig.sim.requests.length;
      const { answer, sent } = await streamUntilAnswered(rig, P('uploadFileStream'), jsonHeaders(alice.cookie, alice.token));
      expect(answer.status).toBe(413);
      expect(sent).toBeLessThan(16 * 1024 * 1024);
      expect(rig.sim.requests.length).toBe(before);
    });

    it('answers 413 to a chunked JSON body past 64 KiB', async () => {
      const before = rig.sim.requests.length;
      const { answer } = await streamUntilAnswered(rig, P('send'), jsonHeaders(alice.cookie, alice.token));
      expect(answer.status).toBe(413);
      expect(rig.sim.requests.length).toBe(before);
    });

    it('refuses malformed JSON and non-object bodies with 400, non-JSON content types with 415', async () => {
      for (const body of ['{"from":', 'null', '[]', '"text"', '42', 'not json', '\uFEFF{}', '']) {
        const answer = await refused(rig, () => raw(rig, { path: P('send'), headers: jsonHeaders(alice.cookie, alice.token), body }));
        expect(answer.status, JSON.stringify(body)).toBe(400);
      }
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
        const answer = await refused(rig, () =>
          raw(rig, { path: P('send'), headers: { ...jsonHeaders(alice.cookie, alice.token), 'content-type': type }, body: send(alice.userId, rig.sim.channelId) }),
        );
        expect(answer.status, type).toBe(415);
      }
    });
  });

  describe('identity and tokens', () => {
    it('refuses missing, forged, foreign, tampered, raw, re-keyed and expired tokens with 401', async () => {
      const body = send(alice.userId, rig.sim.channelId);
      const otherKey = createTokenSealer('another-secret-another-secret-another-secret', { maxAgeMs: DAY });
      const sealer = createTokenSealer(TOKEN_SECRET, { maxAgeMs: DAY });
      const opened = await sealer.open(alice.token);
      if (!opened.ok) throw new Error('alice’s token should open');
      const { claims } = opened;
      const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
      const tokens: Array<[string, string | undefined]> = [
        ['missing', undefined],
        ['empty', ''],
        ['garbage', 'forged-token'],
        ['bob’s token', bob.token],
        ['tampered middle', flip(alice.token, Math.floor(alice.token.length / 2))],
        ['tampered tag', flip(alice.token, alice.token.length - 3)],
        ['truncated', alice.token.slice(0, 40)],
        ['the raw upstream token', claims.token],
        ['sealed with another secret', await otherKey.seal(claims)],
        ['sealed for bob’s id', await sealer.seal({ ...claims, userId: bob.userId })],
        ['sealed for another channel', await sealer.seal({ ...claims, channelId: '999' })],
        ['sealed two days ago', await sealer.seal({ ...claims, issuedAt: Date.now() - 2 * DAY })],
        ['sealed in the future', await sealer.seal({ ...claims, issuedAt: Date.now() + 3600_000 })],
        ['the retired v1 format', sealLegacyV1(TOKEN_SECRET, claims)],
      ];
      for (const [name, token] of tokens) {
        const headers: Record<string, string> = { cookie: alice.cookie, 'content-type': 'application/json' };
        if (token !== undefined) headers['ccmessaging-token'] = token;
        const answer = await refused(rig, () => raw(rig, { path: P('send'), headers, body }));
        expect(answer.status, name).toBe(401);
      }
    });

    it('refuses callers identify() does not know, on the API and on /token', async () => {
      for (const cookie of [undefined, 'sid=nobody', `sid=${alice.cookie}`]) {
        const headers: Record<string, string> = { 'content-type': 'application/json', 'ccmessaging-token': alice.token };
        if (cookie) headers.cookie = cookie;
        const api = await refused(rig, () => raw(rig, { path: P('send'), headers, body: send(alice.userId, rig.sim.channelId) }));
        expect(api.status).toBe(401);
        const token = await refused(rig, () => raw(rig, { path: `${BASE_PATH}/token`, headers, body: '{}' }));
        expect(token.status).toBe(401);
      }
      const textPlain = await refused(rig, () => raw(rig, { path: `${BASE_PATH}/token`, headers: { cookie: alice.cookie, 'content-type': 'text/plain' }, body: '{}' }));
      expect(textPlain.status).toBe(415);
    });

    it('answers 500 without reaching upstream when identify throws or returns a bad identity', async () => {
      const broken = [
        () => {
          throw new Error(`db down, password=${rig.sim.credentials.appSecret}`);
        },
        () => ({ userId: 'x'.repeat(25), userName: 'n', channelId: rig.sim.channelId, locale: 'en' }),
        () => ({ userId: 'a\r\nb', userName: 'n', channelId: rig.sim.channelId, locale: 'en' }),
        () => ({ userId: 'ok' }) as unknown as null,
      ];
      for (const identify of broken) {
        const other = await startRig({ identify });
        try {
          const answer = await refused(other, () => raw(other, { path: `${BASE_PATH}/token`, headers: { 'content-type': 'application/json' }, body: '{}' }));
          expect(answer.status).toBe(500);
          expect(answer.body).not.toContain('password');
          expect(JSON.stringify(other.logs)).not.toContain(rig.sim.credentials.appSecret);
        } finally {
          await other.close();
        }
      }
    });
  });

  describe('headers', () => {
    it('rejects CR/LF inside a header value before the gateway runs (Node’s parser)', async () => {
      const before = rig.sim.requests.length;
      const body = send(alice.userId, rig.sim.channelId);
      const text =
        `POST ${P('send')} HTTP/1.1\r\nHost: x\r\nCookie: ${alice.cookie}\r\nccmessaging-token: ${alice.token}\r\n` +
        `Content-Type: application/json\r\nX-Note: a\rx-app-key: forged\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const answer = await rawSocket(rig, text);
      expect(answer.startsWith('HTTP/1.1 400')).toBe(true);
      expect(rig.sim.requests.length).toBe(before);
    });

    it('forwards only its own header set: forged x-app-key/Authorization, cookies, hop-by-hop and proxy headers stay behind', async () => {
      const before = rig.tap.records.length;
      const answer = await raw(rig, {
        path: P('send'),
        headers: jsonHeaders(alice.cookie, alice.token, {
          'x-app-key': 'forged-app-key',
          authorization: 'Bearer forged-access-token',
          'proxy-authorization': 'Basic Zm9yZ2Vk',
          connection: 'keep-alive, x-hop',
          'x-hop': 'hop-by-hop',
          'keep-alive': 'timeout=99',
          te: 'trailers',
          upgrade: 'websocket',
          'x-forwarded-for': '10.0.0.1',
          'x-forwarded-host': 'evil.example',
          forwarded: 'for=10.0.0.1',
          'x-real-ip': '10.0.0.1',
          'x-http-method-override': 'DELETE',
          'x-token-expire': '3600',
          origin: ALLOWED_ORIGIN,
          referer: `${ALLOWED_ORIGIN}/cart`,
          'user-agent': 'attacker',
        }),
        body: send(alice.userId, rig.sim.channelId, { controlType: 'INPUT' }),
      });
      expect(answer.status).toBe(200);
      const upstream = rig.tap.records.slice(before).find((r) => r.url.endsWith('/send'));
      if (!upstream) throw new Error('the send should have been forwarded');
      expect(Object.keys(upstream.headers).sort()).toEqual(['accept', 'authorization', 'ccmessaging-token', 'connection', 'content-length', 'content-type', 'host', 'x-app-key']);
      expect(upstream.headers['x-app-key']).toBe(rig.sim.credentials.appKey);
      expect(upstream.headers.authorization).toMatch(/^Bearer (?!forged)\S+$/);
      expect(upstream.headers['ccmessaging-token']).not.toBe(alice.token);
      expect(upstream.headers.connection).toBe('keep-alive');
    });

    it('answers only allow-listed headers: set-cookie, server, credentials and hop-by-hop from upstream are stripped', async () => {
      rig.tap.extraResponseHeaders = {
        'set-cookie': ['upstream-session=1; Path=/', 'JSESSIONID=2'],
        server: 'API Fabric',
        'x-powered-by': 'aicc',
        'x-app-key': rig.sim.credentials.appKey,
        authorization: 'Bearer leaked',
        'keep-alive': 'timeout=5',
        'x-internal-trace': 'node-17',
        'access-control-allow-origin': '*',
        'strict-transport-security': 'max-age=1',
      };
      try {
        const answer = await raw(rig, { path: P('queryPhraseByKeyword'), headers: jsonHeaders(alice.cookie, alice.token, { origin: ALLOWED_ORIGIN }), body: JSON.stringify({ strContent: 'hou', locale: 'en', channel: 'WEB' }) });
        expect(answer.status).toBe(200);
        const names = Object.keys(answer.headers).sort();
        expect(names).toEqual([
          'access-control-allow-credentials',
          'access-control-allow-origin',
          'access-control-expose-headers',
          'cache-control',
          'connection',
          'content-length',
          'content-type',
          'date',
          'keep-alive',
          'vary',
          'x-content-type-options',
        ]);
        expect(answer.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      } finally {
        rig.tap.extraResponseHeaders = {};
      }
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string, method: string, headers: string, path = P('send')) =>
      raw(rig, { method: 'OPTIONS', path, headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });

    it('refuses requests and preflights from foreign origins', async () => {
      for (const origin of ['https://evil.example', 'null', 'https://shop.example.com.evil.example', 'https://evil-shop.example.com', 'http://shop.example.com', `${ALLOWED_ORIGIN}:443`, `${ALLOWED_ORIGIN}/`]) {
        const actual = await refused(rig, () => raw(rig, { path: P('send'), headers: jsonHeaders(alice.cookie, alice.token, { origin }), body: send(alice.userId, rig.sim.channelId) }));
        expect(actual.status, origin).toBe(403);
        expect(actual.headers['access-control-allow-origin']).toBeUndefined();
        const pre = await refused(rig, () => preflight(origin, 'POST', 'content-type, ccmessaging-token'));
        expect(pre.status, origin).toBe(403);
        expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      }
    });

    it('answers an allowed preflight exactly, and refuses one asking for credential headers or the wrong method', async () => {
      const ok = await refused(rig, () => preflight(ALLOWED_ORIGIN, 'POST', 'Content-Type, ccmessaging-token'));
      expect(ok.status).toBe(204);
      expect(ok.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED_ORIGIN,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, ccmessaging-token',
        'access-control-expose-headers': 'ccmessaging-token, retry-after',
      });
      expect(ok.headers.vary).toContain('Origin');
      const poll = await refused(rig, () => preflight(ALLOWED_ORIGIN, 'GET', 'ccmessaging-token', `${P('poll')}?receiverId=x&channel=WEB`));
      expect(poll.status).toBe(204);
      for (const [method, headers] of [['POST', 'x-app-key'], ['POST', 'authorization'], ['POST', 'cookie'], ['GET', 'content-type'], ['PUT', '']]) {
        const answer = await refused(rig, () => preflight(ALLOWED_ORIGIN, method ?? '', headers ?? ''));
        expect(answer.status, `${method} ${headers}`).toBe(403);
      }
      const unknown = await refused(rig, () => preflight(ALLOWED_ORIGIN, 'POST', 'content-type', `${BASE_PATH}/apiaccess/ccmessaging/applyToken`));
      expect(unknown.status).toBe(404);
    });
  });
});

describe('gateway rate limits', () => {
  it('answers 429 with Retry-After past the per-user limit, per user, and resets with the window', async () => {
    let clock = Date.UTC(2026, 0, 1, 12, 0, 10);
    const rig = await startRig({ now: () => clock, rateLimit: { windowMs: 60_000, max: 3, perRoute: { token: 2 } } });
    try {
      const phrase = (cookie: string, token: string) =>
        raw(rig, { path: P('queryPhraseByKeyword'), headers: jsonHeaders(cookie, token), body: JSON.stringify({ strContent: 'hou', locale: 'en', channel: 'WEB' }) });
      const a = rig.login(newUserId());
      const b = rig.login(newUserId());
      const aToken = await tokenFor(rig, a);
      const bToken = await tokenFor(rig, b);
      for (let i = 0; i < 3; i++) expect((await phrase(a, aToken)).status).toBe(200);
      const limited = await refused(rig, () => phrase(a, aToken));
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('50');
      // Other users and other buckets are unaffected.
      expect((await phrase(b, bToken)).status).toBe(200);
      expect((await tokenFor(rig, a)).split('.')).toHaveLength(5);
      const tokenLimited = await refused(rig, () => raw(rig, { path: `${BASE_PATH}/token`, headers: { cookie: a, 'content-type': 'application/json' }, body: '{}' }));
      expect(tokenLimited.status).toBe(429);
      clock += 50_000;
      expect((await phrase(a, aToken)).status).toBe(200);
      expect(rig.logs.some((l) => l.status === 429 && l.level === 'warn')).toBe(true);
    } finally {
      await rig.close();
    }
  });

  it('shares counters between gateway instances through one store', async () => {
    // A fixed clock: a window boundary in mid-test would reset the counters.
    const now = () => Date.UTC(2026, 0, 1, 12, 0, 10);
    const store = memoryGatewayStore(now);
    const rig = await startRig({ now, rateLimit: { max: 2 }, store });
    try {
      const second = createGateway({
        upstream: rig.tap.url,
        ...rig.sim.credentials,
        tokenSecret: TOKEN_SECRET,
        basePath: BASE_PATH,
        identify: (req) => (req.headers.cookie === cookie ? { userId, userName: 'n', channelId: rig.sim.channelId, locale: 'en' } : null),
        rateLimit: { max: 2 },
        store,
        now,
      });
      const server = createServer((req, res) => void second.handler(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const secondOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const userId = newUserId();
      const cookie = rig.login(userId);
      try {
        // A token sealed by instance 1 opens on instance 2: no per-user state in either.
        const token = await tokenFor(rig, cookie);
        const phrase = (origin: string) =>
          raw({ origin }, { path: P('queryPhraseByKeyword'), headers: jsonHeaders(cookie, token), body: JSON.stringify({ strContent: 'hou', locale: 'en', channel: 'WEB' }) });
        expect((await phrase(rig.origin)).status).toBe(200);
        expect((await phrase(secondOrigin)).status).toBe(200);
        expect((await refused(rig, () => phrase(secondOrigin))).status).toBe(429);
        expect((await refused(rig, () => phrase(rig.origin))).status).toBe(429);
      } finally {
        await second.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    } finally {
      await rig.close();
    }
  });
});
