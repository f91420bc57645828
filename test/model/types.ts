/** Types shared by the model, the variant catalog, the path generator and the runner. */
import type { SimulatedClock, SnapshotFrom } from 'xstate';
import type { AiccClient } from '../../src/client/types.js';
import type { TokenRequestReason } from '../../src/client/types.js';
import type { ApiName } from '../../src/client/protocol.js';
import type { Simulator } from '../../src/simulator/index.js';
import type { ChatSessionActor } from '../../src/session/createChatSession.js';
import type { ChatActors, ChatActorsOptions } from '../../src/actors/index.js';
import type { chatSessionMachine } from '../../machines/chatSession.machine.js';
import type { ChatSessionContext, ChatSessionEmitted, ChatSessionEvent, ChatSessionInput } from '../../machines/chatSession.types.js';
import type { StartConfig } from './fixtures.js';

export type MachineSnapshot = SnapshotFrom<typeof chatSessionMachine>;

/**
 * A deliberate fault in the real system: a client that misbehaves, a machine with a broken
 * implementation or config, actors that do something else (test/mutation). A run with a fault
 * counts for no coverage.
 */
export interface Fault {
  name: string;
  client?(client: AiccClient): AiccClient;
  machine?(machine: typeof chatSessionMachine): typeof chatSessionMachine;
  /** The session's actors instead of the shipped ones (given the client and the options they must use). */
  actors?(client: AiccClient, options?: ChatActorsOptions): ChatActors;
}

/** A fault that proves an oracle can fail (walks.test.ts). */
export interface Breakage extends Fault {
  /** The temporal oracle (temporal.ts) the breakage must make fire. */
  oracle: string;
}

/** What the simulator's side of the conversation looks like, as far as the model needs it. */
export interface World {
  /** Which configuration the session was started with (first step of every path). */
  config: StartConfig | null;
  /** What CONNECT landed on. */
  channel: 'robot' | 'agent' | null;
  /** The simulator's session state for this user. */
  party: 'none' | 'robot' | 'queued' | 'agent' | 'ended';
  /** Model clock of the delayed transitions (mirrors the SimulatedClock of the real run). */
  now: number;
  /** Pending delayed events (xstate.after.*) → due time. */
  timers: Record<string, number>;
  /** Invoked promise actors whose outcome has not been fed yet. */
  inflight: string[];
  /** Events the real system will produce by itself next, in order (variant names). */
  spontaneous: string[];
  /** Outcome of each upload in flight, by the model's localId. */
  uploads: Record<string, 'ok' | 'rejected'>;
  /** The last poll batch the model delivered (re-delivered by the duplicate-delivery variant). */
  lastBatch: string[];
  /** A counter for unique model message keys. */
  seq: number;
  /**
   * A CONNECT the customer did not wait for (held, then chat.end) was processed anyway: the
   * server greeted in a session the client never polled. DISCONNECT's catch-up finds the greeting.
   */
  unseenGreeting: boolean;
}

/** The traversal state: the shipped machine's snapshot plus the world around it. */
export interface ModelSnapshot {
  status: 'active' | 'done' | 'error' | 'stopped';
  output: undefined;
  error: undefined;
  machine: MachineSnapshot | null;
  world: World;
  /** The variant that led here, and the transition ids the machine took for it (in order). */
  variant: string;
  taken: string[];
  /** `taken`, one list per microstep (microsteps that took no transition left out). */
  microsteps: string[][];
  /** State node ids entered along the way (microstep snapshots included). */
  visited: string[];
  toJSON(): string;
}

/** A model event: a machine event (or session.start) tagged with the variant that produced it. */
export type ModelEvent = { type: string; variant: string } & Record<string, unknown>;

export type StepKind = 'start' | 'user' | 'env' | 'timer' | 'outcome' | 'spontaneous';

export interface StepInfo {
  index: number;
  event: ModelEvent;
  /** Model snapshots before and after the step. */
  before: ModelSnapshot;
  after: ModelSnapshot;
}

/** The SimulatedClock of the real actor's delayed transitions, with its pending timers. */
export interface TestClock extends SimulatedClock {
  /** Pending timers, the first due first: when (clock time) and how long they were set for. */
  pending(): { due: number; timeout: number }[];
}

/** The real system of one path, as the variants see it. */
export interface RunApi {
  readonly sim: Simulator;
  readonly userId: string;
  readonly clock: TestClock;
  /** Reasons the token provider was asked, tokens the server rotated to. */
  readonly tokenRequests: TokenRequestReason[];
  readonly rotatedTokens: string[];
  /** `file.downloaded` events emitted by the session. */
  readonly downloaded: ChatSessionEmitted[];
  /** The session (after the start step). */
  actor(): ChatSessionActor;
  start(input: ChatSessionInput): void;
  send(event: ChatSessionEvent): void;
  /** The real snapshot right after the macrostep that matched the current step. */
  matched(): MachineSnapshot;
  /** The real snapshot matched by the step before (at the start: the first real snapshot). */
  previous(): MachineSnapshot;
  /** The live real context. */
  context(): ChatSessionContext;
  /** Holds back the next request to `api` (a delay fault); `whenHeld` waits until it is in flight. */
  hold(api: ApiName, delayMs: number): void;
  whenHeld(api: ApiName): Promise<void>;
  /** Arms a delay fault on the next poll and waits until that poll is in flight. */
  holdPoll(): Promise<void>;
  /**
   * Arms a delay fault on the next queryQueueInfo, so the queue watcher cannot report for a
   * while; with `waitInFlight`, also waits until that held request has reached the simulator
   * (the watcher asks one at a time, so nothing it asked earlier can still be processed).
   */
  holdQueueWatcher(waitInFlight: boolean): Promise<void>;
  /** Every event the real actor has processed so far, in order. */
  realEvents(): ({ type: string } & Record<string, unknown>)[];
  eventually(check: () => void | boolean, what: string, timeoutMs?: number): Promise<void>;
}

export interface Variant {
  /** Unique; shown in path names and failure traces. */
  name: string;
  kind: StepKind;
  /** The machine event type this variant produces ('session.start' for the first step). */
  eventType: string;
  /** spontaneous: produced synchronously by the real system (before any HTTP answer). */
  sync?: boolean;
  /** user: offered while a request is in flight; `armAhead` holds that request back. */
  held?: boolean;
  /** user: also offered in the chat while a timer of it runs (debounce, typing throttle). */
  whileTimerRuns?: boolean;
  /**
   * user/env: an event the machine ignores here (no enabled transition, e.g. a guard says no), as
   * a host may send it anyway: offered only where `snapshot.can(event)` is false, instead of only
   * where it is true. The real actor must take no transition either (the runner's matching).
   */
  ignored?: boolean;
  /** outcome: the invoke id it settles (or 'upload' / 'download' for the file workers). */
  settles?: string;
  /** The event payload in this model state; undefined when the variant does not apply. */
  offer(s: ModelSnapshot & { machine: MachineSnapshot }): Record<string, unknown> | undefined;
  /** How the world changes after the machine took the event. */
  world?(w: World, next: MachineSnapshot, event: ModelEvent, prev: MachineSnapshot | null): World;
  /** Runner: prepares the simulator before the action that starts this step's group. */
  arm?(run: RunApi, step: StepInfo): void | Promise<void>;
  /**
   * Runner: before anything else of this step's group (before leftover faults are cleared):
   * wait for what an `armAhead` set up, e.g. the held request to be in flight.
   */
  ready?(run: RunApi, step: StepInfo): void | Promise<void>;
  /** Runner: like arm, but one group earlier (holds back a request so a user event can win). */
  armAhead?(run: RunApi, step: StepInfo): void | Promise<void>;
  /** Runner: the real-world action that causes the event (none for outcomes and spontaneous). */
  act?(run: RunApi, step: StepInfo): void | Promise<void>;
  /** Runner: what this step promises, checked after the real actor took it. */
  check?(run: RunApi, step: StepInfo): void | Promise<void>;
}
