/**
 * The machine's `context` and `output`, and the defaults and limits the context starts from
 * (`DEFAULT_TIMING`, the history page size, the upload limit). The config names `createInitialContext`
 * and `sessionOutput` (XState has no named form for them).
 */
import { DEFAULT_HISTORY_LIMIT, DEFAULT_UPLOAD_MAX_BYTES } from '../src/client/protocol.js';
import type { ChatSessionContext, ChatSessionInput, ChatSessionOutput, ChatTiming } from './chatSession.types.js';
import { emptyTranscript, transcriptEntries } from './chatSession.transcript.js';

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

/** The machine's defaults are the client's (one source: src/client/protocol.ts). */
export { DEFAULT_HISTORY_LIMIT, DEFAULT_UPLOAD_MAX_BYTES as DEFAULT_MAX_UPLOAD_BYTES };

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
      maxUploadBytes: finite(input.maxUploadBytes, DEFAULT_UPLOAD_MAX_BYTES) || DEFAULT_UPLOAD_MAX_BYTES,
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
