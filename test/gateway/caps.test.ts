/**
 * Caps on what one customer and one client address hold open at once (issue 17.2, "caps per IP
 * and per customer on open connections"): requests in flight per customer, per client address
 * (counted before identify) and uploads in flight per address, in the gateway, per process; and
 * connections per peer address in createGatewayServer / createGatewayHttp2Server. Over real
 * HTTP/1.1 connections and HTTP/2 streams, in front of the stub upstream (stubUpstream.ts).
 *
 * "In flight" is watched, never timed: a request holds its slots once identify() has run for it
 * (`identifyCalls`), and an exchange is over once the server's response says so (`exchanges`).
 */
import type { Server } from 'node:http';
import type { ClientHttp2Session, Http2Server } from 'node:http2';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { API_PATHS } from '../../src/client/index.js';
import {
  createGatewayHttp2Server,
  DEFAULT_IN_FLIGHT_PER_ADDRESS,
  DEFAULT_IN_FLIGHT_PER_CUSTOMER,
  DEFAULT_UPLOADS_PER_ADDRESS,
  GATEWAY_REASONS,
  type GatewayOptions,
  type GatewayRefusalReason,
} from '../../src/gateway/index.js';
import { eventually, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';
import { h2, h2Answer, h2Connect, h2Open } from './h2Client.js';
import { until } from './helpers.js';
import { open, P, pollPath, send, startStubRig, tokenOf, type Answer, type Held, type StubRig } from './stubRig.js';

type AnyRig = StubRig<Server | Http2Server>;

/** A request whose body comes later (HTTP/2: abort is RST_STREAM). */
type Pending = Held;

interface RequestOptions {
  method?: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** How the test talks to the gateway: a connection per request (HTTP/1.1) or streams of one h2c session. */
interface Wire {
  name: string;
  start(overrides: Partial<GatewayOptions>): Promise<AnyRig>;
  send(r: AnyRig, options: RequestOptions): Promise<Answer>;
  /**
   * A POST with `first` of its body sent now (nothing but the headers when ''), `declared` bytes
   * in Content-Length (none when undefined: chunked over HTTP/1.1).
   */
  slow(r: AnyRig, path: string, headers: Record<string, string>, first: string, declared?: number): Pending;
  /** A GET (a poll) to hold open. */
  get(r: AnyRig, path: string, headers: Record<string, string>): Pick<Pending, 'answer' | 'settled' | 'abort'>;
  stop(): void;
}

function http1Slow(origin: string, path: string, headers: Record<string, string>, first: string, declared?: number): Pending {
  const all = declared === undefined ? headers : { ...headers, 'content-length': String(declared) };
  return open(origin, { path, headers: all, body: first, partial: true });
}

/** Adds `settled` to a request's handle. */
function settling<T extends { answer: Promise<Answer | null> }>(handle: T): T & { readonly settled: boolean } {
  let settled = false;
  void handle.answer.then(() => (settled = true));
  // (Object.assign would copy the getter's value, not the getter.)
  return Object.defineProperty(handle, 'settled', { get: () => settled }) as T & { readonly settled: boolean };
}

/** The answer of a request that should be answered now (a refusal): waits with a hang detector, not until the test times out. */
async function answered(p: Pick<Pending, 'answer' | 'settled'>): Promise<Answer | null> {
  await eventually(() => p.settled, { what: 'an answer' });
  return p.answer;
}

const http1: Wire = {
  name: 'HTTP/1.1',
  start: (overrides) => startStubRig(overrides),
  send: (r, options) => send(r.origin, options),
  slow: (r, path, headers, first, declared) => http1Slow(r.origin, path, headers, first, declared),
  get: (r, path, headers) => open(r.origin, { method: 'GET', path, headers }),
  stop: () => {},
};

function http2Wire(): Wire {
  let session: ClientHttp2Session | undefined;
  const sessionOf = (): ClientHttp2Session => {
    if (!session) throw new Error('no session: start() first');
    return session;
  };
  return {
    name: 'HTTP/2',
    async start(overrides) {
      const r: AnyRig = await startStubRig(overrides, (gateway) => createGatewayHttp2Server(gateway));
      session = await h2Connect(r.origin);
      return r;
    },
    send: (_r, options) => h2(sessionOf(), options),
    slow(_r, path, headers, first, declared) {
      const all = declared === undefined ? headers : { ...headers, 'content-length': String(declared) };
      const stream = sessionOf().request({ ':method': 'POST', ':path': path, ...all }, { endStream: false });
      if (first !== '') stream.write(first);
      return settling({
        answer: h2Answer(stream).catch(() => null),
        finish: (rest?: string) => stream.end(rest),
        // destroy(): RST_STREAM at once (close() would end the body first).
        abort: () => stream.destroy(),
      });
    },
    get(_r, path, headers) {
      const stream = h2Open(sessionOf(), { method: 'GET', path, headers });
      return settling({ answer: h2Answer(stream).catch(() => null), abort: () => stream.destroy() });
    },
    stop() {
      session?.destroy();
      session = undefined;
    },
  };
}

/** Exchanges the server has open: a request counts from its arrival until its response finishes or closes. */
function exchanges(server: Server | Http2Server): () => number {
  let open = 0;
  server.on('request', (_req: unknown, res: { once(event: string, listener: () => void): unknown }) => {
    open += 1;
    let over = false;
    const end = (): void => {
      if (over) return;
      over = true;
      open -= 1;
    };
    res.once('finish', end);
    res.once('close', end);
  });
  return () => open;
}

const surveyPath = P('getSatisfactionSurveyMode');
const uploadPath = P('uploadFileStream');

/** A refusal of the caps: 429, Retry-After, the reason in the body. */
function expectRefused(answer: Answer | null, reason: GatewayRefusalReason): void {
  expect(answer?.status).toBe(429);
  expect(Number(answer?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  expect(JSON.parse(answer?.body ?? '{}')).toEqual({ errorCode: '429', exceptionInfo: GATEWAY_REASONS[reason], reason });
}

interface User {
  userId: string;
  headers: Record<string, string>;
}

let rig: AnyRig | undefined;
let wire: Wire | undefined;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  wire?.stop();
  await rig?.close();
  rig = undefined;
  wire = undefined;
});

/** A request to hold open: aborted after the test whatever happened to it. */
function held<T extends Pick<Pending, 'abort'>>(p: T): T {
  cleanups.push(() => p.abort());
  return p;
}

for (const make of [() => http1, http2Wire]) {
  const w0 = make();
  describe(`requests in flight, per process (${w0.name})`, () => {
    async function start(overrides: Partial<GatewayOptions>) {
      wire = make();
      const w = wire;
      rig = await w.start(overrides);
      const r = rig;
      const open = exchanges(r.server);
      const user = async (userId: string, extra: Record<string, string> = {}): Promise<User> => {
        const cookie = r.login(userId);
        // The token over the wire under test (an HTTP/2 token request is a stream like any other).
        const answer = await w.send(r, { path: '/aicc/token', headers: { cookie, 'content-type': 'application/json', ...extra }, body: '{}' });
        const token = (JSON.parse(answer.body) as { token?: string }).token;
        if (answer.status !== 200 || !token) throw new Error(`token: ${answer.status} ${answer.body}`);
        return { userId, headers: { cookie, 'ccmessaging-token': token, 'content-type': 'application/json', ...extra } };
      };
      const survey = (u: { headers: Record<string, string> }) => w.send(r, { path: surveyPath, headers: u.headers, body: '{}' });
      /** A survey call whose body (`{}`) has only begun: it holds its slots until finished. */
      const slowSurvey = (u: { headers: Record<string, string> }) => held(w.slow(r, surveyPath, u.headers, '{', 2));
      /** The same request, headers only: what a refusal answers before any of the body is sent. */
      const headersOnly = (u: { headers: Record<string, string> }, path = surveyPath) => held(w.slow(r, path, u.headers, '', 2));
      /** Waits until `n` more requests than `before` have been through identify() (their slots are taken by then). */
      const identified = (before: number, n: number) => until(() => r.identifyCalls === before + n);
      return { w, r, open, user, survey, slowSurvey, headersOnly, identified };
    }

    it('a customer with inFlightPerCustomer requests in flight (slow bodies) gets 429 at once for one more, before its body; others are unaffected', async () => {
      expect(DEFAULT_IN_FLIGHT_PER_CUSTOMER).toBeGreaterThanOrEqual(64);
      const { r, w, open, user, survey, slowSurvey, headersOnly, identified } = await start({
        longPollWindowMs: OUTLASTS_ANY_TEST_MS,
        pollTimeoutMs: OUTLASTS_ANY_TEST_MS,
        limits: { inFlightPerCustomer: 3, bodyTimeoutMs: OUTLASTS_ANY_TEST_MS },
      });
      const [alice, bob] = [await user('alice'), await user('bob')];
      const before = r.identifyCalls;
      const slow = [slowSurvey(alice), slowSurvey(alice), slowSurvey(alice)];
      await identified(before, 3);

      const upstreamBefore = r.stub.requests.length;
      const fourth = await answered(headersOnly(alice));
      expectRefused(fourth, 'inFlight');
      expect(r.stub.requests.length).toBe(upstreamBefore);
      expect(r.logs.some((l) => l.userId === 'alice' && l.status === 429 && l.msg.includes(GATEWAY_REASONS.inFlight))).toBe(true);

      // Another customer, from the same address, is not affected; nor is alice's poll (one per customer, its own rule).
      expect((await survey(bob)).status).toBe(200);
      const { 'content-type': _, ...pollHeaders } = alice.headers;
      held(w.get(r, pollPath('alice'), pollHeaders));
      await until(() => r.stub.heldPolls === 1);

      // The three held requests go through once their bodies are in, and free their slots.
      for (const p of slow) p.finish('}');
      expect((await Promise.all(slow.map((p) => p.answer))).map((a) => a?.status)).toEqual([200, 200, 200]);
      await until(() => open() === 1);
      expect((await survey(alice)).status).toBe(200);
    });

    it('one client address with inFlightPerAddress requests in flight gets 429 for one more, whoever sends it; other addresses are unaffected', async () => {
      expect(DEFAULT_IN_FLIGHT_PER_ADDRESS).toBeGreaterThanOrEqual(256);
      const { r, w, open, user, survey, slowSurvey, headersOnly, identified } = await start({
        trustProxyHops: 1,
        longPollWindowMs: OUTLASTS_ANY_TEST_MS,
        pollTimeoutMs: OUTLASTS_ANY_TEST_MS,
        limits: { inFlightPerAddress: 3, bodyTimeoutMs: OUTLASTS_ANY_TEST_MS },
      });
      const natted = { 'x-forwarded-for': '203.0.113.7' };
      const users = [await user('u1', natted), await user('u2', natted), await user('u3', natted), await user('u4', natted)];
      const before = r.identifyCalls;
      const slow = users.slice(0, 3).map((u) => slowSurvey(u));
      await identified(before, 3);

      expectRefused(await answered(headersOnly(users[3]!)), 'inFlightAddress');
      // Refused before identify() ran for it.
      expect(r.identifyCalls).toBe(before + 3);
      // Another address is not affected; polls from the full address have their own cap (pollsPerAddress).
      expect((await survey(await user('elsewhere', { 'x-forwarded-for': '198.51.100.20' }))).status).toBe(200);
      const { 'content-type': _, ...pollHeaders } = users[3]!.headers;
      held(w.get(r, pollPath('u4'), pollHeaders));
      await until(() => r.stub.heldPolls === 1);

      for (const p of slow) p.finish('}');
      expect((await Promise.all(slow.map((p) => p.answer))).map((a) => a?.status)).toEqual([200, 200, 200]);
      await until(() => open() === 1);
      expect((await survey(users[3]!)).status).toBe(200);
    });

    it('counts unidentified requests too: the address cap is taken before identify() runs', async () => {
      const { r, open, survey, identified } = await start({ limits: { inFlightPerAddress: 2 } });
      let letGo: () => void = () => {};
      const gate = new Promise<void>((resolve) => (letGo = resolve));
      cleanups.push(letGo);
      // identify() of these two is slow, and answers "nobody".
      r.identifyHook = (req) => (req.headers['x-identify'] === 'hold' ? gate.then(() => null) : undefined);
      const before = r.identifyCalls;
      const waiting = [survey({ headers: { 'content-type': 'application/json', 'x-identify': 'hold' } }), survey({ headers: { 'content-type': 'application/json', 'x-identify': 'hold' } })];
      await identified(before, 2);

      const anonymous = await survey({ headers: { 'content-type': 'application/json' } });
      expectRefused(anonymous, 'inFlightAddress');
      expect(r.identifyCalls).toBe(before + 2);

      letGo();
      expect((await Promise.all(waiting)).map((a) => a.status)).toEqual([401, 401]);
      await until(() => open() === 0);
      expect((await survey({ headers: { 'content-type': 'application/json' } })).status).toBe(401);
    });

    it('caps uploads in flight per address lower than other requests (their bodies are the large ones)', async () => {
      expect(DEFAULT_UPLOADS_PER_ADDRESS).toBeLessThan(DEFAULT_IN_FLIGHT_PER_ADDRESS);
      const { r, w, open, user, survey, identified } = await start({ trustProxyHops: 1, limits: { uploadsPerAddress: 2, uploadTimeoutMs: OUTLASTS_ANY_TEST_MS } });
      const natted = { 'x-forwarded-for': '203.0.113.9' };
      const users = [await user('u1', natted), await user('u2', natted), await user('u3', natted)];
      const before = r.identifyCalls;
      const uploads = users.slice(0, 2).map((u) => held(w.slow(r, uploadPath, u.headers, '{', 2)));
      await identified(before, 2);

      expectRefused(await answered(held(w.slow(r, uploadPath, users[2]!.headers, '', 2))), 'uploadsPerAddress');
      // Other routes from the same address still go through.
      expect((await survey(users[2]!)).status).toBe(200);

      for (const p of uploads) p.finish('}');
      expect((await Promise.all(uploads.map((p) => p.answer))).map((a) => a?.status)).toEqual([200, 200]);
      await until(() => open() === 0);
      expect((await w.send(r, { path: uploadPath, headers: users[2]!.headers, body: '{}' })).status).toBe(200);
    });
  });

  describe(`a slot is freed however the request ends (${w0.name})`, () => {
    /** Every cap at 1: a request that kept any slot would make the next one a 429. */
    const ONE = { inFlightPerCustomer: 1, inFlightPerAddress: 1, uploadsPerAddress: 1, jsonBodyBytes: 1024 };

    async function start(limits: GatewayOptions['limits']) {
      wire = make();
      const w = wire;
      rig = await w.start({ limits: { ...ONE, ...limits } });
      const r = rig;
      const open = exchanges(r.server);
      const cookie = r.login('alice');
      const tokenAnswer = await w.send(r, { path: '/aicc/token', headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
      const token = (JSON.parse(tokenAnswer.body) as { token: string }).token;
      const headers = { cookie, 'ccmessaging-token': token, 'content-type': 'application/json' };
      /** Once the last exchange is over, the next request (identified, and an upload) is accepted: nothing kept a slot. */
      const accepted = async () => {
        await until(() => open() === 0);
        expect((await w.send(r, { path: surveyPath, headers, body: '{}' })).status).toBe(200);
        expect((await w.send(r, { path: uploadPath, headers, body: '{}' })).status).toBe(200);
      };
      return { w, r, headers, accepted };
    }

    it('after an answer, an error answer, a throwing identify(), a client abort, a declared and a streamed 413', async () => {
      const { w, r, headers, accepted } = await start({ bodyTimeoutMs: OUTLASTS_ANY_TEST_MS, uploadTimeoutMs: OUTLASTS_ANY_TEST_MS });
      // Answers (the rig's token call was one).
      await accepted();
      await accepted();

      // An error answer: upstream answers something that is not JSON → 502.
      r.stub.answers.set(API_PATHS.getSatisfactionSurveyMode, 'not json');
      expect((await w.send(r, { path: surveyPath, headers, body: '{}' })).status).toBe(502);
      r.stub.answers.delete(API_PATHS.getSatisfactionSurveyMode);
      await accepted();

      // identify() throws → 500 (the address slot was taken before it ran).
      r.identifyHook = (req) => {
        if (req.headers['x-identify'] === 'throw') throw new Error('identify broke');
        return undefined;
      };
      expect((await w.send(r, { path: surveyPath, headers: { ...headers, 'x-identify': 'throw' }, body: '{}' })).status).toBe(500);
      await accepted();

      // The browser goes away while its body comes in (an upload: all three slots held).
      const before = r.identifyCalls;
      const leaving = held(w.slow(r, uploadPath, headers, '{', 2));
      await until(() => r.identifyCalls === before + 1);
      expectRefused(await answered(held(w.slow(r, surveyPath, headers, '', 2))), 'inFlightAddress');
      leaving.abort();
      await until(() => r.logs.some((l) => l.status === 499));
      await accepted();

      // 413 from the declared size (before identify), and from the streamed size (after it).
      expect((await answered(held(w.slow(r, surveyPath, headers, '', 4096))))?.status).toBe(413);
      await accepted();
      expect((await answered(held(w.slow(r, surveyPath, headers, `{"a":"${'x'.repeat(2048)}`, undefined))))?.status).toBe(413);
      await accepted();
    });

    it('after a 408 for a body slower than its deadline', async () => {
      const { w, r, headers, accepted } = await start({ bodyTimeoutMs: 300, uploadTimeoutMs: 300 });
      const before = r.identifyCalls;
      const slow = held(w.slow(r, uploadPath, headers, '{', 2));
      await until(() => r.identifyCalls === before + 1);
      expect((await slow.answer)?.status).toBe(408);
      await accepted();
    });
  });
}

describe('a slot is freed when a pipelined HTTP/1.1 connection closes', () => {
  it('frees the slots of a request whose answer waited behind another (Node gives its response no close event of its own)', async () => {
    rig = await startStubRig({ limits: { inFlightPerCustomer: 2, inFlightPerAddress: 2 } });
    const r = rig;
    const cookie = r.login('alice');
    const token = await tokenOf(r.origin, cookie);
    const headers = { cookie, 'ccmessaging-token': token, 'content-type': 'application/json' };
    r.stub.delays.set(API_PATHS.getSatisfactionSurveyMode, OUTLASTS_ANY_TEST_MS);
    const { port } = new URL(r.origin);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => {});
    cleanups.push(() => socket.destroy());
    const one = [`POST ${surveyPath} HTTP/1.1`, 'host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), 'content-length: 2', '', '{}'].join('\r\n');
    // Two requests in one write: the second's answer queues behind the first's.
    socket.write(one + one);
    await until(() => r.stub.requests.filter((q) => q.path === API_PATHS.getSatisfactionSurveyMode).length === 2);

    socket.destroy();
    // Both exchanges end: their upstream calls are aborted (the browser went away).
    await until(() => r.logs.filter((l) => l.status === 499).length === 2);
    r.stub.delays.delete(API_PATHS.getSatisfactionSurveyMode);
    // Both slots are free: one held, one more answered.
    const before = r.identifyCalls;
    held(http1Slow(r.origin, surveyPath, headers, '{', 2));
    await until(() => r.identifyCalls === before + 1);
    expect((await send(r.origin, { path: surveyPath, headers, body: '{}' })).status).toBe(200);
  });
});
