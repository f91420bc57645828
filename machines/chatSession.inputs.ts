/**
 * The input of every invoked actor, each a small pure function of the context named after the
 * actor it feeds (`<actor>Input`), and what the poll loop is told when connectivity changes. The
 * config names them (XState has no named form for invoke `input`).
 */
import type {
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
} from './chatSession.contracts.js';
import type { ChatSessionContext } from './chatSession.types.js';
import { latestIncomingTimestamp, outboxHead } from './chatSession.selectors.js';

type Args = { context: ChatSessionContext };

function uplinkParty(context: ChatSessionContext): UplinkParty {
  return { userId: context.identity.userId, channelId: context.identity.channelId, nickname: context.identity.nickname ?? null };
}

/** The uplink party plus more fields, assigned, not spread-then-add (docs/performance.md, "No spread followed by new keys"). */
function uplinkPartyWith<T extends object>(context: ChatSessionContext, more: T): UplinkParty & T {
  return Object.assign(uplinkParty(context), more);
}

export function loadHistoryInput({ context }: Args): LoadHistoryInput {
  return { userId: context.identity.userId, channelId: context.identity.channelId, limit: context.config.historyLimit };
}

export function connectInput({ context }: Args): ConnectInput {
  return uplinkPartyWith(context, { via: context.config.connectVia, isNeedRead: context.config.isNeedRead, lostSince: context.bookkeeping.connectAnswerLostAt ?? null });
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
  return uplinkPartyWith(context, {
    localId: head?.localId ?? '',
    mediaType: head?.mediaType ?? 'TEXT',
    content: head?.content ?? '',
    timestamp: head?.timestamp ?? 0,
  });
}

export function sendTypingInput({ context }: Args): SendTypingInput {
  return uplinkParty(context);
}

export function requestAgentInput({ context }: Args): RequestAgentInput {
  return uplinkParty(context);
}

export function sendReadReceiptInput({ context }: Args): ReadReceiptInput {
  return uplinkPartyWith(context, { messageIds: context.bookkeeping.unreadAgentKeys.slice() });
}

export function suggestPhrasesInput({ context }: Args): SuggestPhrasesInput {
  return { text: context.compose.draft, locale: context.identity.locale };
}

export function fetchSurveyModeInput({ context }: Args): FetchSurveyModeInput {
  return { language: context.identity.locale };
}

export function submitAgentSurveyInput({ context }: Args): SubmitAgentSurveyInput {
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

export function submitRobotFeedbackInput({ context }: Args): SubmitRobotFeedbackInput {
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
  if (connectedAt === null) return uplinkParty(context);
  const input: DisconnectInput = uplinkPartyWith(context, { since: latestIncomingTimestamp(context), connectedAt });
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
