/** Plain-fetch helpers for the simulator tests (deliberately not the package's client). */
import { API_PATHS, type ApiName, type ControlType, type WireDownlinkMessage } from '../../src/client/protocol.js';
import { startSimulator, type Simulator, type SimulatorOptions, type SimulatorTiming } from '../../src/simulator/index.js';

/** Small windows and delays so every test runs in milliseconds. */
export const FAST: SimulatorTiming = {
  longPollWindowMs: 150,
  sessionIdleTimeoutMs: 60_000,
  ccmessagingTokenLifetimeMs: 3_600_000,
  tokenRotationGraceMs: 30_000,
  robotReplyDelayMs: 5,
  agentReplyDelayMs: 5,
  queueAdvanceMs: 0,
};

export function start(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ ...options, timing: { ...FAST, ...options.timing } });
}

/** A controllable clock for token ages and timestamps. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

// Test-only loose JSON type: assertions check the shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Answer {
  status: number;
  body: Json;
  headers: Headers;
}

export async function http(
  sim: Simulator,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: unknown; rawBody?: string; signal?: AbortSignal } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.rawBody !== undefined) body = init.rawBody;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json; charset=UTF-8';
  const res = await fetch(sim.url + path, { method, headers, body, signal: init.signal });
  const text = await res.text();
  let parsed: Json = text;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function accessToken(sim: Simulator, expireSeconds?: number): Promise<string> {
  const headers: Record<string, string> = {};
  if (expireSeconds !== undefined) headers['X-Token-Expire'] = String(expireSeconds);
  const res = await http(sim, 'POST', API_PATHS.tokenByAkSk, {
    headers,
    body: { app_key: sim.credentials.appKey, app_secret: sim.credentials.appSecret },
  });
  if (res.status !== 200) throw new Error(`tokenByAkSk failed: ${res.status}`);
  return res.body.AccessToken as string;
}

export interface CallOptions {
  /** null: send no ccmessaging-token. */
  token?: string | null;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  signal?: AbortSignal;
}

/** One customer: holds its AccessToken and ccmessaging-token and follows rotations like a good client. */
export class Customer {
  rotations = 0;

  constructor(
    readonly sim: Simulator,
    readonly userId: string,
    public accessToken: string,
    public token: string,
  ) {}

  static async join(sim: Simulator, userId = 'u1', at?: string): Promise<Customer> {
    const gatewayToken = at ?? (await accessToken(sim));
    const res = await http(sim, 'POST', API_PATHS.applyToken, {
      headers: { 'x-app-key': sim.credentials.appKey, authorization: `Bearer ${gatewayToken}` },
      body: { userId, userName: `User ${userId}`, channelId: sim.channelId, locale: 'en_US' },
    });
    if (res.status !== 200 || res.body.resultCode !== '0') throw new Error(`applyToken failed: ${JSON.stringify(res.body)}`);
    return new Customer(sim, userId, gatewayToken, res.body.token as string);
  }

  headers(token: string | null = this.token): Record<string, string> {
    const h: Record<string, string> = {
      'x-app-key': this.sim.credentials.appKey,
      authorization: `Bearer ${this.accessToken}`,
    };
    if (token !== null) h['ccmessaging-token'] = token;
    return h;
  }

  async call(api: ApiName, body?: unknown, opts: CallOptions = {}): Promise<Answer> {
    const method = api === 'poll' ? 'GET' : 'POST';
    const qs = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const res = await http(this.sim, method, API_PATHS[api] + qs, {
      headers: { ...this.headers(opts.token === undefined ? this.token : opts.token), ...opts.headers },
      body,
      signal: opts.signal,
    });
    const rotated = res.headers.get('ccmessaging-token');
    if (rotated && rotated !== this.token) {
      this.token = rotated;
      this.rotations += 1;
    }
    return res;
  }

  sendBody(controlType: ControlType, fields: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      channel: 'WEB',
      controlType,
      mediaType: 'TEXT',
      content: '',
      from: this.userId,
      to: this.sim.channelId,
      sourceType: 'CUSTOMER',
      senderNickname: this.userId,
      timestamp: String(Date.now()),
      userAgent: null,
      senderAvatar: null,
      ...fields,
    };
  }

  async send(controlType: ControlType, fields: Record<string, unknown> = {}, api: 'send' | 'sendAsync' = 'send'): Promise<Json> {
    const res = await this.call(api, this.sendBody(controlType, fields));
    if (res.status !== 200) throw new Error(`${api} HTTP ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  text(content: string): Promise<Json> {
    return this.send('CHAT', { content });
  }

  /** One poll; asserts the transport-level success. */
  async poll(opts: { isNeedRead?: boolean; signal?: AbortSignal } = {}): Promise<WireDownlinkMessage[]> {
    const query: Record<string, string> = { receiverId: this.userId, channel: 'WEB' };
    if (opts.isNeedRead) query['isNeedRead'] = 'true';
    const res = await this.call('poll', undefined, { query, signal: opts.signal });
    if (res.status !== 200 || res.body.resultCode !== '0') throw new Error(`poll failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.downlinkMessages as WireDownlinkMessage[];
  }

  /** Polls until the collected messages satisfy `done` (bounded). */
  async pollUntil(
    done: (all: WireDownlinkMessage[]) => boolean,
    opts: { isNeedRead?: boolean; maxPolls?: number } = {},
  ): Promise<WireDownlinkMessage[]> {
    const all: WireDownlinkMessage[] = [];
    for (let i = 0; i < (opts.maxPolls ?? 20); i += 1) {
      all.push(...(await this.poll(opts)));
      if (done(all)) return all;
    }
    throw new Error(`pollUntil: condition not met; got ${JSON.stringify(all.map((m) => [m.sourceType, m.controlType, m.content]))}`);
  }
}

export const texts = (messages: WireDownlinkMessage[]): (string | null | undefined)[] => messages.map((m) => m.content);

export function b64(text: string | Uint8Array): string {
  return Buffer.from(text).toString('base64');
}
