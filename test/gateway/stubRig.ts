/**
 * Gateway → stub upstream (test/gateway/stubUpstream.ts), for the abuse limits of issue 17: polls
 * that stay open as long as a test needs, raw requests that can be held open, aborted or
 * trickled byte by byte, and a count of identify() calls.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Http2Server } from 'node:http2';
import { API_PATHS } from '../../src/client/index.js';
import { createGateway, type Gateway, type GatewayIdentity, type GatewayLogEntry, type GatewayOptions, type GatewayRequest } from '../../src/gateway/index.js';
import { startStubUpstream, type StubUpstream } from './stubUpstream.js';
import { BASE_PATH, TOKEN_SECRET } from './helpers.js';
import { closeServer, listenLocal } from '../support/localServer.js';

export const CHANNEL_ID = 'stub-channel-1';
export const P = (api: keyof typeof API_PATHS): string => BASE_PATH + API_PATHS[api];

export interface StubRig<S extends Server | Http2Server = Server> {
  origin: string;
  gateway: Gateway;
  stub: StubUpstream;
  server: S;
  logs: GatewayLogEntry[];
  /** How often identify() ran. */
  identifyCalls: number;
  /** When set and it answers something, identify() answers that (after counting the call) instead of looking up the cookie. */
  identifyHook?: (req: GatewayRequest) => ReturnType<GatewayOptions['identify']> | undefined;
  /** Registers a user; answers the cookie that identifies them. */
  login(userId: string): string;
  close(): Promise<void>;
}

/** The gateway on a node:http server, or on the one `server` makes of it (createGatewayServer, createGatewayHttp2Server). */
export async function startStubRig<S extends Server | Http2Server = Server>(overrides: Partial<GatewayOptions> = {}, server?: (gateway: Gateway) => S): Promise<StubRig<S>> {
  const stub = await startStubUpstream();
  const identities = new Map<string, GatewayIdentity>();
  const logs: GatewayLogEntry[] = [];
  const rig = { identifyCalls: 0 } as StubRig<S>;
  const gateway = createGateway({
    upstream: stub.url,
    appKey: 'stub-app-key-0123456789',
    appSecret: 'stub-app-secret-0123456789',
    tokenSecret: TOKEN_SECRET,
    basePath: BASE_PATH,
    identify: (req) => {
      rig.identifyCalls += 1;
      const hooked = rig.identifyHook?.(req);
      if (hooked !== undefined) return hooked;
      const sid = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      return (sid && identities.get(sid)) || null;
    },
    logger: (entry) => logs.push(entry),
    ...overrides,
  });
  const http = server ? server(gateway) : (createServer((req, res) => void gateway.handler(req, res)) as S);
  const origin = await listenLocal(http);
  return Object.assign(rig, {
    origin,
    gateway,
    stub,
    server: http,
    logs,
    login(userId: string) {
      identities.set(`s-${userId}`, { userId, userName: `User ${userId}`, channelId: CHANNEL_ID, locale: 'en_US' });
      return `sid=s-${userId}`;
    },
    async close() {
      await gateway.close();
      await closeServer(http);
      await stub.close();
    },
  });
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Held {
  /** The answer, or null when the request was aborted or the connection cut without one. */
  answer: Promise<Answer | null>;
  /** Whether the answer (or the cut) has come. */
  readonly settled: boolean;
  abort(): void;
  /** With `partial`: sends the rest of the body and ends the request. */
  finish(rest?: string): void;
}

/**
 * A request whose answer may take long: observe it, or abort it like a browser leaving. With
 * `partial` its `body` is sent (nothing but the headers when empty) and the request stays open
 * until `finish`: a slow body.
 */
export function open(origin: string, options: { method?: string; path: string; headers?: Record<string, string | number>; body?: string; partial?: boolean }): Held {
  const { port, hostname } = new URL(origin);
  let settled = false;
  // A fresh connection per request (no agent): each one is its own browser.
  const req = request({ host: hostname, port, method: options.method ?? 'POST', path: options.path, headers: options.headers, agent: false });
  const answer = new Promise<Answer | null>((resolve) => {
    const done = (a: Answer | null): void => {
      settled = true;
      resolve(a);
    };
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', () => done(null));
    });
    req.on('error', () => done(null));
    req.on('close', () => {
      if (!settled) setTimeout(() => done(null), 50);
    });
  });
  if (!options.partial) req.end(options.body);
  else if (options.body) req.write(options.body);
  else req.flushHeaders();
  return {
    answer,
    get settled() {
      return settled;
    },
    abort: () => req.destroy(),
    finish: (rest) => req.end(rest),
  };
}

/** One request, answered. */
export async function send(origin: string, options: Parameters<typeof open>[1]): Promise<Answer> {
  const answer = await open(origin, options).answer;
  if (!answer) throw new Error(`${options.path}: no answer`);
  return answer;
}

/** A sealed token for a logged-in cookie. */
export async function tokenOf(origin: string, cookie: string, headers: Record<string, string> = {}): Promise<string> {
  const answer = await send(origin, { path: `${BASE_PATH}/token`, headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{}' });
  const token = (JSON.parse(answer.body) as { token?: string }).token;
  if (answer.status !== 200 || !token) throw new Error(`token route answered ${answer.status} ${answer.body}`);
  return token;
}

export function pollPath(userId: string): string {
  return `${P('poll')}?receiverId=${encodeURIComponent(userId)}&channel=WEB`;
}
