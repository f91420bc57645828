/**
 * Abuse limits of issue 17: one open poll per customer and open polls per client address (17.2), rate limits
 * per client address, unidentified requests included (17.2), slow bodies and slow headers
 * (17.3), over-deep JSON (17.6). The gateway runs in front of a stub upstream whose polls stay
 * open until released (test/gateway/stubUpstream.ts).
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createGatewayServer,
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_JSON_DEPTH,
  DEFAULT_POLLS_PER_ADDRESS,
  DEFAULT_RATE_PER_ADDRESS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_UPLOAD_TIMEOUT_MS,
  GATEWAY_REASONS,
} from '../../src/gateway/index.js';
import { ResultDesc } from '../../src/client/index.js';
import { jsonHeaders } from './helpers.js';
import { CHANNEL_ID, open, P, pollPath, send, startStubRig, tokenOf, type Held, type StubRig } from './stubRig.js';
import { budget, eventually, OUTLASTS_ANY_TEST_MS, sleep } from '../support/timeBudget.js';

let rig: StubRig | undefined;
const held: Held[] = [];
afterEach(async () => {
  for (const h of held.splice(0)) h.abort();
  await rig?.close();
  rig = undefined;
});

/** Long polls never end on their own during a test. */
const LONG = { longPollWindowMs: OUTLASTS_ANY_TEST_MS, pollTimeoutMs: OUTLASTS_ANY_TEST_MS };

async function user(r: StubRig, userId: string, headers: Record<string, string> = {}) {
  const cookie = r.login(userId);
  const token = await tokenOf(r.origin, cookie, headers);
  return { userId, cookie, token, headers: { ...jsonHeaders(cookie, token), ...headers } };
}

function poll(r: StubRig, u: { userId: string; headers: Record<string, string> }): Held {
  const { 'content-type': _, ...headers } = u.headers;
  const h = open(r.origin, { method: 'GET', path: pollPath(u.userId), headers });
  held.push(h);
  return h;
}

/** The answer of a request that should be answered now (a refusal): waits with a hang detector, never forever. */
async function answered(h: Held) {
  await eventually(() => h.settled, { what: 'an answer' });
  return h.answer;
}

const upstreamPolls = (r: StubRig) => r.stub.requests.filter((q) => q.path.endsWith('/poll')).length;

const EMPTY_POLL = { resultCode: '0', resultDesc: ResultDesc.pollSuccess, downlinkMessages: [] };

describe('one open poll per customer, polls per address (issue 17.2)', () => {
  it('a newer poll replaces the older: the older is answered at once, empty, and ends upstream before the newer goes there', async () => {
    rig = await startStubRig(LONG);
    const r = rig;
    const alice = await user(r, 'alice');
    const first = poll(r, alice);
    await eventually(() => r.stub.heldPolls === 1, { what: 'the first poll held upstream' });

    const second = poll(r, alice);
    const older = await answered(first);
    expect(older?.status).toBe(200);
    expect(JSON.parse(older?.body ?? '{}')).toEqual(EMPTY_POLL);
    await eventually(() => r.stub.pollLog.length === 3, { what: 'the newer poll upstream' });
    // Upstream never held two polls of alice: the older was gone before the newer arrived.
    expect(r.stub.pollLog).toEqual(['open 1', 'closed 1', 'open 2']);
    expect(second.settled).toBe(false);
    expect(r.logs.some((l) => l.userId === 'alice' && l.status === 200 && l.msg.includes('replaced by a newer poll'))).toBe(true);

    // And again: each newer poll replaces the one before.
    const third = poll(r, alice);
    expect(JSON.parse((await answered(second))?.body ?? '{}')).toEqual(EMPTY_POLL);
    await eventually(() => r.stub.pollLog.length === 5, { what: 'the third poll upstream' });
    expect(r.stub.pollLog.slice(3)).toEqual(['closed 2', 'open 3']);
    expect(r.stub.heldPolls).toBe(1);
    // An answer upstream gives the newest poll reaches it.
    r.stub.releasePolls();
    expect((await third.answer)?.status).toBe(200);
  });

  it('other customers keep their polls', async () => {
    rig = await startStubRig(LONG);
    const r = rig;
    const [alice, bob] = [await user(r, 'alice'), await user(r, 'bob')];
    const bobs = poll(r, bob);
    poll(r, alice);
    await eventually(() => r.stub.heldPolls === 2, { what: 'both polls held upstream' });
    const alices = poll(r, alice);
    await eventually(() => r.stub.pollLog.length === 4, { what: "alice's newer poll upstream" });
    expect(r.stub.heldPolls).toBe(2);
    expect(bobs.settled).toBe(false);
    expect(alices.settled).toBe(false);
  });

  it('caps open polls per client address (X-Forwarded-For trusted one hop), whoever the users are; a replacement does not count twice', async () => {
    rig = await startStubRig({ ...LONG, trustProxyHops: 1, limits: { pollsPerAddress: 3 } });
    const r = rig;
    const natted = { 'x-forwarded-for': '203.0.113.7' };
    const users = await Promise.all(['u1', 'u2', 'u3', 'u4'].map((id) => user(r, id, natted)));
    for (const u of users.slice(0, 3)) poll(r, u);
    await eventually(() => r.stub.heldPolls === 3, { what: 'three polls from one address held' });
    const before = r.stub.requests.length;
    const fourth = await answered(poll(r, users[3]!));
    expect(fourth?.status).toBe(429);
    expect(Number(fourth?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(fourth?.body ?? '{}')).toEqual({ errorCode: '429', exceptionInfo: GATEWAY_REASONS.pollsPerAddress, reason: 'pollsPerAddress' });
    expect(r.stub.requests.length).toBe(before);
    // u1 polls again from the full address: its newer poll replaces its older, 3 stay open.
    poll(r, users[0]!);
    await eventually(() => r.stub.pollLog.length === 5, { what: "u1's newer poll upstream" });
    expect(r.stub.heldPolls).toBe(3);
    // The same user from another address is fine.
    const elsewhere = await user(r, 'u4', { 'x-forwarded-for': '198.51.100.20' });
    poll(r, elsewhere);
    await eventually(() => r.stub.heldPolls === 4, { what: 'the poll from another address held' });
    expect(DEFAULT_POLLS_PER_ADDRESS).toBeGreaterThanOrEqual(64);
  });

  it('a poll that ends (answered or aborted) frees its address slot', async () => {
    rig = await startStubRig({ ...LONG, limits: { pollsPerAddress: 1 } });
    const r = rig;
    const [alice, bob] = [await user(r, 'alice'), await user(r, 'bob')];
    const first = poll(r, alice);
    await eventually(() => r.stub.heldPolls === 1, { what: 'one poll held' });
    expect((await answered(poll(r, bob)))?.status).toBe(429);
    r.stub.releasePolls();
    expect((await first.answer)?.status).toBe(200);
    const bobs = poll(r, bob);
    await eventually(() => r.stub.heldPolls === 1, { what: "bob's poll held" });
    bobs.abort();
    await eventually(() => r.stub.heldPolls === 0, { what: "bob's poll to end upstream" });
    poll(r, alice);
    await eventually(() => r.stub.heldPolls === 1, { what: "alice's next poll held" });
  });
});

describe('rate limits per client address (issue 17.2)', () => {
  // A fixed clock: a window boundary in mid-test would reset the counters.
  const now = () => Date.UTC(2026, 0, 1, 12, 0, 10);
  const survey = (r: StubRig, u: { headers: Record<string, string> }) =>
    send(r.origin, { path: P('getSatisfactionSurveyMode'), headers: u.headers, body: '{}' });

  it('counts every identity from one address together: a fresh identity does not escape the limit', async () => {
    rig = await startStubRig({ now, trustProxyHops: 1, rateLimit: { max: 1000, perAddress: 8 } });
    const r = rig;
    const a = { 'x-forwarded-for': '203.0.113.9' };
    // 2 requests per identity (token + one call): 4 identities use up the 8.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await survey(r, await user(r, `a${i}`, a))).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const fifth = r.login('a4');
    const refused = await send(r.origin, { path: '/aicc/token', headers: { cookie: fifth, 'content-type': 'application/json', ...a }, body: '{}' });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(JSON.parse(refused.body)).toEqual({ errorCode: '429', exceptionInfo: GATEWAY_REASONS.rateLimitedAddress, reason: 'rateLimitedAddress' });
    // Another address is not affected.
    expect((await survey(r, await user(r, 'b0', { 'x-forwarded-for': '198.51.100.1' }))).status).toBe(200);
    expect(DEFAULT_RATE_PER_ADDRESS).toBeGreaterThan(0);
  });

  it('limits unidentified requests too, before identify() runs', async () => {
    rig = await startStubRig({ now, rateLimit: { perAddress: 5 } });
    const r = rig;
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await send(r.origin, { path: P('send'), headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(r.identifyCalls).toBe(5);
    expect(r.stub.requests).toEqual([]);
  });

  it('ignores X-Forwarded-For unless trustProxyHops says how many proxies to trust', async () => {
    rig = await startStubRig({ now, rateLimit: { perAddress: 3 } });
    const r = rig;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await send(r.origin, { path: P('send'), headers: { 'content-type': 'application/json', 'x-forwarded-for': `192.0.2.${i}` }, body: '{}' });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    await rig.close();

    // Trusting one proxy: the address that proxy saw (the right-most entry) counts, not what the client wrote before it.
    rig = await startStubRig({ now, trustProxyHops: 1, rateLimit: { perAddress: 3 } });
    const t = rig;
    const spoofed: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await send(t.origin, { path: P('send'), headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.9.${i}, 198.51.100.7` }, body: '{}' });
      spoofed.push(answer.status);
    }
    expect(spoofed).toEqual([401, 401, 401, 429, 429]);
  });
});

describe('slow bodies and slow headers (issue 17.3)', () => {
  /** Sends the headers and one byte of body every `everyMs` until answered (or `maxBytes`). */
  function trickle(r: StubRig, path: string, headers: Record<string, string>, everyMs: number, maxBytes: number) {
    const { port } = new URL(r.origin);
    return new Promise<{ head: string; sent: number; closed: boolean }>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let sent = 0;
      let received = '';
      const lines = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', `content-length: ${maxBytes}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(lines.join('\r\n') + '\r\n\r\n{');
      sent = 1;
      const timer = setInterval(() => {
        if (sent >= maxBytes - 1) return;
        socket.write(' ');
        sent += 1;
      }, everyMs);
      // A hang detector, not a speed limit: without a deadline in the gateway nothing ends this.
      const hang = setTimeout(() => socket.destroy(), budget(15_000));
      socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        clearTimeout(hang);
        resolve({ head: received.split('\r\n')[0] ?? '', sent, closed: true });
      });
    });
  }

  it('answers 408 to a body that does not arrive within bodyTimeoutMs and closes the connection', async () => {
    rig = await startStubRig({ limits: { bodyTimeoutMs: 300 } });
    const r = rig;
    const alice = await user(r, 'alice');
    // 4,000 bytes at one per 20 ms would take 80 s: the gateway must not wait for them.
    const result = await trickle(r, P('send'), { ...alice.headers, 'content-type': 'application/json' }, 20, 4000);
    expect(result.head).toBe('HTTP/1.1 408 Request Timeout');
    expect(result.sent).toBeLessThan(4000);
    expect(r.stub.requests.filter((q) => q.path.endsWith('/send'))).toEqual([]);
    expect(r.logs.some((l) => l.status === 408 && l.msg.includes(GATEWAY_REASONS.bodyTimeout))).toBe(true);
    expect(DEFAULT_BODY_TIMEOUT_MS).toBe(10_000);
    expect(DEFAULT_UPLOAD_TIMEOUT_MS).toBe(60_000);
  });

  it('gives uploads their own, longer deadline (uploadTimeoutMs)', async () => {
    rig = await startStubRig({ limits: { bodyTimeoutMs: 200, uploadTimeoutMs: OUTLASTS_ANY_TEST_MS } });
    const r = rig;
    const alice = await user(r, 'alice');
    const upload = trickle(r, P('uploadFileStream'), { ...alice.headers, 'content-type': 'application/json' }, 20, 4000);
    const slowSend = await trickle(r, P('send'), { ...alice.headers, 'content-type': 'application/json' }, 20, 4000);
    expect(slowSend.head).toBe('HTTP/1.1 408 Request Timeout');
    // The upload, slower than the JSON deadline, is still being received.
    await sleep(300);
    const settled = await Promise.race([upload.then(() => true), sleep(0).then(() => false)]);
    expect(settled).toBe(false);
    await rig.close();
    rig = undefined;
    expect((await upload).head).not.toBe('HTTP/1.1 408 Request Timeout');
  });

  it('createGatewayServer sets headersTimeout and requestTimeout on purpose, and cuts slow headers', async () => {
    expect(DEFAULT_HEADERS_TIMEOUT_MS).toBe(10_000);
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBeGreaterThan(DEFAULT_UPLOAD_TIMEOUT_MS);
    rig = await startStubRig({}, (gateway) => createGatewayServer(gateway));
    expect(rig.server.headersTimeout).toBe(DEFAULT_HEADERS_TIMEOUT_MS);
    expect(rig.server.requestTimeout).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    await rig.close();

    rig = await startStubRig({}, (gateway) => createGatewayServer(gateway, { headersTimeout: 300, requestTimeout: 600, connectionsCheckingInterval: 50 }));
    const r = rig;
    const { port } = new URL(r.origin);
    const head = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let received = '';
      socket.write('POST /aicc/token HTTP/1.1\r\nhost: 127.0.0.1\r\n');
      // One header line every 100 ms, never the blank line that ends them.
      let n = 0;
      const timer = setInterval(() => socket.write(`x-slow-${n++}: 1\r\n`), 100);
      socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(timer);
        resolve(received.split('\r\n')[0] ?? '');
      });
    });
    expect(head).toBe('HTTP/1.1 408 Request Timeout');
    expect(r.identifyCalls).toBe(0);
  });
});

describe('over-deep JSON (issue 17.6)', () => {
  const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

  it('answers 400, not 500, to 25,000 levels of nesting, without reaching upstream', async () => {
    rig = await startStubRig({ limits: { jsonBodyBytes: 256 * 1024 } });
    const r = rig;
    const alice = await user(r, 'alice');
    const body = `{"from":"alice","to":"${CHANNEL_ID}","controlType":"CHAT","mediaType":"TEXT","content":"x","channel":"WEB","sourceType":"CUSTOMER","deep":${nested(25_000)}}`;
    const before = r.stub.requests.length;
    const answer = await send(r.origin, { path: P('send'), headers: alice.headers, body });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ errorCode: '400', exceptionInfo: GATEWAY_REASONS.tooDeep, reason: 'tooDeep' });
    expect(r.stub.requests.length).toBe(before);
    // An object nested just as deep.
    const objects = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    expect((await send(r.origin, { path: P('send'), headers: alice.headers, body: objects })).status).toBe(400);
  });

  it(`forwards nesting up to limits.jsonDepth (default ${DEFAULT_JSON_DEPTH}) and refuses one level more`, async () => {
    rig = await startStubRig({ limits: { jsonDepth: 5 } });
    const r = rig;
    const alice = await user(r, 'alice');
    const base = `"from":"alice","to":"${CHANNEL_ID}","controlType":"CHAT","mediaType":"TEXT","content":"x","channel":"WEB","sourceType":"CUSTOMER"`;
    // The body object is level 1; "deep" adds 4 more → 5 in all.
    expect((await send(r.origin, { path: P('send'), headers: alice.headers, body: `{${base},"deep":${nested(4)}}` })).status).toBe(200);
    const refused = await send(r.origin, { path: P('send'), headers: alice.headers, body: `{${base},"deep":${nested(5)}}` });
    expect(refused.status).toBe(400);
    // Brackets inside strings are text, not nesting.
    expect((await send(r.origin, { path: P('send'), headers: alice.headers, body: `{${base},"s":"${'[{'.repeat(50)}\\"]"}` })).status).toBe(200);
  });

  it(`the token route too: nesting up to ${DEFAULT_JSON_DEPTH} levels gets a token, one more is refused without asking upstream`, async () => {
    rig = await startStubRig();
    const r = rig;
    const cookie = r.login('alice');
    // Within the token route's 1 KiB: the body object, "a", then the arrays.
    const token = (depth: number) => send(r.origin, { path: '/aicc/token', headers: { cookie, 'content-type': 'application/json' }, body: `{"a":${nested(depth - 1)}}` });
    expect((await token(DEFAULT_JSON_DEPTH)).status).toBe(200);
    const applied = () => r.stub.requests.filter((q) => q.path.endsWith('/applyToken')).length;
    expect(applied()).toBe(1);
    const refused = await token(DEFAULT_JSON_DEPTH + 1);
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.body)).toEqual({ errorCode: '400', exceptionInfo: GATEWAY_REASONS.tooDeep, reason: 'tooDeep' });
    expect(applied()).toBe(1);
  });

  it('answers 502, not 500, when upstream answers a poll with JSON nested too deeply to handle', async () => {
    rig = await startStubRig(LONG);
    const r = rig;
    const alice = await user(r, 'alice');
    r.stub.answers.set('/apiaccess/ccmessaging/poll', `{"resultCode":"0","downlinkMessages":[{"content":${nested(25_000)}}]}`);
    const { 'content-type': _, ...headers } = alice.headers;
    const answer = await send(r.origin, { method: 'GET', path: pollPath('alice'), headers });
    expect(answer.status).toBe(502);
  });
});
