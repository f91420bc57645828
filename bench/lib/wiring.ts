/**
 * How the benchmarks connect sessions to the simulator: the library's way (createChatSession
 * with a server-side token provider, as a Node back end would) and the bare-axios way (the same
 * HTTP calls written by hand, the baseline every ratio is taken against).
 */
import axios, { type AxiosInstance, type CreateAxiosDefaults } from 'axios';
import { API_PATHS } from '../../src/client/protocol.js';
import type * as Library from '../../src/index.js';
import type { AiccClient, ChatSessionActor, ChatTiming, GatewayHeadersProvider, HttpTransport } from '../../src/index.js';
import { lib } from './library.js';
import type { SimInfo } from './sim-protocol.js';
import { sleep } from './stats.js';

/** The library a session is built with: the one under test (`lib`), or another build (bench/ab-overhead.ts). */
export type BenchLibrary = typeof Library;

export interface SharedAuth {
  gatewayHeaders: GatewayHeadersProvider;
  /** Server-side client that calls applyToken for every customer. */
  tokenClient: AiccClient;
}

/** One AccessToken for the whole process (what a back end holding AK/SK does). */
export function sharedAuth(sim: SimInfo, library: BenchLibrary = lib): SharedAuth {
  const gatewayHeaders = library.akSkGatewayHeaders({ baseUrl: sim.url, ...sim.credentials, expiresInSeconds: 3600 });
  return { gatewayHeaders, tokenClient: library.createAiccClient({ baseUrl: sim.url, gatewayHeaders }) };
}

export function identityFor(sim: SimInfo, userId: string) {
  return { userId, userName: 'Bench', channelId: sim.channelId, locale: 'en_US' };
}

export interface MachineSessionOptions {
  timing?: Partial<ChatTiming>;
  /** The simulator's long-poll window, so the client sets its poll timeout above it. */
  longPollWindowMs?: number;
  /** An axios instance of the caller's (interceptors for counting). Default: the client makes one. */
  axios?: AxiosInstance;
  /** A transport other than axios (bench/transport.ts). */
  transport?: HttpTransport;
}

/** A createChatSession actor for `userId` (not started). */
export function machineSession(sim: SimInfo, auth: SharedAuth, userId: string, options: MachineSessionOptions = {}, library: BenchLibrary = lib): ChatSessionActor {
  const identity = identityFor(sim, userId);
  const client = library.createAiccClient({
    baseUrl: sim.url,
    gatewayHeaders: auth.gatewayHeaders,
    token: library.applyTokenProvider(auth.tokenClient, identity),
    ...(options.longPollWindowMs !== undefined ? { longPollWindowMs: options.longPollWindowMs } : {}),
    ...(options.axios ? { axios: options.axios } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
  });
  return library.createChatSession({ client, identity, ...(options.timing ? { timing: options.timing } : {}) });
}

/**
 * Starts `count` users with `start(`${prefix}-${i}`)`, at most `inFlight` setting up at once, and
 * resolves when all have. On a loaded machine a set-up call (applyToken, CONNECT) can time out:
 * that user is started again under a new id (a retried CONNECT could be a second one for the
 * same user), at most twice; the process fails only when all three did.
 */
export async function startUsers(count: number, prefix: string, start: (userId: string) => Promise<void>, inFlight: number): Promise<void> {
  const waiter = new Waiter();
  let started = 0;
  const startOne = async (i: number): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await start(`${prefix}-${i}${attempt > 1 ? `-r${attempt}` : ''}`);
      } catch (error) {
        if (attempt >= 3) throw error;
        await sleep(1000);
      }
    }
  };
  for (let i = 0; i < count; i++) {
    void startOne(i).then(() => {
      started++;
      waiter.notify();
    });
    if (i % 50 === 49) await Promise.all([sleep(50), waiter.until(() => started >= i + 1 - inFlight)]);
  }
  await waiter.until(() => started === count);
}

/** Calls `onChatting` once: the first time the actor is in `connected.chatting`. */
export function onceChatting(actor: ChatSessionActor, onChatting: () => void): void {
  let seen = false;
  actor.subscribe((s) => {
    if (!seen && s.matches({ connected: 'chatting' })) {
      seen = true;
      onChatting();
    }
  });
}

/** Wire shape of a downlink message, as far as the benchmarks read it. */
export interface BareMessage {
  controlType?: string;
  timestamp?: number | string;
  sourceType?: string;
  content?: string | null;
  messageCode?: string | null;
}

/** Gateway headers fetched once with bare axios. */
export async function bareGatewayHeaders(sim: SimInfo): Promise<Record<string, string>> {
  const answer = await axios.post<{ AccessToken: string }>(
    sim.url + API_PATHS.tokenByAkSk,
    { app_key: sim.credentials.appKey, app_secret: sim.credentials.appSecret },
    { headers: { 'x-token-expire': '3600' } },
  );
  return { 'x-app-key': sim.credentials.appKey, Authorization: `Bearer ${answer.data.AccessToken}` };
}

/**
 * The same conversation written directly against axios: one instance per session, applyToken,
 * send, one long poll at a time. No validation, no parsing beyond JSON, no state machine.
 */
export class BareSession {
  readonly http: AxiosInstance;
  private headers: Record<string, string>;
  private controller: AbortController | undefined;
  private polling: Promise<void> | undefined;
  private lastTimestamp = 0;

  constructor(
    private readonly sim: SimInfo,
    gatewayHeaders: Record<string, string>,
    readonly userId: string,
    private readonly pollTimeoutMs = 15_000,
    http?: AxiosInstance,
  ) {
    this.http = http ?? axios.create();
    this.headers = { ...gatewayHeaders };
  }

  async applyToken(): Promise<void> {
    const answer = await this.http.post<{ resultCode: string; token: string }>(this.sim.url + API_PATHS.applyToken, identityFor(this.sim, this.userId), {
      headers: this.headers,
    });
    if (answer.data.resultCode !== '0') throw new Error(`applyToken ${answer.data.resultCode}`);
    this.headers = { ...this.headers, 'ccmessaging-token': answer.data.token };
  }

  async send(controlType: 'CONNECT' | 'CHAT' | 'DISCONNECT', content = ''): Promise<string> {
    this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
    const answer = await this.http.post<{ resultCode: string; resultDesc?: string }>(
      this.sim.url + API_PATHS.send,
      {
        channel: 'WEB',
        controlType,
        from: this.userId,
        to: this.sim.channelId,
        mediaType: 'TEXT',
        sourceType: 'CUSTOMER',
        timestamp: String(this.lastTimestamp),
        content,
      },
      { headers: this.headers },
    );
    if (answer.data.resultCode !== '0') throw new Error(`send ${controlType} ${answer.data.resultCode}`);
    return answer.data.resultDesc ?? '';
  }

  async surveyMode(): Promise<void> {
    await this.http.post(this.sim.url + API_PATHS.getSatisfactionSurveyMode, { language: 'en_US' }, { headers: this.headers });
  }

  /**
   * The history query the machine makes after DISCONNECT (what a poll cut off by the end may have
   * carried: src/actors/uplink.ts), so both variants make the same calls.
   */
  async historySince(startTime: number): Promise<unknown[]> {
    const answer = await this.http.post<{ resultCode: string; messageList?: unknown[] }>(
      this.sim.url + API_PATHS.queryHistoryChatMessage,
      { channelId: this.sim.channelId, userId: this.userId, limit: '50', offset: '0', channel: 'WEB', startTime: String(startTime) },
      { headers: this.headers },
    );
    if (answer.data.resultCode !== '0') throw new Error(`queryHistoryChatMessage ${answer.data.resultCode}`);
    return answer.data.messageList ?? [];
  }

  /** Long-polls until stop(); each non-empty answer goes to onMessages. */
  startPolling(onMessages: (messages: BareMessage[]) => void): void {
    const controller = new AbortController();
    this.controller = controller;
    this.polling = (async () => {
      while (!controller.signal.aborted) {
        try {
          const answer = await this.http.get<{ resultCode: string; downlinkMessages?: BareMessage[] }>(this.sim.url + API_PATHS.poll, {
            params: { receiverId: this.userId, channel: 'WEB' },
            headers: this.headers,
            signal: controller.signal,
            timeout: this.pollTimeoutMs,
          });
          const messages = answer.data.downlinkMessages ?? [];
          if (messages.length > 0) onMessages(messages);
        } catch (error) {
          if (controller.signal.aborted) return;
          throw error;
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.controller?.abort();
    await this.polling?.catch(() => undefined);
  }
}

/** Resolves when `check` is true, re-checked whenever `notify` is called (no polling timers). */
export class Waiter {
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  notify(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.check()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}

/** Client-side request counts of a group of sessions, and the most polls one session had in flight. */
export interface RequestCounter {
  byApi: Record<string, number>;
  maxInFlightPolls: number;
}

const apiOfUrl = (url: string | undefined): string => {
  const path = (url ?? '').replace(/^https?:\/\/[^/]+/, '').split('?')[0] ?? '';
  const hit = (Object.entries(API_PATHS) as [string, string][]).find(([, p]) => p === path);
  return hit?.[0] ?? 'unknown';
};

/** An axios instance (one per session) that counts its requests into `counter`. */
export function countingAxios(counter: RequestCounter, config: CreateAxiosDefaults = {}): AxiosInstance {
  const instance = axios.create(config);
  let inFlightPolls = 0;
  instance.interceptors.request.use((request) => {
    const api = apiOfUrl(request.url);
    counter.byApi[api] = (counter.byApi[api] ?? 0) + 1;
    if (api === 'poll') {
      inFlightPolls += 1;
      if (inFlightPolls > counter.maxInFlightPolls) counter.maxInFlightPolls = inFlightPolls;
    }
    return request;
  });
  const done = (url: string | undefined): void => {
    if (apiOfUrl(url) === 'poll') inFlightPolls -= 1;
  };
  instance.interceptors.response.use(
    (response) => {
      done(response.config.url);
      return response;
    },
    (error: unknown) => {
      done((error as { config?: { url?: string } }).config?.url);
      return Promise.reject(error);
    },
  );
  return instance;
}

/** chat.end, skipping any survey; resolves when the actor has stopped (true: ended as 'done'). */
export function endSession(actor: ChatSessionActor, timeoutMs = 30_000): Promise<boolean> {
  return new Promise((resolve) => {
    let skipped = false;
    const timer = setTimeout(() => finish(), timeoutMs);
    const subscription = actor.subscribe({ next: check, error: () => finish(), complete: () => finish() });
    function finish(): void {
      clearTimeout(timer);
      subscription.unsubscribe();
      resolve(actor.getSnapshot().status === 'done');
    }
    function check(): void {
      const s = actor.getSnapshot();
      if (s.status !== 'active') return finish();
      if (!skipped && (s.matches({ connected: 'survey-agent' }) || s.matches({ connected: 'survey-robot' }))) {
        skipped = true;
        actor.send({ type: 'survey.skip' });
      }
    }
    actor.send({ type: 'chat.end' });
    check();
  });
}
