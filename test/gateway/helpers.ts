/**
 * Test rig: browser (the package's client, or raw node:http requests) → gateway → tap → simulator.
 * The tap is a transparent recording proxy: it sees what the gateway really sends upstream
 * (unredacted headers) and every secret upstream hands out (AccessTokens, ccmessaging-tokens),
 * so tests can assert that none of them ever reaches the browser or a log line.
 */
import { createServer, request, type Server, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import axios from 'axios';
import { createAiccClient, type AiccClient, type AiccClientOptions } from '../../src/client/index.js';
import type { Http2Server } from 'node:http2';
import { createGateway, createGatewayHttp2Server, gatewayTokenProvider, type Gateway, type GatewayIdentity, type GatewayLogEntry, type GatewayOptions } from '../../src/gateway/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.js';
import { eventually } from '../support/timeBudget.js';
import { closeServer, listenLocal } from '../support/localServer.js';

export const FAST_TIMING = { longPollWindowMs: 150, robotReplyDelayMs: 5, agentReplyDelayMs: 5, queueAdvanceMs: 0 } as const;
export const TOKEN_SECRET = 'test-token-secret-0123456789abcdef-0123456789';
export const ALLOWED_ORIGIN = 'https://shop.example.com';
export const BASE_PATH = '/aicc';

export interface TapRecord {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
  responseHeaders: IncomingHttpHeaders;
  responseBody: string;
}

export interface Tap {
  url: string;
  records: TapRecord[];
  /** Headers the tap adds to every upstream answer (to test that the gateway strips them). */
  extraResponseHeaders: Record<string, string | string[]>;
  /** Every secret upstream handed out: AccessTokens, ccmessaging-tokens (issued and rotated). */
  secretsSeen(): string[];
  close(): Promise<void>;
}

function readAll(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

export async function startTap(target: string): Promise<Tap> {
  const records: TapRecord[] = [];
  const tap: Omit<Tap, 'url' | 'close'> = {
    records,
    extraResponseHeaders: {},
    secretsSeen() {
      const out = new Set<string>();
      for (const r of records) {
        for (const field of ['AccessToken', 'token']) {
          const match = new RegExp(`"${field}":"([^"]+)"`).exec(r.responseBody);
          if (match?.[1]) out.add(match[1]);
        }
        const rotated = r.responseHeaders['ccmessaging-token'];
        if (typeof rotated === 'string') out.add(rotated);
        const sent = r.headers['ccmessaging-token'];
        if (typeof sent === 'string') out.add(sent);
        const auth = r.headers['authorization'];
        if (typeof auth === 'string') out.add(auth.replace(/^Bearer /, ''));
      }
      return [...out];
    },
  };
  const server = createServer(async (req, res) => {
    const body = await readAll(req);
    const upstream = request(target + (req.url ?? '/'), { method: req.method, headers: req.headers }, async (answer) => {
      const responseBody = await readAll(answer);
      records.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
        status: answer.statusCode ?? 0,
        responseHeaders: answer.headers,
        responseBody,
      });
      const headers: Record<string, string | string[] | number> = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined && name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') headers[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, { ...headers, ...tap.extraResponseHeaders });
      res.end(responseBody);
    });
    upstream.on('error', () => res.destroy());
    // The gateway gave up (browser gone): give up upstream too, like a real proxy would.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    upstream.end(body);
  });
  const url = await listenLocal(server);
  return {
    ...tap,
    url,
    close: () => closeServer(server),
  };
}

export interface Rig {
  /** The gateway's server: node:http (default), or h2c (`startRig(..., ..., { front: 'h2c' })`). */
  server: Server | Http2Server;
  sim: Simulator;
  tap: Tap;
  gateway: Gateway;
  /** The gateway as the browser sees it: http://127.0.0.1:PORT/aicc */
  url: string;
  /** Origin only (no basePath), for raw requests. */
  origin: string;
  logs: GatewayLogEntry[];
  identities: Map<string, GatewayIdentity>;
  /** Registers a user and answers the cookie that identifies them. */
  login(userId: string): string;
  close(): Promise<void>;
}

let counter = 0;
export function newUserId(): string {
  counter += 1;
  return `g${process.pid % 1000}-${counter}-${Math.floor(Math.random() * 1e5)}`;
}

/** Cookie `sid=<session>` → identity, like a host app's session store. */
export async function startRig(
  overrides: Partial<GatewayOptions> = {},
  simOptions: SimulatorOptions = {},
  { front = 'http1' }: { front?: 'http1' | 'h2c' } = {},
): Promise<Rig> {
  const sim = await startSimulator({ ...simOptions, timing: { ...FAST_TIMING, ...simOptions.timing } });
  const tap = await startTap(sim.url);
  const logs: GatewayLogEntry[] = [];
  const identities = new Map<string, GatewayIdentity>();
  const gateway = createGateway({
    upstream: tap.url,
    appKey: sim.credentials.appKey,
    appSecret: sim.credentials.appSecret,
    accessTokenSeconds: 600,
    tokenSecret: TOKEN_SECRET,
    basePath: BASE_PATH,
    allowedOrigins: [ALLOWED_ORIGIN],
    longPollWindowMs: FAST_TIMING.longPollWindowMs,
    identify: (req) => {
      const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      return (sid && identities.get(sid)) || null;
    },
    logger: (entry) => logs.push(entry),
    ...overrides,
  });
  const server = front === 'h2c' ? createGatewayHttp2Server(gateway) : createServer((req, res) => void gateway.handler(req, res));
  const origin = await listenLocal(server);
  return {
    server,
    sim,
    tap,
    gateway,
    url: origin + BASE_PATH,
    origin,
    logs,
    identities,
    login(userId) {
      const session = `s-${userId}`;
      identities.set(session, { userId, userName: `User ${userId}`, channelId: sim.channelId, locale: 'en_US' });
      return `sid=${session}`;
    },
    async close() {
      await gateway.close();
      await closeServer(server);
      await tap.close();
      await sim.close();
    },
  };
}

export interface BrowserRecord {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Browser {
  client: AiccClient;
  userId: string;
  cookie: string;
  /** Every answer the browser received (client calls and token fetches). */
  seen: BrowserRecord[];
  rotations: string[];
}

/**
 * The package's client exactly as a web page would configure it: baseUrl = the gateway, token =
 * the gateway's /token route, NO gatewayHeaders. The cookie stands in for the browser's session.
 */
export function browserFor(rig: Rig, userId = newUserId(), overrides: Partial<AiccClientOptions> = {}): Browser {
  const cookie = rig.login(userId);
  const seen: BrowserRecord[] = [];
  const rotations: string[] = [];
  const http = axios.create({ headers: { cookie, origin: ALLOWED_ORIGIN } });
  http.interceptors.response.use((response) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(response.headers)) headers[k] = String(v);
    seen.push({ status: response.status, headers, body: String(response.data) });
    return response;
  });
  const tracingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const body = await response.clone().text();
    const headers: Record<string, string> = {};
    response.headers.forEach((v, k) => (headers[k] = v));
    seen.push({ status: response.status, headers, body });
    return response;
  };
  const client = createAiccClient({
    baseUrl: rig.url,
    token: gatewayTokenProvider(rig.url, { fetch: tracingFetch, headers: { cookie, origin: ALLOWED_ORIGIN } }),
    axios: http,
    longPollWindowMs: FAST_TIMING.longPollWindowMs,
    onTokenRotated: (t) => rotations.push(t),
    ...overrides,
  });
  return { client, userId, cookie, seen, rotations };
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw request: the path goes out byte for byte (no URL normalisation), any header allowed. */
export function raw(
  rig: Pick<Rig, 'origin'>,
  options: { method?: string; path: string; headers?: Record<string, string | number>; body?: string | Buffer },
): Promise<RawAnswer> {
  const { port, hostname } = new URL(rig.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: options.method ?? 'POST', path: options.path, headers: options.headers }, async (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: await readAll(res) });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Fetches a sealed token for a logged-in cookie through the gateway. */
export async function tokenFor(rig: Rig, cookie: string): Promise<string> {
  const answer = await raw(rig, { path: `${BASE_PATH}/token`, headers: { cookie, 'content-type': 'application/json' }, body: '{}' });
  const token = (JSON.parse(answer.body) as { token?: string }).token;
  if (answer.status !== 200 || !token) throw new Error(`token route answered ${answer.status}`);
  return token;
}

export function jsonHeaders(cookie: string, token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { cookie, 'ccmessaging-token': token, 'content-type': 'application/json; charset=UTF-8', ...extra };
}

/** Everything a log line holds, as one string (to scan for secrets). */
export function logText(logs: GatewayLogEntry[]): string {
  return logs.map((l) => JSON.stringify(l)).join('\n');
}

/** Waits for a condition without sleeping a fixed time; `idleMs` is a scaled hang detector (test/support/timeBudget.ts). */
export async function until(condition: () => boolean, idleMs?: number): Promise<void> {
  await eventually(condition, { what: 'the condition', ...(idleMs === undefined ? {} : { idleMs }) });
}
