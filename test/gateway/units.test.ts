/** The gateway's parts on their own: binding rules, rate limiter, options, mounting (sealing: sealing.test.ts). */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { API_PATHS, CUSTOMER_APIS } from '../../src/client/index.js';
import { createGateway, FORWARDED_APIS, gatewayTokenProvider, memoryGatewayStore, type GatewayOptions } from '../../src/gateway/index.js';
import { addressKey, clientAddress } from '../../src/gateway/address.js';
import { createFileTagger, tagMessages, untagFileId, untagMessageContent } from '../../src/gateway/files.js';
import { nestedDeeperThan } from '../../src/gateway/json.js';
import { createFleet } from '../../src/gateway/fleet.js';
import { parseOpenFileLimit } from '../../src/gateway/openFiles.js';
import { createRateLimiter } from '../../src/gateway/rateLimit.js';
import { checkBody, checkPollQuery, findRoute, ROUTES } from '../../src/gateway/routes.js';
import { createTokenSealer, tokenKeys } from '../../src/gateway/sealing.js';
import { defaultPollSockets, RESERVED_DESCRIPTORS } from '../../src/gateway/upstream.js';
import { BASE_PATH, TOKEN_SECRET, browserFor, jsonHeaders, newUserId, raw, startRig, tokenFor } from './helpers.js';

const who = { userId: 'alice', userName: 'Alice', channelId: '42', locale: 'en' };

describe('routes and binding rules', () => {
  it('forwards exactly the 12 customer APIs besides applyToken, with their documented methods', () => {
    expect(FORWARDED_APIS).toEqual(CUSTOMER_APIS.filter((a) => a !== 'applyToken'));
    expect(FORWARDED_APIS).toHaveLength(12);
    expect(ROUTES.map((r) => `${r.method} ${r.path}`)).toContain(`GET ${API_PATHS.poll}`);
    expect(ROUTES.filter((r) => r.method === 'GET').map((r) => r.route)).toEqual(['poll']);
    expect(findRoute(API_PATHS.applyToken)).toBeUndefined();
    expect(findRoute(API_PATHS.tokenByAkSk)).toBeUndefined();
    expect(findRoute('/token')?.route).toBe('token');
  });

  it('binds every user and channel field', () => {
    expect(checkBody('send', { from: 'alice', to: '42' }, who)).toEqual({ ok: true });
    expect(checkBody('send', { from: 'bob', to: '42' }, who)).toMatchObject({ ok: false, status: 403 });
    expect(checkBody('sendAsync', { from: 'alice', to: '43' }, who)).toMatchObject({ ok: false, status: 403 });
    expect(checkBody('saveSatisfaction', { satisfication: { userId: 'alice', channelConfigId: '42' } }, who)).toEqual({ ok: true });
    expect(checkBody('saveSatisfaction', { satisfication: { userId: 'alice', channelConfigId: '42' }, channelConfigId: '43' }, who)).toMatchObject({ status: 403 });
    expect(checkBody('saveSatisfaction', { satisfication: { userId: 'alice' } }, who)).toMatchObject({ status: 400 });
    expect(checkBody('feedbackSatisfaction', { from: '42' }, who)).toEqual({ ok: true });
    expect(checkBody('feedbackSatisfaction', { from: 'alice' }, who)).toEqual({ ok: true });
    expect(checkBody('feedbackSatisfaction', {}, who)).toMatchObject({ status: 400 });
    // Inherited properties do not count as fields.
    expect(checkBody('doLeaveMessage', Object.create({ callId: 'alice' }) as Record<string, unknown>, who)).toMatchObject({ status: 400 });
    expect(checkBody('downloadFileStream', { fileId: 'x' }, who)).toEqual({ ok: true });
  });

  it('rebuilds the poll query canonically', () => {
    expect(checkPollQuery('channel=WEB&receiverId=alice', who)).toEqual({ ok: true, query: 'receiverId=alice&channel=WEB' });
    expect(checkPollQuery('receiverId=%61lice&isNeedRead=true', who)).toEqual({ ok: true, query: 'receiverId=alice&channel=WEB&isNeedRead=true' });
    expect(checkPollQuery('receiverId=alice&receiverId=alice', who)).toMatchObject({ ok: false, status: 400 });
    expect(checkPollQuery('receiverId=bob', who)).toMatchObject({ ok: false, status: 403 });
  });
});

describe('rate limiter', () => {
  it('counts per user and bucket in epoch-aligned windows', async () => {
    let t = 120_000;
    const clock = () => t;
    const limiter = createRateLimiter({ windowMs: 10_000, max: 2, perRoute: { token: 1 } }, clock, memoryGatewayStore(clock));
    if (!limiter) throw new Error('limiter expected');
    expect(await limiter.check('a', 'send')).toEqual({ allowed: true });
    expect(await limiter.check('a', 'poll')).toEqual({ allowed: true });
    t += 2_500;
    expect(await limiter.check('a', 'send')).toEqual({ allowed: false, retryAfterSeconds: 8 });
    expect(await limiter.check('a', 'token')).toEqual({ allowed: true });
    expect(await limiter.check('a', 'token')).toMatchObject({ allowed: false });
    expect(await limiter.check('b', 'send')).toEqual({ allowed: true });
    t += 7_500;
    expect(await limiter.check('a', 'send')).toEqual({ allowed: true });
    expect(createRateLimiter(false, clock, memoryGatewayStore(clock))).toBeNull();
    expect(() => createRateLimiter({ max: 0 }, clock, memoryGatewayStore(clock))).toThrow();
  });
});

describe('the shared store gone silent (issue 17, docs/security.md "When Redis is down")', () => {
  /** A shared store whose first hit is refused at once and whose later hits never answer until let go. */
  function silentStore() {
    const calls: string[] = [];
    const waiting: Array<() => void> = [];
    const store = {
      ...memoryGatewayStore(),
      hit: (key: string) => {
        calls.push(key);
        if (calls.length === 1) return Promise.reject(new Error('connection refused'));
        return new Promise<number>((_, reject) => waiting.push(() => reject(new Error('gone'))));
      },
    };
    return { store, calls, letGo: () => waiting.splice(0).forEach((f) => f()) };
  }

  it('asks it again with one request at a time: while that probe waits, the others count on this instance without waiting', async () => {
    const shared = silentStore();
    const log: string[] = [];
    // retryMs 0: the next request after the failure is the retry; timeoutMs long: the probe is
    // still waiting while the others arrive (no clock involved, only order).
    const fleet = createFleet({ store: shared.store, now: Date.now, timeoutMs: 600_000, retryMs: 0, log: (_, msg) => log.push(msg) });
    expect(await fleet.hit('a', 60_000)).toBe(1); // refused at once: counted here
    let probeDone = false;
    const probe = fleet.hit('b', 60_000).then((n) => ((probeDone = true), n));
    const others = Promise.all([fleet.hit('c', 60_000), fleet.hit('c', 60_000), fleet.hit('d', 60_000)]);
    // One turn of the event loop: every call has reached a store by then.
    await new Promise((resolve) => setImmediate(resolve));
    expect(shared.calls, 'only the probe asked the silent store').toEqual(['a', 'b']);
    expect(await others).toEqual([1, 2, 1]);
    expect(probeDone, 'the others did not wait for the probe').toBe(false);
    shared.letGo();
    expect(await probe).toBe(1);
    expect(log.filter((m) => m.startsWith('shared store failed'))).toHaveLength(1);
  });
});

describe('createGateway options', () => {
  const base: GatewayOptions = {
    upstream: 'http://127.0.0.1:1',
    appKey: 'k',
    appSecret: 's',
    identify: () => null,
    tokenSecret: TOKEN_SECRET,
  };
  it('refuses unsafe or malformed configuration', () => {
    const bad: Array<Partial<GatewayOptions>> = [
      { upstream: 'ftp://x' },
      { upstream: 'http://x?y=1' },
      { appSecret: '' },
      { tokenSecret: 'short' },
      { allowedOrigins: ['*'] },
      { allowedOrigins: ['https://shop.example.com/'] },
      { allowedOrigins: ['shop.example.com'] },
      { basePath: 'aicc' },
      { basePath: '/aicc/' },
      { accessTokenSeconds: 7200 },
      { limits: { jsonBodyBytes: -1 } },
      { limits: { pollsPerAddress: 0 } },
      { storeTimeoutMs: 0 },
      { storeRetryMs: 1.5 },
      { store: { hit: async () => 1 } as unknown as GatewayOptions['store'] },
      { limits: { pollsPerAddress: 1.5 } },
      { limits: { bodyTimeoutMs: Infinity } },
      { limits: { jsonDepth: 0 } },
      { limits: { upstreamSockets: -1 } },
      { limits: { inFlightPerCustomer: 0 } },
      { limits: { inFlightPerAddress: 2.5 } },
      { limits: { uploadsPerAddress: -1 } },
      { trustProxyHops: -1 },
      { front: 'http2' as unknown as GatewayOptions['front'] },
      { rateLimit: { perAddress: 0 } },
      { identify: undefined as unknown as GatewayOptions['identify'] },
    ];
    for (const override of bad) expect(() => createGateway({ ...base, ...override }), JSON.stringify(override)).toThrow(TypeError);
    expect(() => createGateway(base)).not.toThrow();
    expect(() => createGateway({ ...base, trustProxyHops: 2, limits: { pollsPerAddress: Infinity, pollSockets: Infinity, upstreamSockets: 64, inFlightPerCustomer: Infinity, inFlightPerAddress: 512, uploadsPerAddress: 4 }, store: memoryGatewayStore() })).not.toThrow();
    expect(() => createGateway({ ...base, front: 'multiplexed' })).not.toThrow();
  });
});

describe('client addresses (issue 17.2)', () => {
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as unknown as IncomingMessage;

  it('counts IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 per /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:0db8:0001:0002::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:0db8:0001:0002::/64');
    expect(addressKey('::1')).toBe('0000:0000:0000:0000::/64');
    expect(addressKey('not an ip')).toBe('not an ip');
  });

  it('uses the TCP peer unless told how many proxies to trust, then the address the outermost trusted one saw', () => {
    expect(clientAddress(req('10.0.0.1', '198.51.100.1'), 0)).toBe('10.0.0.1');
    expect(clientAddress(req('10.0.0.1', 'spoofed, 198.51.100.1'), 1)).toBe('198.51.100.1');
    expect(clientAddress(req('10.0.0.1', 'spoofed, 198.51.100.1, 10.0.0.2'), 2)).toBe('198.51.100.1');
    // Fewer entries than trusted hops: the furthest one.
    expect(clientAddress(req('10.0.0.1', '198.51.100.1'), 3)).toBe('198.51.100.1');
    expect(clientAddress(req('10.0.0.1'), 1)).toBe('10.0.0.1');
  });
});

describe('the poll pool and the open-file limit (issue 17.1)', () => {
  const limits = (soft: string) =>
    ['Limit                     Soft Limit           Hard Limit           Units     ', 'Max processes             95000                95000                processes ', `Max open files            ${soft}                20000                files     `].join('\n');

  it('reads the soft limit from /proc/<pid>/limits', () => {
    expect(parseOpenFileLimit(limits('20000'))).toBe(20000);
    expect(parseOpenFileLimit(limits('unlimited'))).toBeNull();
    expect(parseOpenFileLimit('Max processes  1')).toBeNull();
  });

  it('sizes the poll pool to two descriptors a poll, after the API pool (two a call) and a reserve', () => {
    expect(defaultPollSockets(20_000, 256)).toBe((20_000 - 512 - RESERVED_DESCRIPTORS) / 2);
    expect(defaultPollSockets(20_000, 256)).toBe(9680);
    expect(defaultPollSockets(1_048_576, 256)).toBe(523_968);
    expect(defaultPollSockets(256, 256)).toBe(1);
    expect(defaultPollSockets(null, 256)).toBe(Infinity);
    // Behind an HTTP/2 balancer (front: 'multiplexed'): one descriptor a poll and a call.
    expect(defaultPollSockets(20_000, 256, 1)).toBe(20_000 - 256 - RESERVED_DESCRIPTORS);
    expect(defaultPollSockets(20_000, 256, 1)).toBe(19_616);
  });
});

describe('JSON nesting (issue 17.6)', () => {
  it('measures depth in one pass, brackets in strings and escapes excluded', () => {
    expect(nestedDeeperThan('{"a":[1,{"b":[]}]}', 4)).toBe(false);
    expect(nestedDeeperThan('{"a":[1,{"b":[]}]}', 3)).toBe(true);
    expect(nestedDeeperThan('{"a":"[[[[[[\\"}', 1)).toBe(false);
    expect(nestedDeeperThan('{"a":"\\"}', 1)).toBe(false);
    expect(nestedDeeperThan('{"a":"\\\"[[["}', 1)).toBe(false);
    expect(nestedDeeperThan('[]'.repeat(100_000), 1)).toBe(false);
    expect(nestedDeeperThan('['.repeat(100_000), 32)).toBe(true);
  });
});

describe('file id tags (issue 17.4)', () => {
  const alice = { userId: 'alice', channelId: '42' };
  const bob = { userId: 'bob', channelId: '42' };

  it('binds an id to one customer, deterministically; refuses other customers, raw ids and tampering; rotates keys', () => {
    const tagger = createFileTagger(tokenKeys(TOKEN_SECRET));
    const tagged = tagger.tag(alice, 'e31bd00b-8569-466e-a2b2-cf342e9d1b2c');
    expect(tagged).toMatch(/^e31bd00b-8569-466e-a2b2-cf342e9d1b2c~[A-Za-z0-9_-]{22}$/);
    expect(tagger.tag(alice, 'e31bd00b-8569-466e-a2b2-cf342e9d1b2c')).toBe(tagged);
    expect(tagger.untag(alice, tagged)).toBe('e31bd00b-8569-466e-a2b2-cf342e9d1b2c');
    expect(tagger.untag(bob, tagged)).toBeNull();
    expect(tagger.untag({ userId: 'alice', channelId: '43' }, tagged)).toBeNull();
    for (const bad of ['e31bd00b-8569-466e-a2b2-cf342e9d1b2c', `${tagged.slice(0, -1)}A`, `x${tagged}`, `${tagged}~`, '', '~'.repeat(30)]) {
      expect(tagger.untag(alice, bad), bad).toBeNull();
    }
    const rotated = createFileTagger([{ kid: 'next', secret: 'next-secret-next-secret-next-secret-0123' }, ...tokenKeys(TOKEN_SECRET)]);
    expect(rotated.untag(alice, tagged)).toBe('e31bd00b-8569-466e-a2b2-cf342e9d1b2c');
    expect(tagger.untag(alice, rotated.tag(alice, 'x'))).toBeNull();
  });

  it('finds the id in every content form, both ways', () => {
    const tagger = createFileTagger(tokenKeys(TOKEN_SECRET));
    const t = (id: string) => tagger.tag(alice, id);
    const messages = [
      { mediaType: 'IMAGE', content: 'k1' },
      { mediaType: 'DOCUMENT', content: 'k2,pdf' },
      { mediaType: 'FILE', content: 'a, b.txt,12,k3,txt' },
      { mediaType: 'FILE_VIDEO', content: 'k4,mp4' },
      { mediaType: 'WEBCARD', content: '{"mediaFileId":"k5","title":"t"}' },
      { mediaType: 'TEXT', content: 'k6' },
      { mediaType: 'LOCATE', content: '1/2/x' },
      { mediaType: null, content: '["m1"]' },
    ];
    expect(tagMessages(messages, alice, tagger)).toBe(true);
    expect(messages.map((m) => m.content)).toEqual([
      t('k1'),
      `${t('k2')},pdf`,
      `a, b.txt,12,${t('k3')},txt`,
      `${t('k4')},mp4`,
      JSON.stringify({ mediaFileId: t('k5'), title: 't' }),
      'k6',
      '1/2/x',
      '["m1"]',
    ]);
    for (const m of messages.slice(0, 5)) {
      const body: Record<string, unknown> = { ...m };
      expect(untagMessageContent(body, alice, tagger)).toBe(true);
      expect(untagMessageContent({ ...m }, bob, tagger)).toBe(false);
    }
    const upper = { mediaType: ' image ', content: 'raw-key' };
    expect(untagMessageContent(upper, alice, tagger)).toBe(false);
    expect(untagFileId(`local/${t('k1')}`, alice, tagger)).toBe('local/k1');
    expect(untagFileId(t('k1'), alice, tagger)).toBe('k1');
    expect(untagFileId('local/k1', alice, tagger)).toBeNull();
    expect(untagFileId(`local/${t('k1')}`, bob, tagger)).toBeNull();
    expect(untagFileId(42, alice, tagger)).toBeNull();
  });
});

describe('mounting and robustness', () => {
  it('works mounted Express-style (mount path stripped, basePath "")', async () => {
    const rig = await startRig();
    try {
      const mounted = createGateway({
        upstream: rig.tap.url,
        ...rig.sim.credentials,
        tokenSecret: TOKEN_SECRET,
        identify: (req: IncomingMessage) => (req.headers.cookie === cookie ? { userId, userName: 'n', channelId: rig.sim.channelId, locale: 'en' } : null),
      });
      // What app.use('/aicc', gateway.handler) does: req.url loses the mount path.
      const server = createServer((req, res) => {
        if (!req.url?.startsWith('/aicc/')) return void res.writeHead(418).end();
        req.url = req.url.slice('/aicc'.length);
        void mounted.handler(req, res, () => res.writeHead(599).end());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const userId = newUserId();
      const cookie = `sid=${userId}`;
      try {
        const { createAiccClient } = await import('../../src/client/index.js');
        const { default: axios } = await import('axios');
        const client = createAiccClient({
          baseUrl: `${origin}/aicc`,
          token: gatewayTokenProvider(`${origin}/aicc`, { headers: { cookie } }),
          axios: axios.create({ headers: { cookie } }),
        });
        expect((await client.send({ controlType: 'CONNECT', from: userId, to: rig.sim.channelId })).resultCode).toBe('0');
        expect((await raw({ origin }, { path: '/aicc/apigovernance/api/oauth/tokenByAkSk', body: '{}' })).status).toBe(404);
      } finally {
        await mounted.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    } finally {
      await rig.close();
    }
  });

  it('answers 500 (not a hang) when a body parser consumed the body first; a throwing logger breaks nothing', async () => {
    const rig = await startRig({
      logger: () => {
        throw new Error('logger down');
      },
    });
    try {
      const userId = newUserId();
      const cookie = rig.login(userId);
      const token = await tokenFor(rig, cookie);
      const consumed = createGateway({ upstream: rig.tap.url, ...rig.sim.credentials, tokenSecret: TOKEN_SECRET, basePath: BASE_PATH, identify: () => rig.identities.get(`s-${userId}`) ?? null });
      const server = createServer(async (req, res) => {
        for await (const chunk of req) void chunk; // what express.json() would do first
        void consumed.handler(req, res);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const before = rig.sim.requests.length;
        const answer = await raw({ origin }, { path: `${BASE_PATH}/apiaccess/ccmessaging/send`, headers: jsonHeaders(cookie, token), body: '{}' });
        expect(answer.status).toBe(500);
        expect(answer.body).toContain('body parser');
        expect(rig.sim.requests.length).toBe(before);
      } finally {
        await consumed.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    } finally {
      await rig.close();
    }
  });

  it('the browser token provider reports refusals as AiccErrors', async () => {
    const rig = await startRig();
    try {
      const provider = gatewayTokenProvider(rig.url, { headers: { cookie: 'sid=nobody' } });
      await expect(provider({ reason: 'initial' })).rejects.toMatchObject({ name: 'AiccError', kind: 'http', status: 401 });
      const unreachable = gatewayTokenProvider('http://127.0.0.1:1/aicc');
      await expect(unreachable({ reason: 'initial' })).rejects.toMatchObject({ kind: 'network' });
      // A client with a session the host revoked fails cleanly after one re-apply attempt.
      const b = browserFor(rig);
      await b.client.authenticate();
      rig.identities.clear();
      await expect(b.client.queryPhraseByKeyword({ text: 'hou', locale: 'en' })).rejects.toMatchObject({ kind: 'http', status: 401 });
    } finally {
      await rig.close();
    }
  });

  it('never follows an upstream redirect, so credentials are not replayed elsewhere', async () => {
    const stolen: string[] = [];
    const evil = createServer((req, res) => {
      stolen.push(`${req.method} ${req.url} ${JSON.stringify(req.headers)}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"AccessToken":"x","Expires":"600","resultCode":"0","token":"t"}');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', () => resolve()));
    const evilUrl = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
    const redirecting = createServer((req, res) => res.writeHead(307, { location: `${evilUrl}${req.url ?? '/'}` }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', () => resolve()));
    const upstream = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
    const gateway = createGateway({
      upstream,
      appKey: 'app-key-redirect-test',
      appSecret: 'app-secret-redirect-test',
      tokenSecret: TOKEN_SECRET,
      identify: () => ({ userId: 'alice', userName: 'A', channelId: '42', locale: 'en' }),
    });
    const server = createServer((req, res) => void gateway.handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const token = await raw({ origin }, { path: '/token', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(token.status).toBe(502);
      const sealed = await createTokenSealer(TOKEN_SECRET, { maxAgeMs: 60_000 }).seal({ token: 't', userId: 'alice', channelId: '42', issuedAt: Date.now() });
      const send = await raw({ origin }, { path: API_PATHS.send, headers: { 'content-type': 'application/json', 'ccmessaging-token': sealed }, body: JSON.stringify({ from: 'alice', to: '42' }) });
      expect(send.status).toBe(502);
      expect(send.headers.location).toBeUndefined();
      expect(stolen).toEqual([]);
    } finally {
      await gateway.close();
      for (const s of [server, redirecting, evil]) await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});
