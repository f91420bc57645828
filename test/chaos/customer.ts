/**
 * One scripted customer: a full conversation through createChatSession (real machine, real
 * actors, real axios client) against the simulator, while the simulator's seeded fault plan hits
 * its requests. Every decision the customer takes comes from a PRNG seeded with (run seed,
 * session index), so a session can be replayed alone with the same seed.
 *
 * The customer behaves like a person: waits for answers before going on, retries what is shown
 * as failed (logging whether the outcome was unknown), reloads the page mid-chat, goes offline
 * and back, hides the page, types invalid things, rates or skips the survey. It never looks
 * behind the machine's back: it only sends user events and reads snapshots.
 */
import { Agent } from 'node:http';
import axios from 'axios';
import type { SnapshotFrom } from 'xstate';
import {
  createChatSession,
  type ChatSessionActor,
  type ChatSessionMachine,
  type OutgoingEntry,
} from '../../src/index.js';
import { applyTokenProvider, createAiccClient, type AiccClient, type GatewayHeadersProvider, type HttpTransport } from '../../src/client/index.js';
import { seededRandom, hashSeed, type Simulator } from '../../src/simulator/index.js';
import { CLIENT, MACHINE_TIMING, type ClientTimeouts } from './config.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';

export type Snapshot = SnapshotFrom<ChatSessionMachine>;

export type Flow = 'robot' | 'robot-agent' | 'agent';

export interface CustomerPlan {
  flow: Flow;
  /** Text messages to send once served. */
  texts: number;
  /** Reload the page before this text (index), or never. */
  reloadAt: number | null;
  /** Go offline (and type a message) before this text, or never. */
  offlineAt: number | null;
  /** Hide the page for a moment before this text, or never. */
  hiddenAt: number | null;
  /** Send a small file before this text, or never. */
  fileAt: number | null;
  /** Type while queuing (agent flows). */
  typeWhileQueuing: boolean;
  /** The agent ends the chat (agent flows); otherwise the customer does. */
  agentEnds: boolean;
  survey: 'submit' | 'skip' | 'end';
  /** Retry messages shown as failed with an unknown outcome (a customer who insists). */
  retryUnknown: boolean;
}

export function planFor(seed: number, index: number): CustomerPlan {
  const r = seededRandom(hashSeed(seed, 'customer', index));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;
  const texts = 2 + Math.floor(r() * 4);
  const at = (p: number) => (r() < p ? Math.floor(r() * texts) : null);
  return {
    flow: pick(['robot', 'robot-agent', 'agent'] as const),
    texts,
    reloadAt: at(0.3),
    offlineAt: at(0.25),
    hiddenAt: at(0.2),
    fileAt: at(0.15),
    typeWhileQueuing: r() < 0.5,
    agentEnds: r() < 0.4,
    survey: pick(['submit', 'submit', 'skip', 'end'] as const),
    retryUnknown: r() < 0.5,
  };
}

/** What the customer did, for the checks and the figures. */
export interface CustomerLog {
  userId: string;
  plan: CustomerPlan;
  /** Texts the machine accepted from message.send (in order). */
  texts: string[];
  files: number;
  /** Wire timestamps of messages the customer retried while their outcome was unknown. */
  unknownRetries: string[];
  /** Retries of messages that certainly failed. */
  knownRetries: number;
  /** Wire timestamps of messages retried after a certain failure (they go to the end of the queue). */
  knownRetried: string[];
  /** Why failed messages failed, as `kind status` (for the figures). */
  failureKinds: string[];
  badInputs: number;
  /** A bad input that changed the state or threw (must stay 0). */
  badInputEffects: string[];
  reloads: number;
  offlineEpisodes: number;
  hiddenEpisodes: number;
  /** Things that went wrong while driving (timeouts etc.). */
  notes: string[];
  final: Snapshot | null;
  /** When the customer first asked to end (chat.end), epoch ms; null when the server ended. */
  endRequestedAt: number | null;
  /** CustomerEnv.patience of the run (the checks scale their waits by it too). */
  patience: number;
  startedAt: number;
  endedAt: number;
}

export interface CustomerEnv {
  sim: Simulator;
  gatewayHeaders: GatewayHeadersProvider;
  /** applyToken caller (the host's back end). */
  tokenClient: AiccClient;
  seed: number;
  index: number;
  /** Events the machine version understands beyond the base ones (feature detection). */
  connectivityEvents: boolean;
  /**
   * How many times longer than on an idle machine the customer waits before giving up on
   * something (default 1). A slow phone's user waits longer too: `--overload` runs with 1 + hogs.
   * The library's own timings never change with it.
   */
  patience?: number;
  /** The client's timeouts (default CLIENT: the idle ones). */
  timeouts?: ClientTimeouts;
  /** Every customer's transport (ChaosOptions.transport); none: axios on sockets of their own. */
  transport?: HttpTransport;
}

/** How long a customer waits for the agent's end to show before ending the chat themselves. */
export const AGENT_END_PATIENCE_MS = 8_000;
/** Times a customer presses "send" on a rating that keeps failing before skipping it. */
export const MAX_SURVEY_ATTEMPTS = 3;

/** How long `finish` lets a session take to reach its final state before calling it stuck. */
export const FINISH_PATIENCE_MS = 90_000;

const SMALL_PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);

/** Invalid user events: each must be refused without a throw or a state change. */
export const BAD_INPUTS: readonly Record<string, unknown>[] = [
  { type: 'message.send', text: '' },
  { type: 'message.send', text: '   ' },
  { type: 'message.send', text: 'x'.repeat(1025) },
  { type: 'message.send', text: '€'.repeat(400) },
  { type: 'message.send', text: 42 },
  { type: 'message.send' },
  { type: 'message.retry', key: 'no-such-message' },
  { type: 'message.retry', key: null },
  { type: 'file.send', data: 'not bytes', fileType: 'png' },
  { type: 'file.send', data: new Uint8Array([1]), fileType: 'exe' },
  { type: 'file.send', data: new Uint8Array(0), fileType: 'png' },
  { type: 'file.download', key: 'no-such-file' },
  { type: 'survey.submit', evaluation: '99' },
  { type: 'survey.submit', satisfied: 'yes' },
  { type: 'leaveMessage.submit', caller: 'not a phone', message: '' },
  { type: 'input.change', text: null },
  { type: 'nonsense.event' },
  { type: 'request.retry' },
];

export function label(s: Snapshot): string {
  const value = s.value as string | Record<string, unknown>;
  if (typeof value === 'string') return value;
  const [top, child] = Object.entries(value)[0] ?? ['?', undefined];
  return typeof child === 'string' ? `${top}.${child}` : typeof child === 'object' && child ? `${top}.${Object.keys(child)[0]}` : top;
}

const inConversation = (s: Snapshot) => s.status === 'active' && (s.matches({ connected: 'queuing' }) || s.matches({ connected: 'chatting' }));
const starting = (s: Snapshot) => s.status === 'active' && (s.matches('auth') || s.matches('history') || s.matches('connecting') || s.matches('connect-retry'));

function outgoingOf(s: Snapshot): OutgoingEntry[] {
  return transcriptEntries(s.context.transcript).filter((e): e is OutgoingEntry => e.kind === 'outgoing');
}

/**
 * The wire `timestamp` of a customer message: the client sends the entry's `timestamp` as a
 * string (its idempotency key), and the simulator records what it received under
 * `wireTimestamp` of the uplink, so the two sides are joined on it.
 */
export function wireStamp(entry: OutgoingEntry): string {
  return String(entry.timestamp);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Customer {
  private actor!: ChatSessionActor;
  /** Each page has its own connection pool, as a browser tab would (not Node's global agent). */
  private agents: Agent[] = [];
  private readonly r: () => number;
  readonly log: CustomerLog;

  constructor(private readonly env: CustomerEnv) {
    this.r = seededRandom(hashSeed(env.seed, 'moves', env.index));
    const plan = planFor(env.seed, env.index);
    this.log = {
      userId: `chaos-${env.seed % 10_000}-${env.index}`,
      plan,
      texts: [],
      files: 0,
      unknownRetries: [],
      knownRetries: 0,
      knownRetried: [],
      failureKinds: [],
      badInputs: 0,
      badInputEffects: [],
      reloads: 0,
      offlineEpisodes: 0,
      hiddenEpisodes: 0,
      notes: [],
      final: null,
      endRequestedAt: null,
      patience: env.patience ?? 1,
      startedAt: Date.now(),
      endedAt: 0,
    };
  }

  private newSession(snapshot?: unknown): ChatSessionActor {
    const { sim, gatewayHeaders, tokenClient } = this.env;
    const identity = { userId: this.log.userId, userName: 'Chaos Customer', channelId: sim.channelId, locale: 'en_US' };
    // A fresh page: a new client with no token (it asks the provider again), with sockets of its
    // own (not Node's global agent, which all customers would share). Without keep-alive: with a
    // keep-alive pool per customer and ~150 customers in one process, requests on reused sockets
    // were intermittently held ~1.5 s before the server saw them (a Node pooling artefact of this
    // rig, not something a browser does), which turned into spurious timeouts.
    const agent = (this.agents[0] ??= new Agent({ keepAlive: false }));
    if (process.env['CHAOS_HTTP_LOG'] && !(agent as { patched?: boolean }).patched) {
      (agent as { patched?: boolean }).patched = true;
      const create = agent.createConnection.bind(agent);
      const t0 = this.log.startedAt;
      (agent as unknown as { createConnection: typeof create }).createConnection = ((options: never, cb: never) => {
        const started = Date.now();
        const socket = create(options, cb);
        socket?.once('connect', () => this.log.notes.push(`tcp ${started - t0}→${Date.now() - t0} port ${(socket as { localPort?: number }).localPort}`));
        return socket;
      }) as typeof create;
    }
    const http = axios.create({ maxRedirects: 0, httpAgent: agent });
    if (process.env['CHAOS_HTTP_LOG']) {
      const t0 = this.log.startedAt;
      http.interceptors.request.use((cfg) => {
        (cfg as { t?: number }).t = Date.now();
        return cfg;
      });
      http.interceptors.response.use(
        (res) => {
          this.log.notes.push(`http ${res.config.url?.split('/').pop()} ${((res.config as { t?: number }).t ?? 0) - t0}→${Date.now() - t0} ${res.status}`);
          return res;
        },
        (error: { config?: { url?: string; t?: number }; code?: string }) => {
          this.log.notes.push(`http ${error.config?.url?.split('/').pop()} ${(error.config?.t ?? 0) - t0}→${Date.now() - t0} ${error.code}`);
          return Promise.reject(error);
        },
      );
    }
    const timeouts = this.env.timeouts ?? CLIENT;
    const client = createAiccClient({
      baseUrl: sim.url,
      ...(this.env.transport ? { transport: this.env.transport } : { axios: http }),
      gatewayHeaders,
      token: applyTokenProvider(tokenClient, identity),
      timeoutMs: timeouts.timeoutMs,
      longPollWindowMs: timeouts.longPollWindowMs,
      pollTimeoutMs: timeouts.pollTimeoutMs,
    });
    const actor = createChatSession({
      client,
      identity,
      timing: MACHINE_TIMING,
      isNeedRead: true,
      ...(snapshot !== undefined ? { snapshot: snapshot as never } : {}),
    });
    actor.subscribe({ error: () => undefined });
    actor.start();
    return actor;
  }

  private get snap(): Snapshot {
    return this.actor.getSnapshot();
  }

  /** Resolves with the first snapshot matching, the final one, or null after the timeout. */
  private until(predicate: (s: Snapshot) => boolean, idleTimeoutMs: number): Promise<Snapshot | null> {
    const actor = this.actor;
    const timeoutMs = idleTimeoutMs * this.log.patience;
    return new Promise((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let sub: { unsubscribe(): void } | undefined;
      const finish = (value: Snapshot | null) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        queueMicrotask(() => sub?.unsubscribe());
        resolve(value);
      };
      const check = (s: Snapshot) => {
        if (predicate(s) || s.status !== 'active') finish(s);
      };
      check(actor.getSnapshot());
      if (settled) return;
      timer = setTimeout(() => finish(null), timeoutMs);
      sub = actor.subscribe({ next: check, error: () => finish(actor.getSnapshot()), complete: () => finish(actor.getSnapshot()) });
    });
  }

  private send(event: Record<string, unknown>): void {
    if (event.type === 'chat.end' && this.log.endRequestedAt === null) this.log.endRequestedAt = Date.now();
    this.actor.send(event as never);
  }

  /** Everything the server emitted has arrived and nothing of ours is still on its way. */
  private async converge(idleTimeoutMs = 4_000): Promise<void> {
    const deadline = Date.now() + idleTimeoutMs * this.log.patience;
    while (Date.now() < deadline) {
      const s = this.snap;
      if (s.status !== 'active' || !inConversation(s)) return;
      const pendingOut = outgoingOf(s).some((e) => e.status !== 'sent' && e.status !== 'failed');
      const view = this.env.sim.session(this.log.userId);
      const keys = new Set(transcriptEntries(s.context.transcript).map((e) => e.key));
      const missing = (view?.transcript ?? []).some((e) => e.direction === 'downlink' && e.controlType === 'CHAT' && !keys.has(e.messageCode));
      if (!pendingOut && !missing) return;
      await sleep(25);
    }
  }

  /** Handles failed messages like a person looking at the transcript. */
  private retryFailures(): void {
    for (const entry of outgoingOf(this.snap)) {
      if (entry.status !== 'failed' || entry.mediaType !== 'TEXT') continue;
      const error = entry.error as { outcomeUnknown?: boolean; kind?: string; status?: number; resultCode?: string } | null;
      if (!inConversation(this.snap)) return;
      if (error?.outcomeUnknown) {
        if (!this.log.plan.retryUnknown || this.log.unknownRetries.includes(wireStamp(entry))) continue;
        this.log.unknownRetries.push(wireStamp(entry));
      } else {
        this.log.knownRetries += 1;
        if (!this.log.knownRetried.includes(wireStamp(entry))) this.log.knownRetried.push(wireStamp(entry));
      }
      this.log.failureKinds.push(`${error?.kind ?? '?'}${error?.status ? ` ${error.status}` : ''}${error?.resultCode ? ` ${error.resultCode}` : ''}${error?.outcomeUnknown ? ' (unknown)' : ''}`);
      this.send({ type: 'message.retry', key: entry.key });
    }
  }

  private badInput(): void {
    if (this.r() > 0.35) return;
    const event = BAD_INPUTS[Math.floor(this.r() * BAD_INPUTS.length)] as Record<string, unknown>;
    const before = JSON.stringify(this.snap.value);
    const outbox = this.snap.context.outbox.length;
    try {
      this.send(event);
    } catch (error) {
      this.log.badInputEffects.push(`${String(event.type)} threw ${String(error)}`);
    }
    this.log.badInputs += 1;
    const after = this.snap;
    if (after.status === 'error') this.log.badInputEffects.push(`${String(event.type)} put the actor in error`);
    // A refused payload changes nothing but context.error (an actor may move the state meanwhile,
    // but not synchronously within send).
    // input.change has no invalid payload: anything but text counts as a cleared input box.
    if (JSON.stringify(after.value) !== before && event.type !== 'request.retry' && event.type !== 'input.change') {
      this.log.badInputEffects.push(`${String(event.type)} changed the state`);
    }
    if (after.context.outbox.length !== outbox) this.log.badInputEffects.push(`${String(event.type)} changed the outbox`);
  }

  private async sendText(text: string): Promise<void> {
    const before = outgoingOf(this.snap).length;
    this.send({ type: 'message.send', text });
    if (outgoingOf(this.snap).length === before + 1) this.log.texts.push(text);
    else this.log.notes.push(`message.send "${text}" was not accepted in ${label(this.snap)}`);
  }

  private async reload(): Promise<void> {
    const persisted = JSON.parse(JSON.stringify(this.actor.getPersistedSnapshot())) as unknown;
    this.actor.stop();
    this.log.reloads += 1;
    await sleep(Math.floor(this.r() * 30));
    this.actor = this.newSession(persisted);
    if (this.env.connectivityEvents) {
      this.send({ type: 'connection.online' });
      this.send({ type: 'page.visible' });
    }
  }

  private async offlineEpisode(index: number): Promise<void> {
    if (!this.env.connectivityEvents) return;
    this.log.offlineEpisodes += 1;
    this.send({ type: 'connection.offline' });
    await sleep(50 + Math.floor(this.r() * 150));
    await this.sendText(`typed offline ${index}`);
    await sleep(50 + Math.floor(this.r() * 150));
    this.send({ type: 'connection.online' });
  }

  private async hiddenEpisode(): Promise<void> {
    if (!this.env.connectivityEvents) return;
    this.log.hiddenEpisodes += 1;
    this.send({ type: 'page.hidden' });
    await sleep(100 + Math.floor(this.r() * 300));
    this.send({ type: 'page.visible' });
  }

  /** The conversation part of every flow: texts with the planned disturbances in between. */
  private async chat(prefix: string): Promise<void> {
    const { plan } = this.log;
    for (let i = 0; i < plan.texts; i++) {
      if (!inConversation(this.snap)) return;
      this.badInput();
      if (plan.reloadAt === i) await this.reload();
      if (plan.offlineAt === i) await this.offlineEpisode(i);
      if (plan.hiddenAt === i) await this.hiddenEpisode();
      if (plan.fileAt === i && inConversation(this.snap)) {
        const before = outgoingOf(this.snap).length;
        this.send({ type: 'file.send', data: SMALL_PNG, fileType: 'png', name: `shot-${i}.png` });
        if (outgoingOf(this.snap).length === before + 1) this.log.files += 1;
      }
      if (!inConversation(this.snap)) return;
      await this.sendText(`${prefix} ${i} (${this.log.userId})`);
      if (this.r() < 0.3) this.send({ type: 'input.change', text: 'how do I' });
      if (this.r() < 0.3) this.send({ type: 'messages.markRead' });
      await this.converge();
      this.retryFailures();
      await this.converge();
    }
  }

  private async waitServedByAgent(): Promise<boolean> {
    const served = await this.until((s) => s.matches({ connected: 'chatting' }) && s.context.servedBy === 'agent', 8_000);
    if (!served) this.log.notes.push(`not served by an agent in time (${label(this.snap)})`);
    return served !== null && inConversation(served);
  }

  async run(): Promise<CustomerLog> {
    this.actor = this.newSession();
    const { plan } = this.log;
    try {
      const ready = await this.until((s) => inConversation(s) && !starting(s), 10_000);
      if (!ready) this.log.notes.push(`never connected (${label(this.snap)})`);
      else if (inConversation(ready)) {
        if (plan.flow === 'robot' || plan.flow === 'robot-agent') {
          await this.until((s) => s.matches({ connected: 'chatting' }), 5_000);
          await this.chat(plan.flow === 'robot' ? 'question' : 'before the handover');
          if (plan.flow === 'robot-agent' && inConversation(this.snap)) {
            for (let attempt = 0; attempt < 4 && this.snap.matches({ connected: 'chatting' }) && this.snap.context.servedBy === 'robot'; attempt++) {
              this.send({ type: 'agent.request' });
              await this.until((s) => !s.matches({ connected: { chatting: { transfer: 'requesting' } } }), 5_000);
            }
            if (this.snap.matches({ connected: 'queuing' }) && plan.typeWhileQueuing) await this.sendText(`waiting in line (${this.log.userId})`);
            if (await this.waitServedByAgent()) await this.chat('to Alice');
          }
        } else {
          if (this.snap.matches({ connected: 'queuing' }) && plan.typeWhileQueuing) await this.sendText(`in the queue (${this.log.userId})`);
          if (await this.waitServedByAgent()) await this.chat('to Alice');
        }
        await this.converge();
        this.retryFailures();
        await this.converge();
        if (plan.agentEnds && this.snap.context.servedBy === 'agent' && inConversation(this.snap)) {
          try {
            this.env.sim.agent.end(this.log.userId);
          } catch {
            // the session ended meanwhile (e.g. released): nothing for the agent to end
          }
          await this.until((s) => !inConversation(s), AGENT_END_PATIENCE_MS);
        }
      }
      await this.finish();
    } catch (error) {
      this.log.notes.push(`driver error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    } finally {
      this.log.final = this.snap;
      if (this.snap.status === 'active') this.actor.stop();
      for (const agent of this.agents) agent.destroy();
      this.log.endedAt = Date.now();
    }
    return this.log;
  }

  /** Ends the conversation from wherever it is, answering the survey as planned. */
  private async finish(): Promise<void> {
    // A hang detector, not a speed limit: an overloaded run (--overload) needs many times the
    // ~0.1 s a session takes to end on an idle machine, and a stuck session is reported either way.
    const deadline = Date.now() + FINISH_PATIENCE_MS;
    let ended = false;
    let surveyRetried = false;
    // A customer whose rating keeps failing to send gives up and closes the chat.
    let surveyAttempts = 0;
    while (this.snap.status === 'active' && Date.now() < deadline) {
      const s = this.snap;
      if (inConversation(s)) {
        if (!ended) {
          this.send({ type: 'chat.end' });
          ended = true;
        }
      } else if (s.matches({ connected: { 'survey-agent': 'form' } })) {
        if (this.log.plan.survey === 'submit' && surveyAttempts++ < MAX_SURVEY_ATTEMPTS) this.send({ type: 'survey.submit', evaluation: '5', comment: 'fine', npsScore: 9, fcr: true });
        else this.send({ type: this.log.plan.survey === 'end' ? 'chat.end' : 'survey.skip' });
      } else if (s.matches({ connected: { 'survey-robot': 'form' } })) {
        if (this.log.plan.survey === 'submit' && surveyAttempts++ < MAX_SURVEY_ATTEMPTS) this.send({ type: 'survey.submit', satisfied: true });
        else this.send({ type: this.log.plan.survey === 'end' ? 'chat.end' : 'survey.skip' });
      } else if (s.matches({ connected: { ending: 'survey-unavailable' } })) {
        // What a UI offers: "Try again" once, then end without the survey.
        this.send({ type: surveyRetried ? 'survey.skip' : 'request.retry' });
        surveyRetried = true;
      } else if (s.matches({ 'leave-message': 'form' })) {
        this.send({ type: 'leaveMessage.skip' });
      } else if (starting(s)) {
        this.send({ type: 'chat.end' });
      }
      await this.until((next) => next !== s, 2_000);
    }
    if (this.snap.status === 'active') this.log.notes.push(`did not finish (stuck in ${label(this.snap)})`);
  }
}
