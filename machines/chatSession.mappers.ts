/**
 * Data mappers of the chat-session machine: the initial context, the input of every invoked
 * actor, the final output and the delay functions. XState has no named form for invoke
 * `input`, machine `context` and `output`, so these are the only function references in the
 * config literal; each is a small pure function of the context, named after what it feeds.
 */
import type {
  ChatSessionContext,
  ChatSessionInput,
  ChatSessionOutput,
  ChatTiming,
  ConnectInput,
  DisconnectInput,
  FetchSurveyModeInput,
  LeaveMessageActorInput,
  LoadHistoryInput,
  PollLoopEvent,
  PollLoopInput,
  ReadReceiptInput,
  RequestAgentInput,
  SendMessageInput,
  SendTypingInput,
  SubmitAgentSurveyInput,
  SubmitRobotFeedbackInput,
  SuggestPhrasesInput,
  UplinkParty,
  WatchQueueInput,
} from './chatSession.types.js';
import { outboxHead } from './chatSession.updates.js';
import { emptyTranscript, transcriptEntries } from './chatSession.transcript.js';
import { fnv1a32 } from '../src/client/hash.js';

export const DEFAULT_TIMING: Readonly<ChatTiming> = Object.freeze({
  queueIntervalMs: 3000,
  pollBackoffBaseMs: 1000,
  pollBackoffMaxMs: 30000,
  maxPollFailures: 6,
  pollGiveUpMs: 60000,
  pollMinIntervalMs: 500,
  typingThrottleMs: 3000,
  suggestionDebounceMs: 300,
  authRetries: 6,
  authRetryBaseMs: 1000,
  authRetryMaxMs: 15000,
  surveyModeRetries: 3,
  surveyModeRetryBaseMs: 500,
  surveyModeRetryMaxMs: 4000,
  connectRetries: 3,
  connectRetryBaseMs: 1000,
  connectRetryMaxMs: 8000,
  sendRetries: 6,
  sendRetryBaseMs: 500,
  sendRetryMaxMs: 8000,
  hiddenPollDelayMs: 0,
  pollStaleMs: 7000,
});

export const DEFAULT_HISTORY_LIMIT = 50;
export const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 * 1024;

type Args = { context: ChatSessionContext };

function finite(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

export function resolveTiming(timing: Partial<ChatTiming> | undefined): ChatTiming {
  const resolved = { ...DEFAULT_TIMING };
  for (const key of Object.keys(DEFAULT_TIMING) as (keyof ChatTiming)[]) {
    resolved[key] = finite(timing?.[key], DEFAULT_TIMING[key]);
  }
  return resolved;
}

/** `context` of the machine. */
export function createInitialContext({ input }: { input: ChatSessionInput }): ChatSessionContext {
  const { identity } = input;
  return {
    identity: {
      userId: identity.userId,
      userName: identity.userName,
      channelId: identity.channelId,
      locale: identity.locale,
      nickname: identity.nickname ?? null,
    },
    config: {
      connectVia: input.connectVia === 'sendAsync' ? 'sendAsync' : 'send',
      loadHistory: input.loadHistory === true,
      historyLimit: finite(input.historyLimit, DEFAULT_HISTORY_LIMIT) || DEFAULT_HISTORY_LIMIT,
      isNeedRead: input.isNeedRead === true,
      maxUploadBytes: finite(input.maxUploadBytes, DEFAULT_MAX_UPLOAD_BYTES) || DEFAULT_MAX_UPLOAD_BYTES,
      timing: resolveTiming(input.timing),
    },
    transcript: emptyTranscript(),
    transcriptIndex: {},
    outbox: [],
    downloads: {},
    queue: null,
    servedBy: null,
    agentNickname: null,
    connection: { pollFailures: 0, lastPollError: null, online: true, pageVisible: true },
    serverDisconnect: null,
    survey: { offer: null, answer: null, submitted: false },
    leaveMessage: null,
    compose: { draft: '', suggestions: [] },
    error: null,
    endReason: null,
    bookkeeping: {
      lastOutgoingTimestamp: 0,
      unreadAgentKeys: [],
      awaitingAgent: false,
      lastInterIdx: null,
      connectAttempts: 0,
      authAttempts: 0,
      surveyModeAttempts: 0,
      connectConfirmed: false,
      sessionLost: false,
      connectedAt: null,
      connectAttemptAt: null,
      connectAnswerLostAt: null,
    },
  };
}

/** `output` of the machine (the final `disconnected` state). */
export function sessionOutput({ context }: Args): ChatSessionOutput {
  return {
    endReason: context.endReason ?? 'customer-ended',
    transcript: transcriptEntries(context.transcript),
    servedBy: context.servedBy,
    agentNickname: context.agentNickname,
    surveySubmitted: context.survey.submitted,
    serverDisconnect: context.serverDisconnect,
    error: context.error,
  };
}

function party(context: ChatSessionContext): UplinkParty {
  return { userId: context.identity.userId, channelId: context.identity.channelId, nickname: context.identity.nickname ?? null };
}

/** The party plus more fields, assigned (an object spread followed by new keys is slow in Node 20: updates.ts). */
function partyWith<T extends object>(context: ChatSessionContext, more: T): UplinkParty & T {
  return Object.assign(party(context), more);
}

export function loadHistoryInput({ context }: Args): LoadHistoryInput {
  return { userId: context.identity.userId, channelId: context.identity.channelId, limit: context.config.historyLimit };
}

export function connectInput({ context }: Args): ConnectInput {
  return partyWith(context, { via: context.config.connectVia, isNeedRead: context.config.isNeedRead, lostSince: context.bookkeeping.connectAnswerLostAt ?? null });
}

export function pollLoopInput({ context }: Args): PollLoopInput {
  const { timing } = context.config;
  return {
    userId: context.identity.userId,
    channelId: context.identity.channelId,
    isNeedRead: context.config.isNeedRead,
    backoffBaseMs: timing.pollBackoffBaseMs,
    backoffMaxMs: timing.pollBackoffMaxMs,
    maxFailures: Math.max(1, timing.maxPollFailures),
    minIntervalMs: timing.pollMinIntervalMs,
    hiddenDelayMs: timing.hiddenPollDelayMs,
    staleMs: timing.pollStaleMs,
    giveUpMs: timing.pollGiveUpMs,
    reportFirstAnswer: context.bookkeeping.connectConfirmed !== true,
    since: latestIncomingTimestamp(context),
    connectedAt: context.bookkeeping.connectedAt,
    // A lost CONNECT answer may have come with a lost first poll: catch up before polling.
    resumed: (context.bookkeeping.connectAnswerLostAt ?? null) !== null,
    servedBy: context.servedBy,
    online: context.connection.online,
    visible: context.connection.pageVisible,
  };
}

/** Server timestamp of the newest incoming message (0 when none). */
export function latestIncomingTimestamp(context: ChatSessionContext): number {
  let latest = 0;
  for (const chunk of context.transcript.chunks) {
    for (const entry of chunk) if (entry.kind === 'incoming' && entry.message.timestamp > latest) latest = entry.message.timestamp;
  }
  return latest;
}

/** What the poll loop needs to know when connectivity or visibility changes. */
export function connectivityNotice({ context }: Args): PollLoopEvent {
  return { type: 'connectivity', online: context.connection.online, visible: context.connection.pageVisible };
}

export function watchQueueInput({ context }: Args): WatchQueueInput {
  const input: WatchQueueInput = { userId: context.identity.userId, channelId: context.identity.channelId, intervalMs: context.config.timing.queueIntervalMs };
  if (context.bookkeeping.connectConfirmed === false) input.awaitConfirmation = true;
  return input;
}

export function sendMessageInput({ context }: Args): SendMessageInput {
  const head = outboxHead(context);
  return partyWith(context, {
    localId: head?.localId ?? '',
    mediaType: head?.mediaType ?? 'TEXT',
    content: head?.content ?? '',
    timestamp: head?.timestamp ?? 0,
  });
}

export function sendTypingInput({ context }: Args): SendTypingInput {
  return party(context);
}

export function requestAgentInput({ context }: Args): RequestAgentInput {
  return party(context);
}

export function readReceiptInput({ context }: Args): ReadReceiptInput {
  return partyWith(context, { messageIds: context.bookkeeping.unreadAgentKeys.slice() });
}

export function suggestPhrasesInput({ context }: Args): SuggestPhrasesInput {
  return { text: context.compose.draft, locale: context.identity.locale };
}

export function fetchSurveyModeInput({ context }: Args): FetchSurveyModeInput {
  return { language: context.identity.locale };
}

export function agentSurveyInput({ context }: Args): SubmitAgentSurveyInput {
  const answer = context.survey.answer;
  const input: SubmitAgentSurveyInput = {
    userId: context.identity.userId,
    channelId: context.identity.channelId,
    evaluation: answer && 'evaluation' in answer ? answer.evaluation : '',
  };
  if (answer && 'evaluation' in answer) {
    if (answer.comment !== undefined) input.comment = answer.comment;
    if (answer.npsScore !== undefined) input.npsScore = answer.npsScore;
    if (answer.fcr !== undefined) input.fcr = answer.fcr;
  }
  return input;
}

export function robotFeedbackInput({ context }: Args): SubmitRobotFeedbackInput {
  const answer = context.survey.answer;
  const input: SubmitRobotFeedbackInput = {
    userId: context.identity.userId,
    interIdx: context.bookkeeping.lastInterIdx ?? '',
    satisfied: answer && 'satisfied' in answer ? answer.satisfied : true,
  };
  if (answer && 'satisfied' in answer && answer.comment !== undefined) input.comment = answer.comment;
  return input;
}

export function disconnectInput({ context }: Args): DisconnectInput {
  // Only a session that was (or may have been: a CONNECT answer was lost) connected has anything to catch up on.
  const connectedAt = context.bookkeeping.connectedAt ?? context.bookkeeping.connectAnswerLostAt ?? null;
  if (connectedAt === null) return party(context);
  const input: DisconnectInput = partyWith(context, { since: latestIncomingTimestamp(context), connectedAt });
  if (context.endReason === 'network-lost') input.bestEffort = true;
  return input;
}

export function leaveMessageInput({ context }: Args): LeaveMessageActorInput {
  return {
    userId: context.identity.userId,
    caller: context.leaveMessage?.caller ?? '',
    message: context.leaveMessage?.message ?? '',
  };
}

// ---------------------------------------------------------------------------------------------
// Delays (referenced by name in the config)

/** base * 2^(n-1) for the n-th retry (1-based), capped, times `jitter` in [0.5, 1). */
function backoff(n: number, baseMs: number, maxMs: number, jitter: number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, n - 1), 30));
  return Math.floor(ceiling * (0.5 + 0.5 * jitter));
}

/**
 * Auth retry n: backoff with a jitter derived from the user and n, so sessions that failed
 * together (one shared token fetch) do not retry in lockstep while the machine stays deterministic.
 */
export function authRetryDelay({ context }: Args): number {
  const { authRetryBaseMs, authRetryMaxMs } = context.config.timing;
  const n = context.bookkeeping.authAttempts;
  return backoff(n, authRetryBaseMs, authRetryMaxMs, unitHash(`${context.identity.userId}:auth:${n}`));
}

/** getsatisfactionsurveymode retry n: as authRetryDelay. */
export function surveyModeRetryDelay({ context }: Args): number {
  const { surveyModeRetryBaseMs, surveyModeRetryMaxMs } = context.config.timing;
  const n = context.bookkeeping.surveyModeAttempts;
  return backoff(n, surveyModeRetryBaseMs, surveyModeRetryMaxMs, unitHash(`${context.identity.userId}:survey:${n}`));
}

/** CONNECT retry n (1-based): base * 2^(n-1), capped. */
export function connectRetryDelay({ context }: Args): number {
  const { connectRetryBaseMs, connectRetryMaxMs } = context.config.timing;
  const exponent = Math.max(0, context.bookkeeping.connectAttempts - 1);
  return Math.min(connectRetryMaxMs, connectRetryBaseMs * 2 ** exponent);
}

/**
 * Automatic resend n (1-based, `resends` of the head): base * 2^(n-1), capped, scaled by a
 * jitter in [0.5, 1) derived from the message id, so sessions that lost the network together
 * do not resend in lockstep while the machine stays deterministic.
 */
export function sendRetryDelay({ context }: Args): number {
  const { sendRetryBaseMs, sendRetryMaxMs } = context.config.timing;
  const head = outboxHead(context);
  const n = Math.max(1, head?.resends ?? 1);
  return backoff(n, sendRetryBaseMs, sendRetryMaxMs, unitHash(`${head?.localId ?? ''}:${n}`));
}

/** A stable number in [0, 1) from a string. */
function unitHash(text: string): number {
  return fnv1a32(text) / 4294967296;
}

export function suggestionDebounce({ context }: Args): number {
  return context.config.timing.suggestionDebounceMs;
}

export function typingThrottle({ context }: Args): number {
  return context.config.timing.typingThrottleMs;
}
