/**
 * Guards of the chat-session machine: yes/no questions about the context and the event,
 * referenced by name in the config. Guards on `onDone` / `onError` read the actor's output or
 * error through `outputOf` / `errorOf` (those events are not part of the declared event union).
 */
import { isTransientFailure, sendFailure, toErrorInfo, type AiccErrorInfo } from '../src/client/errors.js';
import type { DownlinkMessage, SurveyMode } from '../src/client/types.js';
import type { ChatSessionContext, ChatSessionEvent } from './chatSession.types.js';
import { outboxHead } from './chatSession.selectors.js';
import {
  validateAgentRequest,
  validateAgentSurvey,
  validateDownload,
  validateFile,
  validateLeaveMessage,
  validateRetry,
  validateRobotSurvey,
  validateText,
} from './chatSession.validation.js';

export interface GuardArgs {
  context: ChatSessionContext;
  event: ChatSessionEvent;
}

/** The `output` of an `xstate.done.actor.*` event, as the actor's contract says (unchecked: read fields defensively). */
export function outputOf<TOutput = unknown>(event: { type: string }): TOutput | undefined {
  return (event as { output?: TOutput }).output;
}

/** The `error` of an `xstate.error.actor.*` event, as AiccErrorInfo. */
export function errorOf(event: { type: string }): AiccErrorInfo {
  return toErrorInfo((event as { error?: unknown }).error);
}

function pollMessages(event: ChatSessionEvent): readonly DownlinkMessage[] {
  return event.type === 'poll.messages' && Array.isArray(event.messages) ? event.messages : [];
}

/** Transient failures worth another CONNECT: no answer, a timeout, an HTTP error, garbage. */
const TRANSIENT_KINDS: ReadonlySet<string> = new Set(['network', 'timeout', 'http', 'protocol', 'aborted']);

export const guards = {
  shouldLoadHistory: ({ context }: GuardArgs) => context.config.loadHistory,

  /** CONNECT succeeded and the answer says a robot took it (`connect to robot successfully`). */
  isRobotAnswer: ({ event }: GuardArgs) => {
    const output = outputOf(event) as { resultDesc?: unknown } | undefined;
    return typeof output?.resultDesc === 'string' && /robot/i.test(output.resultDesc);
  },

  /** resultCode 12: outside the agents' working hours. */
  isAfterHours: ({ event }: GuardArgs) => {
    const error = errorOf(event);
    return error.kind === 'business' && error.resultCode === '12';
  },

  /** The server answered and refused (13, CCUCS codes, ...). */
  isBusinessError: ({ event }: GuardArgs) => errorOf(event).kind === 'business',

  canRetryConnect: ({ context, event }: GuardArgs) =>
    TRANSIENT_KINDS.has(errorOf(event).kind) && context.bookkeeping.connectAttempts < context.config.timing.connectRetries,

  /** Getting a token failed without a refusal (no answer, 5xx, 429, flow control) and retries are left. */
  canRetryAuth: ({ context, event }: GuardArgs) =>
    isTransientFailure(errorOf(event)) && (context.bookkeeping.authAttempts ?? 0) < context.config.timing.authRetries,

  /** getsatisfactionsurveymode failed transiently and retries are left. */
  canRetrySurveyMode: ({ context, event }: GuardArgs) =>
    isTransientFailure(errorOf(event)) && (context.bookkeeping.surveyModeAttempts ?? 0) < context.config.timing.surveyModeRetries,

  isValidText: ({ event }: GuardArgs) => validateText(event) === null,
  isValidFile: ({ context, event }: GuardArgs) => validateFile(context, event) === null,
  isRetryableMessage: ({ context, event }: GuardArgs) => validateRetry(context, event) === null,
  isDownloadable: ({ context, event }: GuardArgs) => validateDownload(context, event) === null,
  isValidAgentSurvey: ({ context, event }: GuardArgs) => validateAgentSurvey(context, event) === null,
  isValidRobotSurvey: ({ event }: GuardArgs) => validateRobotSurvey(event) === null,
  isValidLeaveMessage: ({ event }: GuardArgs) => validateLeaveMessage(event) === null,

  /** The head of the outbox is ready to go (not still uploading) and the browser is online. */
  hasSendableMessage: ({ context }: GuardArgs) => context.connection.online && outboxHead(context)?.status === 'queued',

  /** A valid text that can go on the wire at once: online, nothing queued before it (an idle outbox). */
  canSendTextAtOnce: ({ context, event }: GuardArgs) => context.connection.online && context.outbox.length === 0 && validateText(event) === null,

  /** The send certainly did not arrive (refused, 429, 503) and resends are left. */
  isResendable: ({ context, event }: GuardArgs) =>
    sendFailure(errorOf(event)) === 'resend' && (outboxHead(context)?.resends ?? 0) < context.config.timing.sendRetries,

  isServedByRobot: ({ context }: GuardArgs) => validateAgentRequest(context) === null,

  /**
   * A send answered 13 "… session keep touch failed." (TRANS2AGENT documents it: the robot
   * session is no longer valid; a CHAT to a lost robot session answers alike).
   */
  isSessionGone: ({ event }: GuardArgs) => {
    const error = errorOf(event);
    return error.kind === 'business' && error.resultCode === '13' && /session keep touch failed/i.test(error.resultDesc ?? '');
  },

  /** Typing notices go to agents only, and only for real text. */
  shouldSendTyping: ({ context, event }: GuardArgs) =>
    context.servedBy === 'agent' && event.type === 'input.change' && typeof event.text === 'string' && event.text.trim() !== '',

  isBlankInput: ({ event }: GuardArgs) => event.type !== 'input.change' || typeof event.text !== 'string' || event.text.trim() === '',

  hasDraft: ({ context }: GuardArgs) => context.compose.draft.trim() !== '',

  hasUnreadAgentMessages: ({ context }: GuardArgs) => context.bookkeeping.unreadAgentKeys.length > 0,

  /** DISCONNECT before being served, and the customer may leave a message (queue timeout). */
  hasOfflineDisconnect: ({ event }: GuardArgs) =>
    pollMessages(event).some((m) => m.controlType === 'DISCONNECT' && m.isOfflineStatus),

  /** The agent ended the chat. */
  hasAgentDisconnect: ({ event }: GuardArgs) =>
    pollMessages(event).some((m) => m.controlType === 'DISCONNECT' && m.sourceType === 'AGENT'),

  /** Any other DISCONNECT (SYSTEM release or timeout, ROBOT). */
  hasServerDisconnect: ({ event }: GuardArgs) => pollMessages(event).some((m) => m.controlType === 'DISCONNECT'),

  hasAgentMessage: ({ event }: GuardArgs) =>
    pollMessages(event).some((m) => m.controlType === 'CHAT' && m.sourceType === 'AGENT'),

  /** A robot answers (and the customer is not waiting for an agent after a transfer). */
  hasRobotMessage: ({ context, event }: GuardArgs) =>
    !context.bookkeeping.awaitingAgent && pollMessages(event).some((m) => m.controlType === 'CHAT' && m.sourceType === 'ROBOT'),

  /**
   * Someone served the customer and can still be rated. A customer who gave up in the queue after
   * a transfer has neither: the robot session is gone (feedbacksatisfaction → 30000000019) and no
   * agent answered, so there is no survey and DISCONNECT goes out at once (leaving the queue).
   */
  /** The poll loop's liveness check said the server no longer has the session (session.gone). */
  hasServerGone: ({ context }: GuardArgs) => (context.bookkeeping.serverGone ?? null) !== null,

  hasPartyToRate: ({ context }: GuardArgs) =>
    context.servedBy !== null && !context.bookkeeping.awaitingAgent && context.bookkeeping.sessionLost !== true,

  /** A WEB survey and an agent to rate. */
  isAgentSurvey: ({ context, event }: GuardArgs) =>
    (outputOf(event) as SurveyMode | undefined)?.surveyType === 'WEB' && context.servedBy === 'agent',

  /** A WEB survey, a robot to rate, and the interIdx feedbacksatisfaction needs. */
  isRobotSurvey: ({ context, event }: GuardArgs) =>
    (outputOf(event) as SurveyMode | undefined)?.surveyType === 'WEB' && context.servedBy === 'robot' && context.bookkeeping.lastInterIdx !== null,
} as const;

export type ChatSessionGuardName = keyof typeof guards;
