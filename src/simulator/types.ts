/**
 * Public types of the embedded AICC simulator. Wire shapes come from ../client/protocol.ts;
 * this file only describes how the simulator is configured, scripted and observed.
 */
import type { ApiName, SourceType, WireHistoryMessage } from '../client/protocol.js';

import type { ScenarioName } from './scenarioPresets.js';

export type { ScenarioName };

export interface SurveyLevel {
  key: string;
  label: string;
}

export interface RobotScript {
  nickname: string;
  /** First ROBOT message after CONNECT (interIdx "1"). */
  greeting: string;
  /** Answer to a customer TEXT message. */
  reply: (text: string) => string;
  /** A CHAT containing one of these (case-insensitive) is treated as TRANS2AGENT. */
  transferKeywords: string[];
  /** FAQ questions queryPhraseByKeyword searches (case-insensitive substring). */
  faq: string[];
}

export interface AgentScript {
  nickname: string;
  /** AGENT message sent right after the SYSTEM "connected" notice. */
  greeting: string;
  /** Auto reply to a customer TEXT message; null = no reply (script the agent by hand). */
  reply: (text: string) => string | null;
}

/** The tenant/channel configuration and the scripted parties behind it. */
export interface Scenario {
  name: string;
  /** What CONNECT lands on (channel configuration). */
  connectTo: 'robot' | 'agent';
  /** false → CONNECT to an agent and TRANS2AGENT answer "12". */
  workingHours: boolean;
  /** CONNECT answers "13" with 'No ccucs address available!' / 'fail to initialize robot'. */
  connectFailure: null | 'no-ccucs' | 'robot-init';
  /** false → TRANS2AGENT answers "13" 'transfer to agent failed, none channel config found.' */
  agentsAvailable: boolean;
  /** Queue position when queued; 0 = served immediately. */
  initialQueuePosition: number;
  survey: 'WEB' | 'NO';
  surveyLevels: SurveyLevel[];
  surveyQuestions: string[];
  robot: RobotScript;
  agent: AgentScript;
}

/**
 * What `scenario` accepts besides a preset name: overrides on top of a preset. `name` picks the
 * preset when it is a ScenarioName (default 'robot-then-agent'); robot and agent may be partial.
 * Every `Partial<Scenario>` is a valid ScenarioOverrides.
 */
export type ScenarioOverrides = Partial<Omit<Scenario, 'robot' | 'agent'>> & {
  robot?: Partial<RobotScript>;
  agent?: Partial<AgentScript>;
};

export interface SimulatorTiming {
  /** Poll answers at once when messages wait, else after this window with []. Default 5000. */
  longPollWindowMs: number;
  /** No poll for this long while a session is active → session released. Default 120000. */
  sessionIdleTimeoutMs: number;
  /** Token age after which it is rotated (active session) or rejected with 401. Default 3600000. */
  ccmessagingTokenLifetimeMs: number;
  /** A superseded token stays valid this long (requests already in flight). Default 30000. */
  tokenRotationGraceMs: number;
  /** Default 300. */
  robotReplyDelayMs: number;
  /** Default 500. */
  agentReplyDelayMs: number;
  /** Queue position drops by 1 this often; 0 = only through sim.queue. Default 1000. */
  queueAdvanceMs: number;
}

export interface SimulatorCredentials {
  appKey: string;
  appSecret: string;
}

export interface SimulatorOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 'robot-then-agent'. */
  scenario?: ScenarioName | ScenarioOverrides;
  /** Default { appKey: 'sim-app-key', appSecret: 'sim-app-secret' }. */
  credentials?: SimulatorCredentials;
  /** The single WEB channel configuration id. Default '1011577355744904195'. */
  channelId?: string;
  timing?: Partial<SimulatorTiming>;
  /** downloadFileStream cap in decoded bytes. Default 2 MiB. */
  downloadMaxBytes?: number;
  /** uploadFileStream cap in decoded bytes. Default 2 MiB. */
  uploadMaxBytes?: number;
  /** Clock for token ages and timestamps. Default Date.now. Timers always run on real time. */
  now?: () => number;
  /**
   * Keep every request in `sim.requests` (default true). Long chaos runs turn it off to bound
   * memory; violations, sessions and fault statistics are kept either way.
   */
  recordRequests?: boolean;
  /**
   * Answer CORS preflights and add Access-Control-* headers so a browser page on another origin
   * can talk to the simulator (not something the real gateway is known to do). Default true.
   */
  cors?: boolean;
}

/** Why a rule was recorded as broken by the client. */
export type ViolationRule =
  | 'missing-header'
  | 'missing-field'
  | 'wrong-type'
  | 'invalid-value'
  | 'bad-json'
  | 'unknown-path'
  | 'wrong-method'
  | 'identity-mismatch'
  | 'stale-token'
  | 'duplicate-connect'
  | 'chat-without-session'
  | 'transfer-without-session'
  /** queryQueueInfo after the user's latest CONNECT was refused (documented as valid only after a successful one). */
  | 'queue-before-connect'
  | 'concurrent-poll'
  | 'missing-multimedia'
  | 'missing-local-prefix'
  | 'unknown-file';

export interface ProtocolViolation {
  /** Epoch ms (simulator clock). */
  at: number;
  api: ApiName | 'unknown';
  userId?: string;
  rule: ViolationRule;
  message: string;
}

export type FaultKind =
  | 'status'
  | 'reset'
  | 'delay'
  | 'duplicate-delivery'
  | 'reorder'
  | 'rate-limited'
  | 'ip-forbidden'
  | 'flow-control';

/**
 * What a seeded fault plan (`sim.faults.plan`) can do to one request. Transport faults change
 * how the request is answered; the last four change the world the request meets.
 */
export type PlannedFault =
  /** HTTP 500/502/503/504 with a gateway body; nothing processed. */
  | 'http-5xx'
  /** Processed, then HTTP 502/504 (a gateway lost the upstream answer): outcome unknown. */
  | 'http-5xx-after'
  /** Socket destroyed before processing. */
  | 'reset'
  /** Processed, then the socket destroyed (the answer is lost in transit): outcome unknown. */
  | 'reset-after'
  /** Processed, answered after `slowMs` (meant to exceed the client's timeout). */
  | 'slow'
  /** Processed, answered after `delayMs` (within the timeout: just slow). */
  | 'delay'
  /** poll: the last batch again (same messageCodes) with anything new. */
  | 'duplicate-delivery'
  /** poll: the batch in a shuffled order. */
  | 'reorder'
  /** The answer carries a new ccmessaging-token (rotation mid-session). */
  | 'token-rotation'
  /** The user's ccmessaging-token is revoked before this request: HTTP 401 until applyToken again. */
  | 'unauthorized'
  /** Every API Fabric AccessToken becomes invalid before this request: HTTP 403 until tokenByAkSk. */
  | 'access-token-expiry'
  /** The user's active session is released now (SYSTEM DISCONNECT), as if polling had stopped. */
  | 'session-release'
  /**
   * The gateway's flow control refuses the request: HTTP 429 with a `Retry-After` header
   * (`retryAfterSeconds`) and a gateway body; nothing processed.
   */
  | 'rate-limited'
  /**
   * The gateway's IP allow-list refuses the request: HTTP 403 with a gateway body carrying
   * errorCode "160033" (client IP not allowed), unlike the AccessToken 403; nothing processed.
   */
  | 'ip-forbidden'
  /**
   * feedbackSatisfaction only: HTTP 200 with resultCode "10010000002" (rate-limited, flow
   * control); nothing stored. Drawn for another API it leaves the request alone.
   */
  | 'flow-control';

export const PLANNED_FAULTS: readonly PlannedFault[] = [
  'http-5xx',
  'http-5xx-after',
  'reset',
  'reset-after',
  'slow',
  'delay',
  'duplicate-delivery',
  'reorder',
  'token-rotation',
  'unauthorized',
  'access-token-expiry',
  'session-release',
  // New types go last: a plan draws against the rates in this order, so appending keeps every
  // existing plan hitting exactly the requests it hit before.
  'rate-limited',
  'ip-forbidden',
  'flow-control',
];

export type FaultRates = Partial<Record<PlannedFault, number>>;

/**
 * A time window of a plan during which other rates apply (an outage, a throttling storm, a WAF
 * rule gone wrong). Times are relative to when the plan was set, on the simulator's clock
 * (`now` option), so a test with a manual clock moves through bursts without waiting.
 */
export interface FaultBurst {
  /** Name in `stats().bursts` (default `burst-<index>`). */
  name?: string;
  /** Start, ms after `faults.plan(...)` was called (simulator clock). */
  startMs: number;
  /** Length of the window in ms; the window is [startMs, startMs + durationMs). */
  durationMs: number;
  /**
   * APIs the burst applies to (default: every API a user calls). tokenByAkSk, which has no user,
   * is only hit when named here.
   */
  apis?: ApiName[];
  /** Rates replacing the plan's (and `apis`') rates for those APIs inside the window. */
  rates: FaultRates;
}

/**
 * A seeded, reproducible fault plan. Each request is decided on its own from
 * hash(seed, key, api, n) where key is the request's user (tokenByAkSk, which has none: its
 * app_key) and n counts that key's requests to that API, so the same seed hits the same requests
 * of the same sessions however concurrent sessions interleave.
 */
export interface FaultPlan {
  seed: number;
  /** Probability per request of each fault (0..1; their sum at most 1). */
  rates: FaultRates;
  /**
   * Per-API rates replacing `rates` for that API (e.g. `{ tokenByAkSk: {} }` for none).
   * tokenByAkSk is only hit through `apis.tokenByAkSk` (or a burst naming it): `rates` and
   * `users` are about users, and the AccessToken is the tenant's.
   */
  apis?: Partial<Record<ApiName, FaultRates>>;
  /**
   * Time windows with other rates (checked in order; the first matching one applies). Which
   * requests fall into a window depends on timing; each request's draw is still seeded.
   */
  bursts?: FaultBurst[];
  /** Which users' requests may be hit (default every user; tokenByAkSk is not a user's). */
  users?: (userId: string) => boolean;
  /** The delay of `slow`. Default 20000. */
  slowMs?: number;
  /** The delay of `delay`. Default 20. */
  delayMs?: number;
  /** `Retry-After` of `rate-limited`, in whole seconds; null sends none. Default 1. */
  retryAfterSeconds?: number | null;
  /** Skip the first n requests of each (user, api) pair (e.g. let CONNECT through). Default 0. */
  skipFirst?: number;
}

/** Requests decided inside one burst window and what hit them. */
export interface FaultBurstStats {
  /** Requests that met the burst's rates (after `users` and `skipFirst`). */
  requests: number;
  /** Planned faults the burst's rates drew, by type. */
  planned: Partial<Record<PlannedFault, number>>;
}

/** What the faults injected so far did, by type and API. */
export interface FaultStats {
  /** One-shot faults from `faults.next`, by kind. */
  oneShot: Partial<Record<FaultKind, number>>;
  /** Planned faults, by type. */
  planned: Partial<Record<PlannedFault, number>>;
  /** Planned faults by API and type. */
  byApi: Partial<Record<ApiName, Partial<Record<PlannedFault, number>>>>;
  /** Per burst name (also counted in `planned` and `byApi`). */
  bursts: Record<string, FaultBurstStats>;
  /** poll batches given back to the queue because their answer was never written. */
  batchesGivenBack: number;
}

export interface RecordedRequest {
  /** 1, 2, 3, ... in arrival order. */
  seq: number;
  /** Arrival time, epoch ms (simulator clock). */
  at: number;
  api: ApiName | 'unknown';
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names; authorization, x-app-key, ccmessaging-token and cookie are '[redacted]'. */
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when it is not JSON; app_secret redacted, long strings shortened. */
  body: unknown;
  /** HTTP status sent; 0 while still pending or when the socket was reset without an answer. */
  status: number;
  /** The JSON body sent (tokens redacted, long strings shortened); undefined when none. */
  response: unknown;
  /** The user the request was authenticated as (or applied for). */
  userId?: string;
  /** The injected fault that hit this request, if any. */
  fault?: FaultKind;
  /** The planned fault (sim.faults.plan) that hit this request, if any. */
  plannedFault?: PlannedFault;
  /** The client went away before the answer was written. */
  abandoned?: boolean;
  /**
   * When the exchange ended (simulator clock): the answer was written, or the socket closed
   * without one (client gone, reset fault). Undefined while it is still open. With `at`, tells
   * which requests were in flight together (e.g. at most one poll per user at any time).
   */
  endedAt?: number;
}

/** Where the simulated server holds a customer's session (`sim.session(userId).state`). */
export type ServerSessionState = 'idle' | 'robot' | 'queued' | 'agent' | 'ended';

/** Why the simulated server ended a session (`sim.session(userId).endReason`). */
export type ServerEndReason =
  /** The customer sent DISCONNECT. */
  | 'customer-disconnect'
  /** sim.agent.end: AGENT DISCONNECT downlink. */
  | 'agent-end'
  /** sim.system.disconnect: SYSTEM DISCONNECT downlink. */
  | 'system-disconnect'
  /** No poll within sessionIdleTimeoutMs (or sim.system.releaseSession). */
  | 'idle-release'
  /** sim.system.forget: the service lost the session (a restart) and told nobody. */
  | 'forgotten';

/** One message of a session as the simulated server saw it: an uplink CHAT it received or a downlink it queued. */
export interface ServerTranscriptEntry {
  direction: 'uplink' | 'downlink';
  sourceType: SourceType | 'CUSTOMER';
  controlType: string;
  mediaType: string | null;
  content: string | null;
  /** Epoch ms (server stamp). */
  timestamp: number;
  messageCode: string;
  callId: string | null;
  /** Uplink CHAT: the `timestamp` string the client sent (its idempotency key), if any. */
  wireTimestamp?: string;
  /** Downlink: how many poll answers carrying it were written to a socket. */
  deliveries?: number;
  /** Downlink: when the first of those answers was written (simulator clock). */
  firstDeliveredAt?: number;
  /** Downlink: still waiting in the user's queue (no poll took it yet). */
  pending?: boolean;
}

/**
 * @deprecated Use {@link ServerSessionState}: the name clashes with the machine's types. Kept for one release.
 */
export type SessionState = ServerSessionState;
/**
 * @deprecated Use {@link ServerEndReason}: the machine's `EndReason` (from the package root) is another
 * list. Kept for one release.
 */
export type EndReason = ServerEndReason;
/**
 * @deprecated Use {@link ServerTranscriptEntry}: the machine's `TranscriptEntry` (from the package root) is
 * another shape. Kept for one release.
 */
export type TranscriptEntry = ServerTranscriptEntry;

export interface LeaveMessageRecord {
  at: number;
  caller: string;
  message: string;
}

export interface SatisfactionRecord {
  at: number;
  /** Which request shape the client used. */
  shape: 'flat' | 'wrapped';
  evaluation: string;
  comment: string;
  npsScore: string | null;
  fcrValue: string | null;
  callId: string | null;
}

export interface FeedbackRecord {
  at: number;
  feedback: 0 | 1;
  feedbackContent: string | null;
  interIdx: string;
}

/** A JSON snapshot of one user's current (or last) session. */
export interface SessionView {
  userId: string;
  state: ServerSessionState;
  queuePosition: number | null;
  /** interIdx of the last ROBOT message, null before any. */
  interIdx: string | null;
  /** Call id of the agent call, null before an agent picked up. */
  callId: string | null;
  /** Uplink CHAT messages and every downlink message of this session, in order. */
  transcript: ServerTranscriptEntry[];
  /** Downlink messages waiting for a poll. */
  pendingDownlink: number;
  /** All leave-messages of this user (they outlive sessions). */
  leaveMessages: LeaveMessageRecord[];
  satisfaction: SatisfactionRecord | null;
  feedback: FeedbackRecord | null;
  endReason: ServerEndReason | null;
}

/** A one-shot fault for the next request(s) of an API. */
export type Fault =
  /**
   * Answer this status with this body (default: a gateway error body), or `raw` text as the
   * body (e.g. broken JSON), plus any `headers`. Nothing is processed, unless `afterProcessing`
   * (the request takes effect and its answer is replaced: a gateway that lost the upstream answer).
   */
  | { status: number; body?: unknown; raw?: string; headers?: Record<string, string>; afterProcessing?: boolean }
  /**
   * Destroy the socket without answering. By default before the request is processed; with
   * afterProcessing the work happens first (outcome unknown to the client).
   */
  | { reset: true; afterProcessing?: boolean }
  /** Process normally, answer this much later. */
  | { delayMs: number }
  /** poll only: re-deliver the user's last batch (same messageCodes) along with anything new. */
  | { duplicateDelivery: true }
  /** poll only: deliver the batch in a shuffled order (a batch of one is left alone). */
  | { reorder: true }
  /**
   * Gateway flow control: HTTP 429, a gateway body and `Retry-After: <retryAfterSeconds>`
   * (default 1; null sends no header). Nothing processed.
   */
  | { rateLimited: true; retryAfterSeconds?: number | null }
  /** The IP allow-list: HTTP 403 `{"errorCode":"160033",...}`. Nothing processed. */
  | { ipForbidden: true }
  /**
   * feedbackSatisfaction only (the one API documenting the code): HTTP 200
   * `{"resultCode":"10010000002",...}`. Nothing stored.
   */
  | { flowControl: true };

export interface AgentFile {
  bytes: Uint8Array;
  /** jpg, png, mp4, pdf, ... (used as mediaFileType). */
  fileType: string;
  /** Default derived from fileType. */
  mediaType?: 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT';
  /** true: a locally uploaded file (contentType "1"); false: media library. Default false. */
  local?: boolean;
}

export interface Simulator {
  /** http://HOST:PORT */
  readonly url: string;
  readonly channelId: string;
  readonly credentials: SimulatorCredentials;
  /** The live scenario: changing a field (workingHours, agent.reply, ...) takes effect at once. */
  readonly scenario: Scenario;
  /** The resolved timing (read-only). */
  readonly timing: Readonly<SimulatorTiming>;
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[];
  readonly violations: ProtocolViolation[];
  requestsFor(api: ApiName, userId?: string): RecordedRequest[];
  session(userId: string): SessionView | undefined;
  agent: {
    /** AGENT CHAT TEXT downlink (requires the agent state). */
    say(userId: string, text: string): void;
    /** Stores the file and sends it as an AGENT media message. */
    sendFile(userId: string, file: AgentFile): { fileId: string };
    /** READ downlink listing the customer's unread CHAT messages (isNeedRead polls only). */
    read(userId: string): void;
    /** AGENT DISCONNECT downlink; session ended. */
    end(userId: string): void;
  };
  robot: {
    /** ROBOT CHAT TEXT downlink with the next interIdx (requires the robot state). */
    say(userId: string, text: string): void;
  };
  system: {
    /** SYSTEM CHAT TEXT downlink. */
    say(userId: string, text: string): void;
    /** SYSTEM DISCONNECT (timeout style); session ended. */
    disconnect(userId: string, opts?: { isOfflineStatus?: boolean }): void;
    /** As if the idle timeout fired now. */
    releaseSession(userId: string): void;
    /**
     * The service restarts and loses the session without a downlink: polls stay empty,
     * queryQueueInfo answers 160004, a CHAT to a forgotten robot session answers 13
     * "session keep touch failed".
     */
    forget(userId: string): void;
  };
  queue: {
    advance(userId: string, steps?: number): void;
    serve(userId: string): void;
    setPosition(userId: string, position: number): void;
  };
  tokens: {
    /** The next response to this user carries a new token in the `ccmessaging-token` header. */
    rotate(userId: string): void;
    /** The user's current token becomes invalid now (HTTP 401 until applyToken again). */
    expire(userId: string): void;
    /** Every API Fabric AccessToken becomes invalid (HTTP 403). */
    expireAccessTokens(): void;
  };
  faults: {
    /** Queues a one-shot fault for the next request(s) of the API (tokenByAkSk included). */
    next(api: ApiName, fault: Fault, times?: number): void;
    /** Installs a seeded fault plan (replacing any; its bursts count from now), or removes it with null. */
    plan(plan: FaultPlan | null): void;
    /** Counts of what was injected so far (one-shot and planned). */
    stats(): FaultStats;
    /** Drops queued one-shot faults and the plan (statistics are kept). */
    clear(): void;
  };
  /** Adds messages of earlier sessions to the user's history (oldest first). */
  seedHistory(userId: string, messages: Partial<WireHistoryMessage>[]): void;
  files: {
    /** Accepts the key or `local/<key>`. */
    get(fileId: string): Uint8Array | undefined;
  };
  /** Forgets sessions, users, files, faults, requests and violations; keeps tokens and the server. */
  reset(): void;
  /** Ends pending long polls, clears every timer, closes all sockets. */
  close(): Promise<void>;
}
