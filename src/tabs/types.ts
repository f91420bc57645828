/**
 * Types of `aicc-chat-machine/tabs`: one chat session per customer per browser, shared by every
 * tab (see coordinator.ts and docs/guides/tabs.md).
 */
import type { Observer, SnapshotFrom, Subscription } from 'xstate';
import type { ChatSessionMachine } from '../../machines/chatSession.machine.js';
import type { ChatSessionEmitted, ChatUserEvent } from '../../machines/chatSession.types.js';
import type { ChatSessionActor, PersistedChatSession } from '../session/createChatSession.js';
import type { ChatSessionStorage } from '../session/storage.js';
import type { TabSessionError } from './errors.js';

/** What `getSnapshot()` returns: the session's snapshot (a follower's is rebuilt from the leader's JSON). */
export type ChatSessionSnapshot = SnapshotFrom<ChatSessionMachine>;

/**
 * - `leader`: this tab holds the lock and runs the session (poll loop, outbox, uploads).
 * - `follower`: another tab leads; this one mirrors its snapshot and forwards events to it
 *   (also the role while the lock is being asked for, at start and during a hand-over).
 * - `solo`: this tab holds the lock but there is no channel to share the session over
 *   (no `BroadcastChannel`): it runs the session for itself.
 * - `standby`: no channel, and another tab holds the lock: this tab runs nothing, shows the
 *   stored snapshot (when a `storage` is given) read-only, refuses events with code 'standby',
 *   and takes over when the lock becomes free.
 */
export type TabRole = 'leader' | 'follower' | 'solo' | 'standby';

/**
 * The part of the Web Locks API (`navigator.locks`) the coordinator uses: an exclusive lock,
 * granted in request order, held until the callback's promise settles, released by the browser
 * when the tab goes away.
 */
export interface TabLockManager {
  request(name: string, options: { signal?: AbortSignal }, callback: (lock: unknown) => Promise<unknown>): Promise<unknown>;
}

export interface TabMessageEvent {
  data: unknown;
}

/** The part of `BroadcastChannel` the coordinator uses. */
export interface TabChannel {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: TabMessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: TabMessageEvent) => void): void;
  close(): void;
}

/** Opens a channel by name (default `name => new BroadcastChannel(name)`). */
export type TabChannelFactory = (name: string) => TabChannel;

/** localStorage, sessionStorage or anything with these three methods. */
export type LeaseStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** Where the lock and the channel come from (for diagnostics and UIs that care). */
export interface TabTransport {
  /**
   * `web-locks`: `navigator.locks`. `storage-lease`: a heartbeat lease in localStorage (browsers
   * without Web Locks, e.g. pages served over plain http). `process`: this JavaScript process
   * only (Node). `custom`: passed in `options.locks`.
   */
  locks: 'web-locks' | 'storage-lease' | 'process' | 'custom';
  /** `broadcast-channel`, `process` (Node), `custom`, or `none` (roles `solo` / `standby`). */
  channel: 'broadcast-channel' | 'process' | 'custom' | 'none';
}

export interface TabSessionOptions {
  /**
   * Who the session belongs to, e.g. `${channelId}:${userId}`: one lock and one channel per
   * key. Two tabs with the same key share one session.
   */
  key: string;
  /**
   * Builds the real session, not started: `(snapshot) => createChatSession({ ...options, snapshot })`.
   * `snapshot` is undefined for a new session, or the persisted snapshot to continue from (the
   * leader's last one, or `storage.load()`): the normal restore path, no second CONNECT. Called
   * in every tab (once at creation, for the initial snapshot and the machine), and again in the
   * tab that takes over. Must not start the actor nor have other side effects.
   */
  createSession: (snapshot: PersistedChatSession | undefined) => ChatSessionActor;
  /**
   * Optional store for the persisted snapshot (e.g. `createWebSessionStorage(localStorage, key)`):
   * the tab that runs the session saves to it (`persistSession`), a tab that takes over with
   * no snapshot from a leader (the last tab reloaded, or no channel) restores from it. Without
   * it, closing the last tab ends the conversation for this browser.
   */
  storage?: ChatSessionStorage;
  /** Lock manager; default `navigator.locks`, else a localStorage lease, else this process. */
  locks?: TabLockManager;
  /**
   * Channel factory; default `BroadcastChannel`. `null`: no channel (roles `solo`/`standby`).
   * Give `locks` and `channel` together (or neither).
   */
  channel?: TabChannelFactory | null;
  /** Options of the localStorage lease used when there is no `navigator.locks`; false: never use it. */
  lease?: Omit<StorageLeaseOptions, 'store'> & { store?: LeaseStore } | false;
  /**
   * How long an event a follower forwards may wait for a leader (ms, default 10 000). Past it,
   * an event no leader has taken fails with code 'no-leader' and is never delivered; an event
   * a leader receives after it is refused with code 'expired'.
   */
  forwardTimeoutMs?: number;
  /** How often a `standby` tab re-reads `storage` for its read-only view (ms, default 1 000). */
  standbyRefreshMs?: number;
  /** Clock for deadlines (tests). Default `Date.now`. Every tab of one browser shares the clock. */
  now?: () => number;
  /** This tab's id in the protocol (default random). */
  tabId?: string;
  /** Called with what goes wrong inside the coordinator (a listener that throws, a channel error). */
  onError?: (error: unknown) => void;
}

export interface StorageLeaseOptions {
  store: LeaseStore;
  /** A lease not renewed for this long is free (ms, default 90 000: above Chrome's 1/min timer throttling of hidden tabs). */
  leaseMs?: number;
  /** How often the holder renews (ms, default 20 000). */
  renewMs?: number;
  /** How often a waiting tab looks at the lease (ms, default 1 000). */
  retryMs?: number;
  /** How long a tab waits after writing a claim before it reads it back (ms, default 50). */
  settleMs?: number;
  now?: () => number;
}

/** What became of one `send`. The promise never rejects. */
export type TabSendOutcome =
  /** Given to the running session: by this tab (`this-tab`) or by the leader, which confirmed it. */
  | { status: 'delivered'; by: 'this-tab' | 'leader' }
  /**
   * Handled by this tab: `connection.*` in a follower (only the leader's network matters),
   * `page.hidden`/`page.visible` in a follower (the leader polls as if visible while any tab is).
   */
  | { status: 'local' }
  /**
   * The session has no transition for it in its current state and dropped it, as a session in
   * a single tab would have (e.g. `message.send` while it still authenticates, `retry` when
   * nothing failed). Not a failure: nothing is emitted.
   */
  | { status: 'ignored' }
  | { status: 'failed'; error: TabSessionError };

export type TabSessionObserver = Partial<Observer<ChatSessionSnapshot>>;

/**
 * One chat session shared by every tab of a browser. Typed like the session actor where a UI
 * needs it (`send`, `getSnapshot`, `subscribe`, `on`), so `useSelector(tabSession, ...)` works.
 */
export interface TabSession {
  readonly key: string;
  readonly tabId: string;
  /** Changes over time (a follower becomes leader); every change is announced to `subscribe`rs. */
  readonly role: TabRole;
  readonly transport: TabTransport;
  /** Joins the other tabs (asks for the lock, opens the channel). Idempotent; returns the session. */
  start(): TabSession;
  /**
   * Sends a host event to the session, wherever it runs. Resolves (never rejects) with the
   * outcome; a failure is also emitted as `tab.sendFailed` to `on` listeners.
   */
  send(event: ChatUserEvent): Promise<TabSendOutcome>;
  getSnapshot(): ChatSessionSnapshot;
  subscribe(observer: TabSessionObserver): Subscription;
  subscribe(next?: (snapshot: ChatSessionSnapshot) => void, error?: (error: unknown) => void, complete?: () => void): Subscription;
  /** `file.downloaded` reaches every tab (the leader relays the bytes); `tab.sendFailed` is local. */
  on<T extends TabSessionEmitted['type']>(type: T, handler: (event: Extract<TabSessionEmitted, { type: T }>) => void): Subscription;
  /**
   * Leaves: a leader hands over (last snapshot sent, session actor stopped, lock released); a
   * follower fails its undelivered events with code 'stopped'. Call it on unmount / `pagehide`.
   */
  stop(): void;
}

/** Emitted to `on` listeners. */
export type TabSessionEmitted =
  | ChatSessionEmitted
  | { type: 'tab.sendFailed'; event: ChatUserEvent; error: TabSessionError };

// ---------------------------------------------------------------------------------------------
// Wire protocol (BroadcastChannel messages). Exported for tests and diagnostics.

export const TAB_PROTOCOL_VERSION = 1;

interface Envelope {
  v: typeof TAB_PROTOCOL_VERSION;
  /** Sender's tab id. */
  from: string;
}

/** A tab joined: the leader answers with `leader` and a `state`. */
export interface HelloMessage extends Envelope {
  kind: 'hello';
}
/** The sender now runs the session (after its hand-over barrier). */
export interface LeaderMessage extends Envelope {
  kind: 'leader';
}
/**
 * The leader's persisted snapshot (absent when only acknowledging) and the ids of forwarded
 * events whose effect it includes: an event is delivered exactly when a `state` lists its id.
 */
export interface StateMessage extends Envelope {
  kind: 'state';
  seq: number;
  snapshot?: PersistedChatSession;
  delivered: string[];
}
/** A follower's event for the leader `to`. */
export interface EventMessage extends Envelope {
  kind: 'event';
  to: string;
  id: string;
  /** `now()` after which the leader must refuse it. */
  deadline: number;
  event: ChatUserEvent;
}
/** The leader did not deliver event `id` (and never will); `ignored`: its session had no transition for it. */
export interface RefusedMessage extends Envelope {
  kind: 'refused';
  to: string;
  id: string;
  code: 'expired' | 'session-over' | 'ignored';
}
/** A follower's page visibility (the leader polls as visible while any tab is). */
export interface VisibilityMessage extends Envelope {
  kind: 'visibility';
  visible: boolean;
}
/** An event the leader's session emitted (`file.downloaded`), for every tab. */
export interface EmittedMessage extends Envelope {
  kind: 'emitted';
  event: ChatSessionEmitted;
}
/** The sender leaves (its last message). */
export interface ByeMessage extends Envelope {
  kind: 'bye';
}
/** Sent by a tab to itself through a second channel: everything posted before has arrived. */
export interface BarrierMessage extends Envelope {
  kind: 'barrier';
  nonce: string;
}

export type TabMessage =
  | HelloMessage
  | LeaderMessage
  | StateMessage
  | EventMessage
  | RefusedMessage
  | VisibilityMessage
  | EmittedMessage
  | ByeMessage
  | BarrierMessage;
