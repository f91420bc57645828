/**
 * Types of the chat-session statechart: input, context, events, output, and the contracts of
 * the named actors the machine invokes. Everything in the context is plain JSON: no tokens, no
 * client, no bytes, no functions (it is persisted with `getPersistedSnapshot()`).
 */
import type { AiccErrorInfo } from '../src/client/errors.js';
import type { SourceType, UplinkMediaType } from '../src/client/protocol.js';
import type {
  BinaryInput,
  ChatDownlink,
  DisconnectDownlink,
  DownlinkMessage,
  FileRef,
  HistoryMessage,
  OtherDownlink,
  QueueMetrics,
  ResultInfo,
  SatisfactionLevel,
  SurveyMode,
  UploadProgress,
} from '../src/client/types.js';

// ---------------------------------------------------------------------------------------------
// Input and configuration

/** Who the customer is. Sent with applyToken (by your token provider) and every uplink. */
export interface ChatIdentity {
  /** The customer's user id (1–24 characters). */
  userId: string;
  userName: string;
  /** The WEB channel configuration id. */
  channelId: string;
  /** `en`, `en_US`, `zh_CN`, ... (phrase suggestions and survey language). */
  locale: string;
  /** Display name sent as `senderNickname`. */
  nickname?: string | null;
}

/** Every duration the machine and its actors use, in milliseconds (tests shrink them). */
export interface ChatTiming {
  /** queryQueueInfo period while queuing. */
  queueIntervalMs: number;
  /** Poll backoff: first delay after a failed poll (full jitter: the n-th failure waits random * min(max, base * 2^(n-1))). */
  pollBackoffBaseMs: number;
  /** Poll backoff ceiling. */
  pollBackoffMaxMs: number;
  /**
   * The network counts as gone, and the session ends with 'network-lost', only when at least
   * this many polls in a row got no answer at all (network error, timeout) AND no poll has
   * succeeded for `pollGiveUpMs`. Answered failures (5xx, garbage) mean a flaky server, not a
   * lost network: they back off but never end the session by themselves.
   */
  maxPollFailures: number;
  /** How long polls must keep failing without an answer before the session gives up (see maxPollFailures). */
  pollGiveUpMs: number;
  /**
   * Minimum time between the starts of two polls when the first one brought nothing: protects
   * the server from a hot loop if it answers an empty poll at once instead of holding it.
   */
  pollMinIntervalMs: number;
  /** At most one INPUT (typing) notice per this period. */
  typingThrottleMs: number;
  /** Quiet time after the last keystroke before phrase suggestions are queried. */
  suggestionDebounceMs: number;
  /**
   * Automatic retries of getting a token (the token provider, applyToken, tokenByAkSk) after a
   * transient failure (no answer, 5xx, 408, 429, flow control); a refusal ends with 'auth-failed'.
   */
  authRetries: number;
  /** Auth retry backoff: base * 2^(n-1), capped, times a per-session jitter in [0.5, 1). */
  authRetryBaseMs: number;
  authRetryMaxMs: number;
  /** Automatic retries of getsatisfactionsurveymode after a transient failure, before the UI is asked. */
  surveyModeRetries: number;
  /** Survey-mode retry backoff: base * 2^(n-1), capped, times a per-session jitter in [0.5, 1). */
  surveyModeRetryBaseMs: number;
  surveyModeRetryMaxMs: number;
  /** Automatic CONNECT retries after a transient failure (network, timeout, HTTP). */
  connectRetries: number;
  /** CONNECT retry backoff: base * 2^(attempt-1), capped by connectRetryMaxMs. */
  connectRetryBaseMs: number;
  connectRetryMaxMs: number;
  /**
   * Automatic resends of a message whose send certainly did not reach the server (connection
   * refused, HTTP 429 or 503). Outcome-unknown failures are never resent automatically.
   */
  sendRetries: number;
  /** Resend backoff: base * 2^(n-1), capped, times a deterministic jitter in [0.5, 1). */
  sendRetryBaseMs: number;
  sendRetryMaxMs: number;
  /**
   * While the page is hidden, wait this long after an empty poll before the next one (0 = keep
   * long-polling as usual, the default: see docs/reliability.md for the trade-off). Keep it far
   * below the server's session release timeout.
   */
  hiddenPollDelayMs: number;
  /**
   * A poll in flight for longer than this when the page becomes visible again is presumed dead
   * (a suspended tab, a network switch) and replaced by a new one. Long-poll window + a margin.
   */
  pollStaleMs: number;
}

export type UplinkApi = 'send' | 'sendAsync';

export interface ChatSessionConfig {
  /** Which API carries the CONNECT request. Every other uplink uses `send`. */
  connectVia: UplinkApi;
  /** Load the customer's earlier conversation before connecting. */
  loadHistory: boolean;
  /** History page size. */
  historyLimit: number;
  /** Ask poll for READ notices (agent has read the customer's messages). */
  isNeedRead: boolean;
  /** Largest file `file.send` accepts, in bytes. */
  maxUploadBytes: number;
  timing: ChatTiming;
}

/** What `createActor(chatSessionMachine, { input })` needs. */
export interface ChatSessionInput {
  identity: ChatIdentity;
  /** API for CONNECT. Default 'send' (its answer tells robot from agent and carries errors). */
  connectVia?: UplinkApi;
  /** Show the customer's earlier conversation first. Default false. */
  loadHistory?: boolean;
  /** History page size. Default 50. */
  historyLimit?: number;
  /** Ask poll for READ notices. Default false. */
  isNeedRead?: boolean;
  /** Largest file `file.send` accepts, bytes. Default 2 MB. */
  maxUploadBytes?: number;
  /** Durations in ms; anything left out takes its default (see DEFAULT_TIMING). */
  timing?: Partial<ChatTiming>;
}

// ---------------------------------------------------------------------------------------------
// Errors kept in context

export type ChatInputErrorCode =
  /** `message.send` with no text, or only white space. */
  | 'empty-text'
  /** `message.send` text over 1024 UTF-8 bytes. */
  | 'text-too-long'
  /** `file.send` without Uint8Array / ArrayBuffer / Blob bytes, or with none. */
  | 'invalid-file'
  /** `file.send` fileType outside jpg, jpeg, png, bmp, mp3, aac, mp4, txt, csv. */
  | 'unsupported-file-type'
  /** `file.send` larger than `config.maxUploadBytes`. */
  | 'file-too-large'
  /** `message.retry` / `file.download` with a key that is not in the transcript. */
  | 'unknown-message'
  /** `message.retry` of a message that has not failed, or a file whose bytes are gone. */
  | 'not-retryable'
  /** `file.download` of a message that carries no file, or one already downloading. */
  | 'not-downloadable'
  /** `survey.submit` evaluation that is not one of the survey's level keys. */
  | 'invalid-rating'
  /** `survey.submit` comment that is not a string or is too long. */
  | 'invalid-comment'
  /** `survey.submit` to a robot survey with satisfied=false and no comment. */
  | 'comment-required'
  /** `survey.submit` npsScore that is not an integer 0..10. */
  | 'invalid-nps'
  /** `survey.submit` fcr that is not a boolean. */
  | 'invalid-fcr'
  /** `leaveMessage.submit` with no callback number. */
  | 'invalid-caller'
  /** `leaveMessage.submit` with no message text. */
  | 'invalid-leave-message'
  /** `agent.request` while not served by the robot. */
  | 'not-served-by-robot'
  /**
   * `send` was given something that is not a host event: not an object, no string `type`, an
   * unknown type, or an event only the session's own actors send (`poll.*`, `queue.*`, `upload.*`,
   * `download.*`, `outbox.flush`, `xstate.*`). createChatSession refuses it; nothing else happened.
   */
  | 'invalid-event';

/** A rejected event payload. Nothing was sent; the state did not change. */
export interface ChatInputError {
  name: 'ChatInputError';
  code: ChatInputErrorCode;
  /** The event type that was rejected. */
  event: string;
  field?: string;
  message: string;
}

export type ChatSessionError = AiccErrorInfo | ChatInputError;

// ---------------------------------------------------------------------------------------------
// Transcript

export type ServedBy = 'robot' | 'agent' | null;

/** Every downlink except READ notices (those only flip `read` on outgoing entries). */
export type IncomingMessage = ChatDownlink | DisconnectDownlink | OtherDownlink;

export interface IncomingEntry {
  kind: 'incoming';
  /** messageCode, else the client's stable hash. */
  key: string;
  message: IncomingMessage;
}

export interface HistoryEntry {
  kind: 'history';
  key: string;
  message: HistoryMessage;
}

/**
 * Lifecycle of an outgoing message. Files start `uploading`; text starts `queued`.
 * `sending` is the one message on the wire; `failed` can be retried with `message.retry`.
 * A `queued` entry with an `error` is waiting to be resent automatically (see `resends`).
 */
export type OutgoingStatus = 'uploading' | 'queued' | 'sending' | 'sent' | 'failed';

export interface OutgoingFile {
  /** File name shown to the agent (commas replaced: the FILE wire format is comma-joined). */
  name: string;
  size: number;
  /** Lower-case upload type (jpeg folded to jpg). */
  fileType: string;
  /** Set once uploadFileStream answered. */
  objectKey: string | null;
}

export interface OutgoingEntry {
  kind: 'outgoing';
  /** Equals localId. */
  key: string;
  /** `out-<timestamp>`: client-generated, unique per session. */
  localId: string;
  /**
   * Epoch ms, sent (as a string) as the wire `timestamp`: strictly increasing per session, the
   * server's idempotency key for the message, and how READ receipts name it.
   */
  timestamp: number;
  mediaType: UplinkMediaType;
  /** The text of a TEXT message. */
  text: string | null;
  file: OutgoingFile | null;
  /** The wire `content` (text, objectKey or "name,size,objectKey,ext"); null until uploaded. */
  content: string | null;
  status: OutgoingStatus;
  /**
   * A file's bytes sent so far, while `status` is `uploading` (from `{ loaded: 0, total: size }`
   * on, as the upload worker reports it); null once the upload ended and for text. Absent in
   * snapshots persisted before it existed. The view's `upload` makes a fraction of it.
   */
  progress?: UploadProgress | null;
  /** The agent has read it (READ notice). */
  read: boolean;
  /**
   * The latest failure. On a `failed` entry: why (with `outcomeUnknown: true` when the server may
   * have received it — then a `message.retry` may deliver it twice). On a `queued` entry: the
   * last attempt certainly did not arrive and the message will be resent automatically.
   */
  error: ChatSessionError | null;
  /** Automatic resends so far (absent: none). */
  resends?: number;
  /**
   * An attempt ended with an unknown outcome, so the server may have it even if a later retry
   * failed for certain: the failure then still says `outcomeUnknown: true`.
   */
  maybeDelivered?: boolean;
}

/**
 * Messages may be missing here, and nothing more can be done about it: a poll answer may have
 * been lost in transit (a timeout, a reset, a poll cut off when the chat ended) and the history
 * API, the only way to get it back, could not be read before the chat ended. A UI shows it
 * ("Some messages could not be loaded"); it is never left out silently.
 */
export interface GapEntry {
  kind: 'gap';
  /** `gap:<from>`. */
  key: string;
  /** Server time (epoch ms) after which messages may be missing. */
  from: number;
  /** Client clock when the recovery was given up. */
  at: number;
  /** Why the history could not be read. */
  error: AiccErrorInfo;
}

export type TranscriptEntry = IncomingEntry | HistoryEntry | OutgoingEntry | GapEntry;

/**
 * One page of an index shard: at most 16 keys and, at the same offsets, their positions in the
 * transcript. Keys are values, not property names (V8 would give every new name a hidden class).
 */
export interface TranscriptIndexPage {
  keys: string[];
  positions: number[];
}

/** shard → pages of keys and their positions. Look keys up with `entryAt(context, key)`. */
export type TranscriptIndex = Record<string, TranscriptIndexPage[]>;

/** The transcript as stored in the context: chunks of up to TRANSCRIPT_CHUNK (256) entries. */
export interface Transcript {
  /** Number of entries. */
  length: number;
  /** The entries in order, cut into chunks; every chunk but the last is full. */
  chunks: TranscriptEntry[][];
}

export type DownloadStatus = 'downloading' | 'done' | 'failed';

/** Download bookkeeping. The bytes are never kept: they are emitted as `file.downloaded`. */
export interface DownloadEntry {
  status: DownloadStatus;
  fileType: string | null;
  fileUrl: string | null;
  error: AiccErrorInfo | null;
}

export type QueueInfo = ({ status: 'queuing' } & QueueMetrics) | { status: 'in-ivr' };

export interface SurveyDefinition {
  /** Who is rated: the agent (saveSatisfaction) or the robot (feedbacksatisfaction). */
  target: 'agent' | 'robot';
  levels: SatisfactionLevel[];
  /** FCR, NPS, CSAT: extra items to show. */
  questions: string[];
}

export interface AgentSurveyAnswer {
  /** A level key from `survey.levels`. */
  evaluation: string;
  comment?: string;
  /** 0..10. */
  npsScore?: number;
  /** Was the problem solved? */
  fcr?: boolean;
}

export interface RobotSurveyAnswer {
  satisfied: boolean;
  /** Required when not satisfied; at most 64 characters. */
  comment?: string;
}

export interface LeaveMessageDraft {
  caller: string;
  message: string;
}

/** How the server ended the session, when it did (the DISCONNECT downlink). */
export interface ServerDisconnect {
  sourceType: SourceType;
  /** True: the customer may still leave an offline message. */
  isOfflineStatus: boolean;
}

/**
 * Why the session ended.
 * - `customer-ended`: the customer sent `chat.end` (at any point before the end).
 * - `agent-ended`: a DISCONNECT downlink from the AGENT.
 * - `session-released`: a DISCONNECT from SYSTEM/ROBOT (timeout, release) or queryQueueInfo
 *   said the session is gone; also a queue timeout the customer did not leave a message for.
 * - `auth-failed`: the ccmessaging-token could not be obtained.
 * - `connect-failed`: CONNECT kept failing (retries exhausted or a non-retryable error), or it
 *   was refused (resultCode 13 / CCUCS codes) and the customer left no message.
 * - `after-hours`: CONNECT answered 12 (outside working hours) and the customer left no message.
 * - `message-left`: the customer left a message (doLeaveMessage succeeded).
 * - `network-lost`: polling failed `maxPollFailures` times in a row.
 */
export type EndReason =
  | 'customer-ended'
  | 'agent-ended'
  | 'session-released'
  | 'auth-failed'
  | 'connect-failed'
  | 'after-hours'
  | 'message-left'
  | 'network-lost';

export const END_REASONS = [
  'customer-ended',
  'agent-ended',
  'session-released',
  'auth-failed',
  'connect-failed',
  'after-hours',
  'message-left',
  'network-lost',
] as const satisfies readonly EndReason[];

export interface ConnectionHealth {
  /** Consecutive failed polls (0 while healthy). */
  pollFailures: number;
  lastPollError: AiccErrorInfo | null;
  /** The host says the browser is online (`connection.online` / `connection.offline`). */
  online: boolean;
  /** The host says the page is visible (`page.visible` / `page.hidden`). */
  pageVisible: boolean;
}

/** The satisfaction survey of the ending session. */
export interface SurveyState {
  /** The survey on offer while surveying, else null. */
  offer: SurveyDefinition | null;
  /** The answer being submitted. */
  answer: AgentSurveyAnswer | RobotSurveyAnswer | null;
  submitted: boolean;
}

/** The input box: what the customer is typing and the phrases suggested for it. */
export interface ComposeState {
  /** The text in the input box as last reported by `input.change`. */
  draft: string;
  /** Phrase suggestions for `draft` (at most five). */
  suggestions: string[];
}

/** What the protocol needs remembered between calls; rarely worth rendering. */
export interface SessionBookkeeping {
  /** Last wire timestamp used for an outgoing message (keeps them unique and increasing). */
  lastOutgoingTimestamp: number;
  /** Keys of agent messages not yet acknowledged with a READ uplink. */
  unreadAgentKeys: string[];
  /** TRANS2AGENT was accepted: robot messages no longer count as "served by robot". */
  awaitingAgent: boolean;
  /** interIdx of the latest ROBOT message (feedbacksatisfaction needs it). */
  lastInterIdx: string | null;
  /** Consecutive failed CONNECT attempts. */
  connectAttempts: number;
  /** Consecutive transient failures to get a token (auth-retry). */
  authAttempts: number;
  /** Consecutive transient failures of getsatisfactionsurveymode (survey-mode-retry). */
  surveyModeAttempts: number;
  /**
   * The server has accepted CONNECT: `send` answered, or (sendAsync, which only acknowledges) a
   * first poll answered. queryQueueInfo is valid only after that.
   */
  connectConfirmed: boolean;
  /**
   * The service no longer knows this session (a restart, a release nobody was told about): no
   * survey is offered for it.
   */
  sessionLost: boolean;
  /**
   * Client clock (epoch ms) when CONNECT succeeded — or when an earlier attempt whose answer was
   * lost started (it may have opened the session); bounds the poll loop's catch-up window.
   */
  connectedAt: number | null;
  /** Client clock when the latest CONNECT attempt started. */
  connectAttemptAt?: number | null;
  /**
   * When the first CONNECT attempt whose answer was lost started (timeout, reset, 5xx: the
   * session may exist and its first messages may have been handed to a poll we never read).
   * The poll loop then catches up from history before its first poll, and DISCONNECT does so
   * even when no CONNECT was ever confirmed. null: no answer was lost.
   */
  connectAnswerLostAt?: number | null;
  /** From `session.gone`: the server no longer has the session; the DISCONNECT to report for it. */
  serverGone?: DisconnectDownlink | null;
  /**
   * The machine started the upload (download) worker for a new transfer and its `upload.ready`
   * (`download.ready`) has not come yet: that one is a hello, not a restored worker's news that
   * what was in flight was lost. Absent once it came or the worker stopped.
   */
  uploadWorkerStarting?: boolean;
  downloadWorkerStarting?: boolean;
}

/**
 * Few top-level fields on purpose: XState copies the context with `Object.assign({}, …)` on
 * every assign, and V8 turns a copy with 20 or more properties into a slow dictionary object
 * (~20× slower to copy, ~1.5 KB more heap per session; docs/performance.md). Group new fields.
 */
export interface ChatSessionContext {
  identity: ChatIdentity;
  config: ChatSessionConfig;
  /**
   * Every message once, in arrival (server) order; history first. In chunks, so that a new
   * message does not copy the whole history: `transcriptEntries(context.transcript)` (or
   * `.chunks.flat()`) is the list, `length` the number of entries.
   */
  transcript: Transcript;
  /** key → position in `transcript`, sharded by key hash (see chatSession.transcript.ts). */
  transcriptIndex: TranscriptIndex;
  /** localIds waiting to be sent, FIFO; the head is on the wire while `outbox.sending`. */
  outbox: string[];
  /** Downloads by message key. */
  downloads: Record<string, DownloadEntry>;
  /** Latest queue information while queuing, else null. */
  queue: QueueInfo | null;
  servedBy: ServedBy;
  agentNickname: string | null;
  connection: ConnectionHealth;
  serverDisconnect: ServerDisconnect | null;
  survey: SurveyState;
  /** The message being submitted in `leave-message.submitting`. */
  leaveMessage: LeaveMessageDraft | null;
  compose: ComposeState;
  /** The latest error: a failed call or a rejected event payload. */
  error: ChatSessionError | null;
  endReason: EndReason | null;
  bookkeeping: SessionBookkeeping;
}

export interface ChatSessionOutput {
  endReason: EndReason;
  transcript: TranscriptEntry[];
  servedBy: ServedBy;
  agentNickname: string | null;
  surveySubmitted: boolean;
  serverDisconnect: ServerDisconnect | null;
  error: ChatSessionError | null;
}

// ---------------------------------------------------------------------------------------------
// Events

/**
 * The old name of `{ type: 'request.retry' }`.
 *
 * @deprecated Send `{ type: 'request.retry' }`. The `send` of a `createChatSession` actor (and
 * so the tab coordinator and the React, Vue and Svelte adapters) still takes `retry` and
 * delivers `request.retry`; an actor made directly from `chatSessionMachine` ignores it.
 * Accepted for one release.
 */
export interface DeprecatedRetryEvent {
  type: 'retry';
}

/** Events the host (UI) sends. */
export type ChatUserEvent =
  | { type: 'message.send'; text: string }
  | { type: 'message.retry'; key: string }
  | { type: 'file.send'; data: BinaryInput; fileType: string; name?: string }
  | { type: 'file.download'; key: string }
  | { type: 'input.change'; text: string }
  | { type: 'agent.request' }
  | { type: 'messages.markRead' }
  | { type: 'chat.end' }
  | ({ type: 'survey.submit' } & AgentSurveyAnswer)
  | ({ type: 'survey.submit' } & RobotSurveyAnswer)
  | { type: 'survey.skip' }
  | { type: 'leaveMessage.submit'; caller: string; message: string }
  | { type: 'leaveMessage.skip' }
  /**
   * The request that failed transiently — getting a token (`auth-retry`), CONNECT
   * (`connect-retry`), the survey mode (`ending.survey-mode-retry`, `ending.survey-unavailable`)
   * — again now, instead of after its backoff.
   */
  | { type: 'request.retry' }
  /** Deprecated: the old name of `request.retry` (see `DeprecatedRetryEvent`). */
  | DeprecatedRetryEvent
  /** The browser went offline / online (`bindBrowserConnectivity` sends these). */
  | { type: 'connection.offline' }
  | { type: 'connection.online' }
  /** The page was hidden / shown (visibilitychange). */
  | { type: 'page.hidden' }
  | { type: 'page.visible' }
  /**
   * Send once after restoring a persisted snapshot (createChatSession does it for you):
   * XState does not persist pending delayed transitions, so the states that wait on a timer
   * (connect-retry, typing, suggestion debounce) move on instead of waiting forever.
   */
  | { type: 'session.resumed' };

/**
 * What the sendMessage worker answers for a CHAT that was accepted (the actor contracts in
 * chatSession.contracts.ts use it; it lives here because `message.sent` carries it).
 */
export interface SendMessageOutput extends ResultInfo {
  localId: string;
}

/** Events the machine's own actors send back. */
export type ChatActorEvent =
  | { type: 'poll.messages'; messages: DownlinkMessage[] }
  | { type: 'poll.error'; error: AiccErrorInfo; failures: number }
  | { type: 'poll.failed'; error: AiccErrorInfo }
  /**
   * The poll loop found the session gone (queryQueueInfo: no such session) and no DISCONNECT in
   * what followed: `messages` ends with the DISCONNECT that must have been lost (key `lost-disconnect:…`).
   */
  | { type: 'session.lost'; messages: DownlinkMessage[] }
  /**
   * The poll loop's liveness check answered "no such session" while no DISCONNECT has come yet
   * (it waits a while for it before `session.lost`). `lost` is the DISCONNECT it would report:
   * a customer who ends meanwhile did not end first (chatSession.machine.ts, `chat.end`).
   */
  | { type: 'session.gone'; lost: DisconnectDownlink }
  | { type: 'queue.updated'; info: QueueInfo }
  | { type: 'queue.served' }
  | { type: 'queue.ended'; resultCode: string }
  /** The sendMessage worker: the CHAT it was told to send was accepted (`output.localId`: which). */
  | { type: 'message.sent'; output: SendMessageOutput }
  /** The sendMessage worker: that CHAT failed (refused, or no answer: `sendFailure(error)` says which). */
  | { type: 'message.sendFailed'; localId: string; error: AiccErrorInfo }
  | { type: 'upload.ready' }
  /** Throttled by the client (every 100 ms or 5 % at most), always ending with loaded === total. */
  | { type: 'upload.progress'; localId: string; loaded: number; total: number }
  | { type: 'upload.done'; localId: string; objectKey: string }
  | { type: 'upload.failed'; localId: string; error: AiccErrorInfo }
  | { type: 'download.ready' }
  | { type: 'download.done'; key: string; bytes: Uint8Array; fileType: string; fileUrl: string | null }
  | { type: 'download.failed'; key: string; error: AiccErrorInfo };

/** Raised by the machine itself: resend now what is waiting for an automatic resend. */
export type ChatInternalEvent = { type: 'outbox.flush' };

/**
 * What createChatSession's `send` delivers instead of a value it refuses (see 'invalid-event'):
 * the machine stores `error` in `context.error` and changes nothing else.
 */
export type ChatRejectedEvent = { type: 'event.rejected'; error: ChatInputError };

export type ChatSessionEvent = ChatUserEvent | ChatActorEvent | ChatInternalEvent | ChatRejectedEvent;

/** Emitted to `actor.on(...)` listeners (not JSON: carries bytes). */
export type ChatSessionEmitted = {
  type: 'file.downloaded';
  key: string;
  bytes: Uint8Array;
  fileType: string;
  fileUrl: string | null;
};

export type { ResultInfo, HistoryMessage, DownlinkMessage, QueueMetrics, SurveyMode, FileRef, BinaryInput, UploadProgress };
