/**
 * `createTabSession(options)`: one chat session per customer per browser, whatever the number
 * of tabs. Framework-neutral; the UI treats the result like the session actor.
 *
 * How it works (docs/guides/tabs.md has the host's view):
 * - **Election.** Every tab asks for one exclusive lock per key (Web Locks). The holder is the
 *   leader: it runs the real session (`createSession`), the only poll loop, outbox and uploads.
 *   It holds the lock as long as it lives; the browser releases it when the tab closes, reloads
 *   or crashes, and grants it to the next tab in request order.
 * - **Mirroring.** After every change the leader posts its persisted snapshot (JSON) on a
 *   BroadcastChannel; followers rebuild a snapshot from it (`machine.resolveState`), so
 *   `matches`, `context`, `status` and `output` read the same in every tab.
 * - **Forwarding.** A follower posts each host event to the leader with an id and a deadline.
 *   The leader delivers it to its session and lists the id in its next state message, so an
 *   event counts as delivered exactly when a snapshot that includes its effect has been
 *   published. The leader remembers the ids it has seen (its own and its predecessors'), so a
 *   retransmission is acknowledged, never delivered twice.
 * - **Hand-over.** The tab granted the lock first waits until every message already posted on
 *   the channel has reached it (a barrier: it posts to itself through a second channel and
 *   waits for that message), because the lock grant can overtake the last state messages of a
 *   dead leader; and, when it knew a leader, for that leader's goodbye (at most BYE_GRACE_MS:
 *   a crashed tab sends none), because in Chromium even the barrier can come back before the
 *   last messages of a leader that let the lock go. Then it continues from the newest snapshot it has (else `storage.load()`)
 *   through `createSession(snapshot)`: the library's restore path (polling resumes with a
 *   catch-up from history, a send that was on the wire is marked failed with `outcomeUnknown`,
 *   no second CONNECT). It announces itself; followers re-forward what was not acknowledged
 *   (a delivered event is in the snapshot the new leader started from, an undelivered one is
 *   not), or fail it with 'no-leader' once its deadline has passed.
 * - **Per-tab facts.** `connection.*` of a follower stays in that tab (only the leader's own
 *   network matters); `page.hidden`/`page.visible` are combined: the leader polls as a visible
 *   page while any tab is visible.
 * - **No channel** (`BroadcastChannel` missing): the lock holder runs the session alone
 *   (`solo`); the others are `standby` (read-only view from `storage`, events refused with
 *   'standby') and take over when the lock frees. Without `navigator.locks` the lock is a
 *   localStorage lease (leaseLocks.ts); in Node, a lock of this process (memory.ts).
 */
import type { StateValue, Subscription } from 'xstate';
import type { ChatSessionContext, ChatSessionEmitted, ChatUserEvent } from '../../machines/chatSession.types.js';
import { currentHostEvent, refusedHostEvent, type ChatSessionActor, type PersistedChatSession } from '../session/createChatSession.js';
import { persistSession, type ChatSessionStorage } from '../session/storage.js';
import { TabSessionError, type TabSessionErrorCode } from './errors.js';
import { createStorageLeaseLocks, randomId, type LeaseLock } from './leaseLocks.js';
import { processTab } from './memory.js';
import {
  TAB_PROTOCOL_VERSION,
  type ChatSessionSnapshot,
  type EventMessage,
  type LeaseStore,
  type RefusedMessage,
  type StateMessage,
  type TabChannel,
  type TabChannelFactory,
  type TabLockManager,
  type TabMessage,
  type TabMessageEvent,
  type TabRole,
  type TabSendOutcome,
  type TabSession,
  type TabSessionEmitted,
  type TabSessionObserver,
  type TabSessionOptions,
  type TabTransport,
} from './types.js';

export const DEFAULT_FORWARD_TIMEOUT_MS = 10_000;
export const DEFAULT_STANDBY_REFRESH_MS = 1_000;
/**
 * How long past its deadline a follower waits for the answer to an event it posted to a leader
 * (the acknowledgement of a delivery made just before the deadline may still be on its way).
 */
export const ANSWER_GRACE_MS = 1_000;
/**
 * How long the tab granted the lock waits, after its barrier, for the goodbye of the leader it
 * knew (its last message: everything it posted before has then arrived). A tab that crashed
 * sends none; one that stopped or saw the session end does, within milliseconds.
 */
export const BYE_GRACE_MS = 1_000;
/** Forwarded-event ids a tab remembers (far more than can be in flight during a hand-over). */
const SEEN_LIMIT = 2_000;

/** The lock and channel name of a key. */
export function tabLockName(key: string): string {
  return `aicc-chat-machine:tabs:${key}`;
}

interface ResolvedTransport {
  locks: TabLockManager;
  channel: TabChannelFactory | null;
  transport: TabTransport;
}

function defaultBroadcastChannel(): TabChannelFactory | null {
  return typeof BroadcastChannel === 'function' ? (name): TabChannel => new BroadcastChannel(name) : null;
}

function browserLocalStorage(): LeaseStore | undefined {
  // Only in a page: Node 22+ may have a localStorage of its own, and one process owns a user there.
  if (typeof window === 'undefined') return undefined;
  try {
    return globalThis.localStorage ?? undefined;
  } catch {
    return undefined; // SecurityError: storage blocked
  }
}

function resolveTransport(options: TabSessionOptions): ResolvedTransport {
  const given = options.channel;
  const channelKind = (fallback: TabTransport['channel']): TabTransport['channel'] => (given === null ? 'none' : given ? 'custom' : fallback);
  if (options.locks) {
    const channel = given === undefined ? defaultBroadcastChannel() : given;
    return { locks: options.locks, channel, transport: { locks: 'custom', channel: channel ? channelKind('broadcast-channel') : 'none' } };
  }
  const webLocks = (globalThis as { navigator?: { locks?: TabLockManager } }).navigator?.locks;
  if (webLocks) {
    const channel = given === undefined ? defaultBroadcastChannel() : given;
    return { locks: webLocks, channel, transport: { locks: 'web-locks', channel: channel ? channelKind('broadcast-channel') : 'none' } };
  }
  const lease = options.lease === false ? undefined : options.lease;
  const store = options.lease === false ? undefined : (lease?.store ?? browserLocalStorage());
  if (store) {
    const channel = given === undefined ? defaultBroadcastChannel() : given;
    return {
      locks: createStorageLeaseLocks({ ...lease, store, ...(options.now ? { now: options.now } : {}) }),
      channel,
      transport: { locks: 'storage-lease', channel: channel ? channelKind('broadcast-channel') : 'none' },
    };
  }
  // Node (or a page with neither Web Locks nor storage): this process is the "browser".
  const local = processTab();
  const channel = given === undefined ? local.channel : given;
  return { locks: local.locks, channel, transport: { locks: 'process', channel: channel ? channelKind('process') : 'none' } };
}

interface Pending {
  id: string;
  event: ChatUserEvent;
  deadline: number;
  resolve: (outcome: TabSendOutcome) => void;
  /** The leader it was posted to, or null while it waits for one. */
  sentTo: string | null;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A set that forgets its oldest entries past a limit. */
class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit: number) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.limit) this.ids.delete(this.ids.values().next().value as string);
  }
}

function isFinal(snapshot: PersistedChatSession): boolean {
  return snapshot.status === 'done' || snapshot.status === 'error';
}

function isAbortError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'AbortError';
}

/** A message without its envelope (distributes over the union). */
type Body<M> = M extends TabMessage ? Omit<M, 'v' | 'from'> : never;

const delivered = (by: 'this-tab' | 'leader'): TabSendOutcome => ({ status: 'delivered', by });
const IGNORED: TabSendOutcome = { status: 'ignored' };

/**
 * Whether the session takes the event in its current state. A malformed one counts as taken:
 * the session's screened `send` turns it into a typed 'invalid-event' error in its context.
 */
function accepts(actor: ChatSessionActor, event: ChatUserEvent): boolean {
  if (refusedHostEvent(event) !== null) return true;
  try {
    return actor.getSnapshot().can(currentHostEvent(event));
  } catch {
    return true;
  }
}

class SharedTabSession implements TabSession {
  readonly key: string;
  readonly tabId: string;
  readonly transport: TabTransport;

  private currentRole: TabRole;
  private readonly name: string;
  private readonly locks: TabLockManager;
  private readonly channelFactory: TabChannelFactory | null;
  private readonly createSession: TabSessionOptions['createSession'];
  private readonly storage: ChatSessionStorage | undefined;
  private readonly forwardTimeoutMs: number;
  private readonly standbyRefreshMs: number;
  private readonly now: () => number;
  private readonly onError: (error: unknown) => void;
  private readonly logic: ChatSessionActor['logic'];

  private channel: TabChannel | null = null;
  /** Built at creation for the initial snapshot; started by this tab if it leads a new session. */
  private placeholder: ChatSessionActor | null;
  private view: ChatSessionSnapshot;
  /** The newest persisted snapshot from a leader. */
  private mirror: PersistedChatSession | undefined;
  /** Whether this tab has shown a running session (a standby that later finds none: it ended). */
  private sawSession: boolean;
  private started = false;
  private stopped = false;
  private finished = false;

  private leaderId: string | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly seen = new RecentIds(SEEN_LIMIT);
  private counter = 0;
  private ownVisible: boolean | undefined;
  private ownOnline: boolean | undefined;
  private readonly peersVisible = new Map<string, boolean>();

  private readonly lockAbort = new AbortController();
  private releaseLock: (() => void) | null = null;
  private readonly barriers = new Map<string, () => void>();
  /** Resolved when the known leader says goodbye (or the channel closes). */
  private readonly byeWaiters = new Set<() => void>();
  private standbyTimer: ReturnType<typeof setInterval> | undefined;
  private lastStandbyJson: string | undefined;

  /** The session this tab runs (leader / solo). */
  private actor: ChatSessionActor | null = null;
  private runnerStops: Array<() => void> = [];
  private seq = 0;
  private acks: string[] = [];
  private broadcastQueued = false;
  private lastBroadcast: ChatSessionSnapshot | null = null;

  private readonly observers = new Set<TabSessionObserver>();
  private readonly listeners = new Map<string, Set<(event: TabSessionEmitted) => void>>();

  constructor(options: TabSessionOptions) {
    if (typeof options.key !== 'string' || options.key === '') throw new TypeError('createTabSession: `key` must be a non-empty string');
    if (typeof options.createSession !== 'function') throw new TypeError('createTabSession: `createSession` must be a function');
    this.key = options.key;
    this.tabId = options.tabId ?? randomId();
    this.name = tabLockName(options.key);
    const resolved = resolveTransport(options);
    this.locks = resolved.locks;
    this.channelFactory = resolved.channel;
    this.transport = resolved.transport;
    this.createSession = options.createSession;
    this.storage = options.storage;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? DEFAULT_FORWARD_TIMEOUT_MS;
    this.standbyRefreshMs = options.standbyRefreshMs ?? DEFAULT_STANDBY_REFRESH_MS;
    this.now = options.now ?? Date.now;
    this.onError = options.onError ?? ((error) => console.error('aicc-chat-machine/tabs:', error));
    this.currentRole = this.channelFactory ? 'follower' : 'standby';

    this.placeholder = this.createSession(undefined);
    this.logic = this.placeholder.logic;
    const stored = this.stored();
    this.sawSession = stored !== undefined;
    this.view = stored ? this.resolve(stored) : this.placeholder.getSnapshot();
  }

  get role(): TabRole {
    return this.currentRole;
  }

  // ------------------------------------------------------------------------------------------
  // Public API

  start(): TabSession {
    if (this.started || this.stopped) return this;
    this.started = true;
    if (this.channelFactory) {
      this.channel = this.channelFactory(this.name);
      this.channel.addEventListener('message', this.onMessage);
      this.post({ kind: 'hello' });
    } else if (this.storage) {
      this.standbyTimer = setInterval(() => this.refreshStandby(), this.standbyRefreshMs);
    }
    this.requestLock();
    return this;
  }

  send(event: ChatUserEvent): Promise<TabSendOutcome> {
    const type = (event as { type?: unknown } | null)?.type;
    if (this.stopped) return Promise.resolve(this.failure(event, 'stopped'));
    if (this.finished) return Promise.resolve(this.failure(event, 'session-over'));

    if (type === 'page.visible' || type === 'page.hidden') {
      this.ownVisible = type === 'page.visible';
      if (this.actor) {
        this.applyVisibility(this.ownVisible);
        return Promise.resolve(delivered('this-tab'));
      }
      if (this.channel && this.leaderId !== null) this.post({ kind: 'visibility', visible: this.ownVisible });
      return Promise.resolve({ status: 'local' });
    }
    if (type === 'connection.online' || type === 'connection.offline') {
      this.ownOnline = type === 'connection.online';
      if (!this.actor) return Promise.resolve({ status: 'local' });
    }
    if (this.actor) {
      if (this.actor.getSnapshot().status !== 'active') return Promise.resolve(this.failure(event, 'session-over'));
      if (!accepts(this.actor, event)) return Promise.resolve(IGNORED);
      this.actor.send(event);
      return Promise.resolve(delivered('this-tab'));
    }
    if (!this.channelFactory) return Promise.resolve(this.failure(event, 'standby'));
    return this.forward(event);
  }

  getSnapshot(): ChatSessionSnapshot {
    return this.view;
  }

  subscribe(observer: TabSessionObserver): Subscription;
  subscribe(next?: (snapshot: ChatSessionSnapshot) => void, error?: (error: unknown) => void, complete?: () => void): Subscription;
  subscribe(
    nextOrObserver?: TabSessionObserver | ((snapshot: ChatSessionSnapshot) => void),
    error?: (error: unknown) => void,
    complete?: () => void,
  ): Subscription {
    const observer: TabSessionObserver =
      typeof nextOrObserver === 'function' ? { next: nextOrObserver, error, complete } : (nextOrObserver ?? {});
    if (this.stopped || this.finished) {
      // Like an actor that has stopped: nothing more will come.
      observer.complete?.();
      return { unsubscribe: () => undefined };
    }
    this.observers.add(observer);
    return { unsubscribe: () => void this.observers.delete(observer) };
  }

  on<T extends TabSessionEmitted['type']>(type: T, handler: (event: Extract<TabSessionEmitted, { type: T }>) => void): Subscription {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    const listener = handler as (event: TabSessionEmitted) => void;
    set.add(listener);
    return { unsubscribe: () => void set.delete(listener) };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.actor) {
      // The last snapshot out first: the next leader continues from it.
      this.flush();
      this.stopRunner();
    }
    this.post({ kind: 'bye' });
    this.lockAbort.abort();
    this.releaseLock?.();
    this.releaseLock = null;
    for (const p of [...this.pending.values()]) this.settle(p, this.failure(p.event, 'stopped'));
    this.closeChannel();
    this.complete();
  }

  // ------------------------------------------------------------------------------------------
  // Election

  private requestLock(): void {
    this.locks.request(this.name, { signal: this.lockAbort.signal }, (lock) => this.lead(lock)).catch((error: unknown) => {
      if (!isAbortError(error)) this.report(error);
    });
  }

  /** Runs while this tab holds the lock; returning releases it. */
  private async lead(lock: unknown): Promise<void> {
    if (this.stopped || this.finished) return;
    if (this.channel) await this.barrier();
    if (this.stopped || this.finished) return;
    // The barrier is not enough in Chromium: the lock can arrive, and a message this tab posts
    // to itself come back, before the last messages of the leader that released it (its final
    // snapshot). Its goodbye is posted after them on the same channel: wait for it.
    if (this.channel && this.leaderId !== null) await this.leaderBye();
    if (this.stopped || this.finished) return;
    const base = this.mirror ?? this.stored();
    if (base && isFinal(base)) return this.finish();
    if (!base && !this.channel && this.sawSession) {
      // A standby whose stored session disappeared: it ended (or its store was cleared). Do
      // not open a new conversation on the customer's behalf.
      return this.finish();
    }
    const held = new Promise<void>((resolve) => (this.releaseLock = resolve));
    (lock as Partial<LeaseLock> | null)?.lost?.addEventListener('abort', () => this.loseLock(), { once: true });
    this.run(base);
    await held;
  }

  /** Resolves when the known leader has said goodbye, after BYE_GRACE_MS (it crashed), or when the channel closes. */
  private leaderBye(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.byeWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, BYE_GRACE_MS);
      this.byeWaiters.add(done);
    });
  }

  /** Resolves once every message posted on the channel before now has been handled here. */
  private barrier(): Promise<void> {
    const factory = this.channelFactory;
    if (!factory || !this.channel) return Promise.resolve();
    const nonce = randomId();
    const probe = factory(this.name);
    return new Promise<void>((resolve) => {
      this.barriers.set(nonce, () => {
        this.barriers.delete(nonce);
        probe.close();
        resolve();
      });
      try {
        probe.postMessage({ v: TAB_PROTOCOL_VERSION, kind: 'barrier', from: this.tabId, nonce } satisfies TabMessage);
      } catch (error) {
        this.report(error);
        this.barriers.get(nonce)?.();
      }
    });
  }

  /** Starts the real session, from `base` when there is one. */
  private run(base: PersistedChatSession | undefined): void {
    const actor = base !== undefined ? this.createSession(base) : (this.placeholder ?? this.createSession(undefined));
    this.placeholder = null;
    this.actor = actor;
    this.sawSession = true;
    this.leaderId = this.channel ? this.tabId : null;
    this.currentRole = this.channel ? 'leader' : 'solo';
    if (this.standbyTimer !== undefined) clearInterval(this.standbyTimer);
    this.standbyTimer = undefined;
    // Registered before start: downloads a restored snapshot resumes are relayed too.
    const downloads = actor.on('file.downloaded', (event) => {
      this.emit(event);
      this.post({ kind: 'emitted', event });
    });
    const unpersist = this.storage ? persistSession(actor, this.storage) : () => undefined;
    const changes = actor.subscribe({ next: () => this.onActorChange(), error: () => this.onActorChange(), complete: () => this.onActorChange() });
    this.runnerStops = [() => downloads.unsubscribe(), unpersist, () => changes.unsubscribe()];
    this.post({ kind: 'leader' });
    actor.start();
    if (actor.getSnapshot().status === 'active') {
      // The connectivity in a restored snapshot is the previous leader's; this tab's counts now.
      const online = this.ownOnline ?? true;
      if (actor.getSnapshot().context.connection.online !== online) actor.send({ type: online ? 'connection.online' : 'connection.offline' });
      this.applyVisibility(undefined);
    }
    // This tab's own events that no leader acknowledged: the snapshot this session started
    // from includes exactly the acknowledged ones.
    for (const p of [...this.pending.values()]) {
      if (this.seen.has(p.id)) this.settle(p, delivered('leader'));
      else if (this.now() > p.deadline) this.settle(p, this.failure(p.event, 'no-leader'));
      else if (actor.getSnapshot().status !== 'active') this.settle(p, this.failure(p.event, 'session-over'));
      else if (!accepts(actor, p.event)) this.settle(p, IGNORED);
      else {
        actor.send(p.event);
        this.seen.add(p.id);
        this.settle(p, delivered('this-tab'));
      }
    }
    this.onActorChange();
  }

  private onActorChange(): void {
    const actor = this.actor;
    if (!actor) return;
    const snapshot = actor.getSnapshot();
    if (snapshot.status === 'stopped') return;
    if (snapshot !== this.view) {
      this.view = snapshot;
      this.notify();
    }
    this.scheduleBroadcast();
  }

  private scheduleBroadcast(): void {
    if (this.broadcastQueued) return;
    this.broadcastQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Posts the state (if it changed or events need acknowledging); finishes a session that ended. */
  private flush(): void {
    this.broadcastQueued = false;
    const actor = this.actor;
    if (!actor) return;
    const snapshot = actor.getSnapshot();
    if (snapshot.status === 'stopped') return;
    if (this.channel && (snapshot !== this.lastBroadcast || this.acks.length > 0)) {
      const message: Body<StateMessage> = { kind: 'state', seq: ++this.seq, delivered: this.acks.splice(0) };
      if (snapshot !== this.lastBroadcast) {
        message.snapshot = actor.getPersistedSnapshot();
        this.lastBroadcast = snapshot;
        this.mirror = message.snapshot;
      }
      this.post(message);
    }
    if (snapshot.status !== 'active') this.finish();
  }

  private stopRunner(): void {
    for (const stop of this.runnerStops.splice(0)) stop();
    const actor = this.actor;
    this.actor = null;
    actor?.stop();
  }

  /** The lease was taken by another tab (it was not renewed in time): stop at once, wait again. */
  private loseLock(): void {
    if (!this.actor || this.stopped || this.finished) return;
    this.stopRunner();
    this.leaderId = null;
    this.currentRole = this.channel ? 'follower' : 'standby';
    this.releaseLock?.();
    this.releaseLock = null;
    if (!this.channel && this.storage) this.standbyTimer = setInterval(() => this.refreshStandby(), this.standbyRefreshMs);
    this.notify();
    this.requestLock();
  }

  /** The conversation is over (or was, when this tab took over): keep the last view, leave. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.actor) {
      for (const stop of this.runnerStops.splice(0)) stop();
    }
    for (const p of [...this.pending.values()]) this.settle(p, this.failure(p.event, 'session-over'));
    this.post({ kind: 'bye' });
    this.lockAbort.abort();
    this.releaseLock?.();
    this.releaseLock = null;
    if (this.standbyTimer !== undefined) clearInterval(this.standbyTimer);
    this.standbyTimer = undefined;
    this.closeChannel();
    this.complete();
  }

  // ------------------------------------------------------------------------------------------
  // Messages

  private readonly onMessage = (event: TabMessageEvent): void => {
    try {
      this.handle(event.data);
    } catch (error) {
      this.report(error);
    }
  };

  private handle(data: unknown): void {
    const m = data as TabMessage | null;
    if (!m || typeof m !== 'object' || m.v !== TAB_PROTOCOL_VERSION || typeof m.from !== 'string') return;
    if (m.kind === 'barrier') {
      if (m.from === this.tabId) this.barriers.get(m.nonce)?.();
      return;
    }
    if (m.from === this.tabId || this.finished) return;
    switch (m.kind) {
      case 'hello':
        if (this.actor) {
          this.post({ kind: 'leader' });
          this.lastBroadcast = null;
          this.scheduleBroadcast();
        }
        return;
      case 'leader':
        if (this.actor) this.report(new Error(`createTabSession: tab ${m.from} claims to lead while this tab does (key ${this.key})`));
        else if (m.from !== this.leaderId) this.setLeader(m.from);
        return;
      case 'state':
        this.onState(m);
        return;
      case 'event':
        if (this.actor && m.to === this.tabId) this.onForwarded(m);
        return;
      case 'refused': {
        const p = m.to === this.tabId ? this.pending.get(m.id) : undefined;
        if (p) this.settle(p, m.code === 'ignored' ? IGNORED : this.failure(p.event, m.code));
        return;
      }
      case 'visibility':
        if (this.actor) {
          this.peersVisible.set(m.from, m.visible);
          this.applyVisibility(m.visible);
        }
        return;
      case 'emitted':
        if (!this.actor && m.from === this.leaderId) this.emit(m.event);
        return;
      case 'bye':
        if (this.peersVisible.delete(m.from) && this.actor) this.applyVisibility(undefined);
        if (m.from === this.leaderId) this.leaderGone();
        return;
    }
  }

  private onState(m: StateMessage): void {
    // A leader ignores states: a predecessor's were all handled before it started (barrier).
    if (this.actor) return;
    if (this.leaderId !== null && m.from !== this.leaderId) return;
    for (const id of m.delivered) {
      this.seen.add(id);
      const p = this.pending.get(id);
      if (p) this.settle(p, delivered('leader'));
    }
    if (this.leaderId === null) this.setLeader(m.from);
    if (m.snapshot) {
      this.mirror = m.snapshot;
      this.sawSession = true;
      this.view = this.resolve(m.snapshot);
      this.notify();
      if (isFinal(m.snapshot)) this.finish();
    }
  }

  /** A new leader: what it has not acknowledged goes to it, unless its time is up. */
  private setLeader(id: string): void {
    this.leaderId = id;
    if (this.ownVisible !== undefined) this.post({ kind: 'visibility', visible: this.ownVisible });
    for (const p of [...this.pending.values()]) {
      if (this.seen.has(p.id)) this.settle(p, delivered('leader'));
      else if (this.now() > p.deadline) this.settle(p, this.failure(p.event, 'no-leader'));
      else this.postEvent(p);
    }
  }

  /** The leader said goodbye; everything it did is in the states it sent before. */
  private leaderGone(): void {
    this.leaderId = null;
    for (const done of [...this.byeWaiters]) done();
    for (const p of [...this.pending.values()]) {
      p.sentTo = null;
      if (this.now() > p.deadline) this.settle(p, this.failure(p.event, 'no-leader'));
    }
  }

  private onForwarded(m: EventMessage): void {
    const actor = this.actor!;
    if (this.seen.has(m.id)) {
      this.acks.push(m.id);
      this.scheduleBroadcast();
      return;
    }
    const refuse = (code: RefusedMessage['code']): void => this.post({ kind: 'refused', to: m.from, id: m.id, code });
    if (this.now() > m.deadline) return refuse('expired');
    if (actor.getSnapshot().status !== 'active') return refuse('session-over');
    if (!accepts(actor, m.event)) return refuse('ignored');
    actor.send(m.event);
    this.seen.add(m.id);
    this.acks.push(m.id);
    this.scheduleBroadcast();
  }

  // ------------------------------------------------------------------------------------------
  // Forwarding (follower side)

  private forward(event: ChatUserEvent): Promise<TabSendOutcome> {
    return new Promise((resolve) => {
      const id = `${this.tabId}:${++this.counter}`;
      const p: Pending = { id, event, deadline: this.now() + this.forwardTimeoutMs, resolve, sentTo: null, timer: undefined };
      this.pending.set(id, p);
      p.timer = setTimeout(() => this.expire(p), this.forwardTimeoutMs);
      if (this.leaderId !== null) this.postEvent(p);
    });
  }

  /**
   * The deadline has passed. An event no leader has taken fails now. One posted to a leader
   * may have been delivered just in time: the leader delivers only before the deadline and
   * posts the acknowledgement in the same task, so after a moment's grace and a barrier (every
   * message posted until then has arrived) an event still unacknowledged was not delivered,
   * and never will be (a live leader refuses it as expired; a dead one does nothing).
   */
  private expire(p: Pending): void {
    if (this.pending.get(p.id) !== p) return;
    if (p.sentTo === null) return this.settle(p, this.failure(p.event, 'no-leader'));
    p.timer = setTimeout(() => {
      if (this.pending.get(p.id) !== p) return;
      void this.barrier().then(() => this.settle(p, this.failure(p.event, 'no-leader', 'no answer from the leading tab')));
    }, ANSWER_GRACE_MS);
  }

  private postEvent(p: Pending): void {
    const channel = this.channel;
    const to = this.leaderId;
    if (!channel || to === null) return;
    const message: EventMessage = { v: TAB_PROTOCOL_VERSION, from: this.tabId, kind: 'event', to, id: p.id, deadline: p.deadline, event: p.event };
    try {
      channel.postMessage(message);
      p.sentTo = to;
    } catch (error) {
      if ((error as { name?: unknown } | null)?.name === 'DataCloneError') {
        this.settle(p, this.failure(p.event, 'not-cloneable', (error as Error).message));
      } else {
        this.report(error);
      }
    }
  }

  private settle(p: Pending, outcome: TabSendOutcome): void {
    if (this.pending.get(p.id) !== p) return;
    this.pending.delete(p.id);
    clearTimeout(p.timer);
    p.resolve(outcome);
  }

  /** A failed outcome, also emitted as `tab.sendFailed`. */
  private failure(event: ChatUserEvent, code: TabSessionErrorCode, detail?: string): TabSendOutcome {
    const type = (event as { type?: unknown } | null)?.type;
    const error = new TabSessionError(code, typeof type === 'string' ? type : '', detail);
    this.emit({ type: 'tab.sendFailed', event, error });
    return { status: 'failed', error };
  }

  // ------------------------------------------------------------------------------------------
  // Per-tab facts

  /**
   * Visible while any tab is. `reported`: the visibility just reported by a tab (a report of
   * visible is passed on even when nothing changes: it replaces a poll stuck in flight).
   */
  private applyVisibility(reported: boolean | undefined): void {
    const actor = this.actor;
    if (!actor || actor.getSnapshot().status !== 'active') return;
    const visible = (this.ownVisible ?? true) || [...this.peersVisible.values()].some(Boolean);
    const current = actor.getSnapshot().context.connection.pageVisible;
    if (visible && (reported === true || !current)) actor.send({ type: 'page.visible' });
    else if (!visible && current) actor.send({ type: 'page.hidden' });
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  private stored(): PersistedChatSession | undefined {
    const snapshot = this.storage?.load();
    return snapshot && snapshot.status === 'active' ? snapshot : undefined;
  }

  /** A snapshot a UI can read, rebuilt from persisted JSON. */
  private resolve(persisted: PersistedChatSession): ChatSessionSnapshot {
    const s = persisted as unknown as { value: StateValue; context: ChatSessionContext; status?: string; output?: unknown; error?: unknown };
    return this.logic.resolveState({
      value: s.value,
      context: s.context,
      status: s.status === 'done' || s.status === 'error' ? s.status : 'active',
      output: s.output as never,
      error: s.error,
    });
  }

  private refreshStandby(): void {
    if (this.actor || this.finished || this.stopped) return;
    const snapshot = this.stored();
    if (!snapshot) return;
    const json = JSON.stringify(snapshot);
    if (json === this.lastStandbyJson) return;
    this.lastStandbyJson = json;
    this.sawSession = true;
    this.view = this.resolve(snapshot);
    this.notify();
  }

  private post(message: Body<TabMessage>): void {
    const channel = this.channel;
    if (!channel) return;
    try {
      channel.postMessage({ v: TAB_PROTOCOL_VERSION, from: this.tabId, ...message });
    } catch (error) {
      this.report(error);
    }
  }

  private closeChannel(): void {
    const channel = this.channel;
    this.channel = null;
    // A hand-over waiting for its barrier must not wait forever (it would keep the lock).
    for (const release of [...this.barriers.values()]) release();
    for (const done of [...this.byeWaiters]) done();
    if (!channel) return;
    channel.removeEventListener('message', this.onMessage);
    try {
      channel.close();
    } catch (error) {
      this.report(error);
    }
  }

  private notify(): void {
    for (const observer of [...this.observers]) {
      try {
        observer.next?.(this.view);
      } catch (error) {
        this.report(error);
      }
    }
  }

  private complete(): void {
    for (const observer of [...this.observers]) {
      try {
        observer.complete?.();
      } catch (error) {
        this.report(error);
      }
    }
    this.observers.clear();
  }

  private emit(event: TabSessionEmitted | ChatSessionEmitted): void {
    for (const listener of [...(this.listeners.get(event.type) ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        this.report(error);
      }
    }
  }

  private report(error: unknown): void {
    try {
      this.onError(error);
    } catch {
      // An error handler that throws has nowhere left to report to.
    }
  }
}

/**
 * One chat session per `key` (customer) per browser, shared by every tab. Call `start()`.
 *
 * ```ts
 * import { createChatSession, createWebSessionStorage } from 'aicc-chat-machine';
 * import { createTabSession } from 'aicc-chat-machine/tabs';
 *
 * const session = createTabSession({
 *   key: `${channelId}:${userId}`,
 *   createSession: (snapshot) => createChatSession({ client, identity, snapshot }),
 *   storage: createWebSessionStorage(localStorage, `aicc-chat:${userId}`),
 * }).start();
 * ```
 */
export function createTabSession(options: TabSessionOptions): TabSession {
  return new SharedTabSession(options);
}
