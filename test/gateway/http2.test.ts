/**
 * The gateway over HTTP/2 (createGatewayHttp2Server, issue 17.1): what a balancer speaking h2 to
 * its backends sends — many customers' requests as streams of one connection — against the
 * simulator. Over real sockets: a whole chat with the package's client (axios over h2c), several
 * customers multiplexed, a cancelled poll stream aborted upstream, the limits, the secrets; and
 * h2 + HTTP/1.1 by ALPN over TLS.
 */
import { request as httpsRequest } from 'node:https';
import { constants, type ClientHttp2Session, type Http2SecureServer, type Http2Server } from 'node:http2';
import axios from 'axios';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAiccClient, ResultDesc, type DownlinkMessage } from '../../src/client/index.js';
import { createGatewayHttp2Server, GATEWAY_REASONS, gatewayTokenProvider } from '../../src/gateway/index.js';
import { closeServer, listenLocal, openSessions } from '../support/localServer.js';
import { OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';
import { ALLOWED_ORIGIN, BASE_PATH, FAST_TIMING, logText, newUserId, startRig, until, type Rig } from './helpers.js';
import { h2, h2Answer, h2Connect, h2Fetch, h2Open, selfSignedCert } from './h2Client.js';

const P = (route: string): string => `${BASE_PATH}/apiaccess/ccmessaging/${route}`;
const pollPath = (userId: string): string => `${P('poll')}?receiverId=${encodeURIComponent(userId)}&channel=WEB`;

/** The connection-specific headers HTTP/2 forbids (RFC 9113 8.2.2). */
const CONNECTION_HEADERS = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection'];

function secrets(rig: Rig): string[] {
  return [rig.sim.credentials.appKey, rig.sim.credentials.appSecret, ...rig.tap.secretsSeen()];
}

interface Customer {
  userId: string;
  cookie: string;
  token: string;
}

/** Logs a customer in and fetches their sealed token over `session`. */
async function customer(rig: Rig, session: ClientHttp2Session, headers: Record<string, string> = {}): Promise<Customer> {
  const userId = newUserId();
  const cookie = rig.login(userId);
  const answer = await h2(session, { path: `${BASE_PATH}/token`, headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{}' });
  const token = (JSON.parse(answer.body) as { token?: string }).token;
  if (answer.status !== 200 || !token) throw new Error(`token: HTTP ${answer.status} ${answer.body}`);
  return { userId, cookie, token };
}

const headersOf = (c: Customer, extra: Record<string, string> = {}) => ({ cookie: c.cookie, 'ccmessaging-token': c.token, ...extra });
const jsonOf = (c: Customer, extra: Record<string, string> = {}) => headersOf(c, { 'content-type': 'application/json', ...extra });

function connectChat(rig: Rig, session: ClientHttp2Session, c: Customer, extra: Record<string, string> = {}) {
  return h2(session, { path: P('send'), headers: jsonOf(c, extra), body: JSON.stringify({ controlType: 'CONNECT', from: c.userId, to: rig.sim.channelId }) });
}

describe('the gateway over h2c, in front of the simulator', () => {
  let rig: Rig;
  let session: ClientHttp2Session;
  beforeAll(async () => {
    rig = await startRig({}, {}, { front: 'h2c' });
    session = await h2Connect(rig.origin);
  });
  afterAll(async () => {
    session.destroy();
    await rig.close();
  });

  it("runs a whole chat with the package's client over HTTP/2 (axios httpVersion 2, the token over the same session)", async () => {
    const userId = newUserId();
    const cookie = rig.login(userId);
    const rotations: string[] = [];
    const client = createAiccClient({
      baseUrl: rig.url,
      token: gatewayTokenProvider(rig.url, { fetch: h2Fetch(session), headers: { cookie, origin: ALLOWED_ORIGIN } }),
      axios: axios.create({ httpVersion: 2, headers: { cookie, origin: ALLOWED_ORIGIN } }),
      longPollWindowMs: FAST_TIMING.longPollWindowMs,
      onTokenRotated: (t) => rotations.push(t),
    });
    const channelId = rig.sim.channelId;
    const pollFor = async (predicate: (m: DownlinkMessage) => boolean): Promise<DownlinkMessage> => {
      for (let i = 0; i < 20; i++) for (const m of await client.poll({ userId })) if (predicate(m)) return m;
      throw new Error('no matching message');
    };

    expect(await client.queryHistoryChatMessage({ channelId, userId })).toEqual([]);
    expect((await client.send({ controlType: 'CONNECT', from: userId, to: channelId })).resultDesc).toBe(ResultDesc.connectRobot);
    await pollFor((m) => m.sourceType === 'ROBOT');
    await client.send({ controlType: 'CHAT', mediaType: 'TEXT', content: 'opening hours?', from: userId, to: channelId });
    const reply = await pollFor((m) => m.sourceType === 'ROBOT' && m.controlType === 'CHAT');
    const interIdx = (reply as { interIdx?: string }).interIdx ?? '';
    expect((await client.feedbackSatisfaction({ satisfied: true, from: userId, interIdx })).resultCode).toBe('0');
    rig.sim.tokens.rotate(userId);
    await client.poll({ userId });
    expect(rotations).toHaveLength(1);
    expect((await client.send({ controlType: 'DISCONNECT', from: userId, to: channelId })).resultCode).toBe('0');
    expect(rig.sim.requestsFor('send', userId).length).toBeGreaterThanOrEqual(3);
    // The server speaks h2c only: nothing of this went over HTTP/1.1.
  });

  it('multiplexes several customers on one connection: each is bound to their own session', async () => {
    const balancer = await h2Connect(rig.origin);
    await until(() => openSessions(rig.server as Http2Server) >= 1);
    try {
      let sessions = 0;
      rig.server.on('session', () => (sessions += 1));
      const customers = await Promise.all(Array.from({ length: 6 }, () => customer(rig, balancer)));
      const connected = await Promise.all(customers.map((c) => connectChat(rig, balancer, c)));
      expect(connected.map((a) => a.status)).toEqual(customers.map(() => 200));
      const polled = await Promise.all(customers.map((c) => h2(balancer, { method: 'GET', path: pollPath(c.userId), headers: headersOf(c) })));
      for (const [i, answer] of polled.entries()) {
        expect(answer.status).toBe(200);
        expect(JSON.parse(answer.body)).toMatchObject({ resultCode: '0' });
        // Upstream saw each customer's own poll, once.
        expect(rig.sim.requestsFor('poll', customers[i]!.userId)).toHaveLength(1);
      }
      // No new connection: the balancer's carried all six.
      expect(sessions).toBe(0);
      // Another customer's token on this connection is refused as before: the binding is per request.
      const [a, b] = customers;
      const crossed = await h2(balancer, { method: 'GET', path: pollPath(a!.userId), headers: { cookie: b!.cookie, 'ccmessaging-token': a!.token } });
      expect(crossed.status).toBe(401);
    } finally {
      balancer.destroy();
    }
  });

  it('never sends a secret or a connection-specific header, in answers, refusals or the log', async () => {
    const c = await customer(rig, session);
    const answers = await Promise.all([
      connectChat(rig, session, c),
      h2(session, { path: P('send'), headers: jsonOf(c), body: '{"from":"someone-else","to":"x"}' }),
      h2(session, { path: `${BASE_PATH}/apigovernance/api/oauth/tokenByAkSk`, headers: jsonOf(c), body: '{}' }),
      h2(session, { path: P('send'), headers: jsonOf({ ...c, token: 'forged' }), body: '{}' }),
      h2(session, { path: P('send'), headers: jsonOf(c), body: '{' }),
      h2(session, { method: 'OPTIONS', path: P('send'), headers: { origin: ALLOWED_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }),
      h2(session, { path: P('send'), headers: jsonOf(c, { origin: 'https://evil.example' }), body: '{}' }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 403, 404, 401, 400, 204, 403]);
    for (const answer of answers) expect(Object.keys(answer.headers).filter((h) => CONNECTION_HEADERS.includes(h))).toEqual([]);
    const text = answers.map((a) => JSON.stringify(a.headers) + a.body).join('\n');
    expect(secrets(rig).filter((s) => text.includes(s))).toEqual([]);
    expect(secrets(rig).filter((s) => logText(rig.logs).includes(s))).toEqual([]);
  });

  it('refuses a GET stream that carries a body (no Content-Length on HTTP/2)', async () => {
    const c = await customer(rig, session);
    const answer = await h2(session, { method: 'GET', path: pollPath(c.userId), headers: headersOf(c), body: 'x'.repeat(10) });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ reason: 'unexpectedBody' });
    expect(rig.sim.requestsFor('poll', c.userId)).toHaveLength(0);
  });
});

describe('polls and limits over one HTTP/2 connection', () => {
  let rig: Rig | undefined;
  let session: ClientHttp2Session | undefined;
  afterEach(async () => {
    session?.destroy();
    await rig?.close();
    rig = session = undefined;
  });
  /** A window no test outlives: a poll stays open until cancelled or replaced. */
  const LONG = { longPollWindowMs: OUTLASTS_ANY_TEST_MS, pollTimeoutMs: OUTLASTS_ANY_TEST_MS + 1_000 };
  const start = async (overrides: Parameters<typeof startRig>[0] = {}) => {
    rig = await startRig({ ...LONG, ...overrides }, { timing: { longPollWindowMs: OUTLASTS_ANY_TEST_MS } }, { front: 'h2c' });
    session = await h2Connect(rig.origin);
    return { r: rig, s: session };
  };
  const waiting = (r: Rig, userId: string) => r.sim.requestsFor('poll', userId).some((q) => q.status === 0);

  it('a cancelled poll stream (RST_STREAM) aborts the upstream poll; the connection and its other polls go on', async () => {
    const { r, s } = await start();
    const [a, b] = [await customer(r, s), await customer(r, s)];
    for (const c of [a, b]) expect((await connectChat(r, s, c)).status).toBe(200);
    const pollA = h2Open(s, { method: 'GET', path: pollPath(a!.userId), headers: headersOf(a!) });
    const pollB = h2Open(s, { method: 'GET', path: pollPath(b!.userId), headers: headersOf(b!) });
    await until(() => waiting(r, a!.userId) && waiting(r, b!.userId));

    pollA.close(constants.NGHTTP2_CANCEL);
    await until(() => r.sim.requestsFor('poll', a!.userId).some((q) => q.abandoned === true));
    await until(() => r.logs.some((l) => l.userId === a!.userId && l.api === 'poll' && l.status === 499));
    expect(s.destroyed).toBe(false);
    expect(waiting(r, b!.userId)).toBe(true);

    // B's poll, on the same connection, is still open upstream, and the connection takes new requests.
    expect(r.sim.requestsFor('poll', b!.userId).some((q) => q.abandoned === true)).toBe(false);
    expect((await h2(s, { path: P('send'), headers: jsonOf(b!), body: JSON.stringify({ controlType: 'CHAT', mediaType: 'TEXT', content: 'hours?', from: b!.userId, to: r.sim.channelId }) })).status).toBe(200);
    pollB.close(constants.NGHTTP2_CANCEL);
    await until(() => r.sim.requestsFor('poll', b!.userId).some((q) => q.abandoned === true));
  });

  it('one open poll per customer: a second poll stream replaces the first, answered empty, on the same connection', async () => {
    const { r, s } = await start();
    const c = await customer(r, s);
    expect((await connectChat(r, s, c)).status).toBe(200);
    const first = h2Answer(h2Open(s, { method: 'GET', path: pollPath(c.userId), headers: headersOf(c) }));
    await until(() => waiting(r, c.userId));
    const second = h2Open(s, { method: 'GET', path: pollPath(c.userId), headers: headersOf(c) });
    const older = await first;
    expect(older.status).toBe(200);
    expect(JSON.parse(older.body)).toMatchObject({ downlinkMessages: [] });
    await until(() => r.sim.requestsFor('poll', c.userId).filter((q) => q.status === 0 && q.abandoned !== true).length === 1);
    second.close(constants.NGHTTP2_CANCEL);
  });

  it("per-address limits count the address the balancer names (trustProxyHops 1), per request, not the shared connection's", async () => {
    const { r, s } = await start({ trustProxyHops: 1, limits: { pollsPerAddress: 2 }, rateLimit: { perAddress: 6, max: 1000, windowMs: 60_000 } });
    const natted = { 'x-forwarded-for': '203.0.113.7' };
    const elsewhere = { 'x-forwarded-for': '198.51.100.20' };
    // Tokens: one request each, counted against their address.
    const behindNat = [await customer(r, s, natted), await customer(r, s, natted), await customer(r, s, natted)];
    const other = await customer(r, s, elsewhere);
    const pollOf = (c: Customer, from: Record<string, string>) => h2Open(s, { method: 'GET', path: pollPath(c.userId), headers: headersOf(c, from) });
    const open = [pollOf(behindNat[0]!, natted), pollOf(behindNat[1]!, natted), pollOf(other, elsewhere)];
    await until(() => [behindNat[0]!, behindNat[1]!, other].every((c) => waiting(r, c.userId)));
    const third = await h2Answer(pollOf(behindNat[2]!, natted));
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body)).toMatchObject({ reason: 'pollsPerAddress' });
    // The NAT's address has now made 3 + 3 requests, its 6 per window; the other address 2.
    const limited = await h2(s, { path: P('send'), headers: jsonOf(behindNat[0]!, natted), body: '{}' });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body)).toMatchObject({ reason: 'rateLimitedAddress', exceptionInfo: GATEWAY_REASONS.rateLimitedAddress });
    expect((await connectChat(r, s, other, elsewhere)).status).toBe(200);
    for (const stream of open) stream.close(constants.NGHTTP2_CANCEL);
  });

  it('a stream cancelled while its body comes in ends at once (499), not at the body deadline', async () => {
    const { r, s } = await start({ limits: { bodyTimeoutMs: OUTLASTS_ANY_TEST_MS } });
    const c = await customer(r, s);
    let reading: { listenerCount(event: string): number } | undefined;
    r.server.once('request', (req: { listenerCount(event: string): number }) => (reading = req));
    const cancelled = s.request({ ':method': 'POST', ':path': P('send'), ...jsonOf(c) });
    cancelled.write('{"controlType":');
    // The gateway is reading the body.
    await until(() => (reading?.listenerCount('data') ?? 0) > 0);
    // destroy(): RST_STREAM (CANCEL) at once, as a balancer forwards a client's cancel. (close()
    // would end the body first, then reset: the gateway would get a whole, if short, body.)
    cancelled.destroy();
    await until(() => r.logs.some((l) => l.userId === c.userId && l.api === 'send' && l.status === 499));
    expect(r.sim.requestsFor('send', c.userId)).toHaveLength(0);
  });

  it('a body slower than its deadline gets 408 and its stream is reset; the connection goes on', async () => {
    const { r, s } = await start({ limits: { bodyTimeoutMs: 300 } });
    const c = await customer(r, s);
    const slow = s.request({ ':method': 'POST', ':path': P('send'), ...jsonOf(c) });
    slow.write('{"controlType":');
    const answer = await h2Answer(slow).catch((error: unknown) => ({ status: -1, headers: {}, body: String(error) }));
    expect(answer.status).toBe(408);
    await until(() => slow.closed);
    expect(s.destroyed).toBe(false);
    expect((await connectChat(r, s, c)).status).toBe(200);
  });
});

describe('createGatewayHttp2Server', () => {
  let server: Http2Server | Http2SecureServer | undefined;
  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
  });
  const answering = { handler: async (_req: unknown, res: { writeHead(s: number, h: Record<string, string>): unknown; end(t: string): unknown }) => void (res.writeHead(200, { 'content-type': 'text/plain' }), res.end('ok')) };

  it('closes a connection that has had no stream open for idleTimeoutMs (GOAWAY)', async () => {
    const h2c = createGatewayHttp2Server(answering, { idleTimeoutMs: 200 });
    server = h2c;
    const s = await h2Connect(await listenLocal(h2c));
    expect((await h2(s, { method: 'GET', path: '/' })).body).toBe('ok');
    await new Promise<void>((resolve) => s.once('goaway', () => resolve()));
    await until(() => s.closed || s.destroyed);
  });

  it('with tls: h2 and HTTP/1.1 by ALPN on one port', async () => {
    const { key, cert } = selfSignedCert();
    const secure = createGatewayHttp2Server(answering, { tls: { key, cert } });
    server = secure;
    const origin = await listenLocal(secure);
    expect(origin).toMatch(/^https:/);
    const s = await h2Connect(origin, { ca: cert });
    expect((s.socket as { alpnProtocol?: string }).alpnProtocol).toBe('h2');
    expect((await h2(s, { method: 'GET', path: '/' })).body).toBe('ok');
    s.destroy();
    const viaHttp1 = await new Promise<{ version: string; body: string }>((resolve, reject) => {
      const req = httpsRequest(`${origin}/`, { ca: cert, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ version: res.httpVersion, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(viaHttp1).toEqual({ version: '1.1', body: 'ok' });
  });
});
