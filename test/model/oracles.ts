/**
 * What each event variant must lead to, written down from docs/statechart.md, independently of
 * the machine. The model IS the shipped machine, so on its own it cannot tell a wrong target or
 * a wrong guard in the machine from a right one: the real actor would follow the same wrong
 * branch. These expectations are checked against the real actor after every step (runner.ts),
 * next to the checks against the simulator; a variant without an entry here is checked against
 * the model and the simulator only.
 */
import type { EndReason } from '../../machines/chatSession.types.js';
import type { MachineSnapshot } from './types.js';

export interface Oracle {
  /** Partial state values the real actor must match after the step (all of them). */
  in?: unknown | unknown[];
  endReason?: EndReason | null;
  /** `input:<ChatInputError code>`, `aicc:<kind>[:<resultCode>]`, or null. */
  error?: string | null;
  servedBy?: 'robot' | 'agent' | null;
  awaitingAgent?: boolean;
  surveySubmitted?: boolean;
}

const CHATTING = { connected: 'chatting' };
const QUEUING = { connected: 'queuing' };
const FETCHING_SURVEY = { connected: { ending: 'fetching-survey' } };
const RETRIES = (b: MachineSnapshot) => b.context.config.timing.connectRetries;

function is(b: MachineSnapshot, value: unknown): boolean {
  return b.matches(value as Parameters<MachineSnapshot['matches']>[0]);
}

/** A survey is offered only when someone served the customer and can still be rated. */
function afterConversation(b: MachineSnapshot, servedBy = b.context.servedBy, awaitingAgent = b.context.bookkeeping.awaitingAgent): unknown {
  return servedBy !== null && !awaitingAgent ? FETCHING_SURVEY : 'disconnecting';
}

function connectFailed(b: MachineSnapshot, error: string): Oracle {
  return b.context.bookkeeping.connectAttempts < RETRIES(b)
    ? { in: 'connect-retry', error }
    : { in: 'disconnecting', endReason: 'connect-failed', error };
}

export const ORACLES: Readonly<Record<string, (before: MachineSnapshot) => Oracle>> = {
  'authenticate.done': (b) => ({ in: b.context.config.loadHistory ? 'history' : 'connecting' }),
  // A 5xx is transient: retried while authRetries last. A 400 is a refusal: no retry.
  'authenticate.error (HTTP 500)': (b) =>
    b.context.bookkeeping.authAttempts < b.context.config.timing.authRetries
      ? { in: 'auth-retry', error: 'aicc:http' }
      : { in: 'disconnected', endReason: 'auth-failed', error: 'aicc:http' },
  'authenticate.error (refused 400)': () => ({ in: 'disconnected', endReason: 'auth-failed', error: 'aicc:http' }),
  'after authRetryDelay': () => ({ in: 'auth' }),
  'loadHistory.done': () => ({ in: 'connecting', error: null }),
  // Progress is shown, never acted on: the chart stays where it is, errors and all.
  'upload.progress': (b) => ({ in: b.value, endReason: b.context.endReason, servedBy: b.context.servedBy }),
  'loadHistory.error': () => ({ in: 'connecting', error: 'aicc:http' }),
  'chat.end (request held)': (b) =>
    is(b, 'auth') || is(b, 'history')
      ? { in: 'disconnected', endReason: 'customer-ended' }
      : is(b, 'connecting')
        ? { in: 'disconnecting', endReason: 'customer-ended' }
        : { in: 'disconnecting', endReason: b.context.endReason },
  'chat.end': (b) => {
    if (is(b, 'auth-retry')) return { in: 'disconnected', endReason: 'customer-ended' };
    if (is(b, 'connect-retry')) return { in: 'disconnecting', endReason: 'customer-ended' };
    if (is(b, 'leave-message')) return { in: 'disconnected', endReason: b.context.endReason };
    // The server had ended first (session.gone): no survey for a session that is gone.
    if (is(b, CHATTING) && (b.context.bookkeeping.serverGone ?? null) !== null) return { in: 'disconnecting', endReason: 'session-released' };
    if (is(b, QUEUING) || is(b, CHATTING)) return { in: afterConversation(b), endReason: 'customer-ended' };
    return { in: 'disconnecting', endReason: b.context.endReason };
  },

  'connect.done (robot)': () => ({ in: CHATTING, servedBy: 'robot', error: null }),
  'connect.done (agent queue)': () => ({ in: QUEUING, servedBy: null, error: null }),
  // What the poll confirming a lost CONNECT found is read like any poll answer: here the end.
  'connect.done (answer lost; the probe finds the server ended)': () => ({ in: 'disconnecting', endReason: 'session-released', servedBy: null, error: null }),
  'connect.done (sendAsync accepted)': () => ({ in: QUEUING, servedBy: null }),
  'connect.error (after hours)': () => ({ in: { 'leave-message': 'form' }, endReason: 'after-hours', error: 'aicc:business:12' }),
  'connect.error (refused 13)': () => ({ in: { 'leave-message': 'form' }, endReason: 'connect-failed', error: 'aicc:business:13' }),
  'connect.error (HTTP 500)': (b) => connectFailed(b, 'aicc:http'),
  'connect.error (connection reset)': (b) => connectFailed(b, 'aicc:network'),
  'request.retry': (b) => {
    if (is(b, 'auth-retry')) return { in: 'auth' };
    if (is(b, { connected: { ending: 'survey-unavailable' } }) || is(b, { connected: { ending: 'survey-mode-retry' } })) return { in: FETCHING_SURVEY };
    return { in: 'connecting' };
  },
  'after connectRetryDelay': () => ({ in: 'connecting' }),
  'session.resumed': (b) => {
    if (is(b, 'connect-retry')) return { in: 'connecting' };
    if (is(b, 'auth-retry')) return { in: 'auth' };
    if (is(b, { connected: { ending: 'survey-mode-retry' } })) return { in: FETCHING_SURVEY };
    const idle: unknown[] = [];
    if (is(b, { connected: { chatting: { suggestions: 'debouncing' } } })) idle.push({ connected: { chatting: { suggestions: 'idle' } } });
    if (is(b, { connected: { chatting: { typing: 'throttled' } } })) idle.push({ connected: { chatting: { typing: 'idle' } } });
    // A resend waiting on its (lost) timer goes out at once.
    if (is(b, { connected: { chatting: { outbox: 'resending' } } })) idle.push({ connected: { chatting: { outbox: b.context.connection.online ? 'sending' : 'idle' } } });
    return { in: idle };
  },

  'leaveMessage.submit (valid)': () => ({ in: { 'leave-message': 'submitting' } }),
  'leaveMessage.submit (no caller)': () => ({ in: { 'leave-message': 'form' }, error: 'input:invalid-caller' }),
  'leaveMessage.skip': (b) => ({ in: 'disconnected', endReason: b.context.endReason }),
  'leaveMessage.done': () => ({ in: 'disconnected', endReason: 'message-left', error: null }),
  'leaveMessage.error': () => ({ in: { 'leave-message': 'form' }, error: 'aicc:http' }),
  'disconnect.done': () => ({ in: 'disconnected' }),
  'disconnect.error': () => ({ in: 'disconnected' }),

  'queue.updated (tick)': () => ({ in: QUEUING }),
  'queue.updated (queue moves)': () => ({ in: QUEUING }),
  'queue.updated (after a failed queue query)': () => ({ in: QUEUING }),
  'queue.served': () => ({ in: CHATTING, servedBy: 'agent', awaitingAgent: false }),
  'queue.ended (session released)': (b) => ({ in: afterConversation(b), endReason: 'session-released' }),
  'poll.messages:offline-disconnect': () => ({ in: 'leave-message', endReason: 'session-released' }),
  'poll.messages:served-and-ended': (b) => ({ in: afterConversation(b, 'agent', false), endReason: 'agent-ended', servedBy: 'agent' }),
  'poll.messages:served-and-released': (b) => ({ in: afterConversation(b, 'agent', false), endReason: 'session-released', servedBy: 'agent' }),
  'poll.messages:system-disconnect': (b) => ({ in: afterConversation(b), endReason: 'session-released' }),
  'poll.messages:served': () => ({ in: CHATTING, servedBy: 'agent', awaitingAgent: false }),
  'poll.messages:agent-ends': (b) => ({ in: afterConversation(b), endReason: 'agent-ended' }),
  'poll.messages:robot-greeting': (b) => ({ in: CHATTING, servedBy: b.context.bookkeeping.awaitingAgent ? b.context.servedBy : b.context.servedBy ?? 'robot' }),
  'poll.messages:agent-greeting': () => ({ in: CHATTING, servedBy: 'agent' }),
  'poll.messages:transfer-notice': () => ({ in: QUEUING, awaitingAgent: true }),
  // Given up on the network: DISCONNECT still goes out (best effort), so no agent waits for a ghost.
  'poll.failed': () => ({ in: 'disconnecting', endReason: 'network-lost', error: 'aicc:network' }),
  'poll.error (agent DISCONNECT lost in transit)': (b) => ({ in: b.value, endReason: b.context.endReason }),
  'poll.error (agent DISCONNECT lost, liveness unanswered)': (b) => ({ in: b.value, endReason: b.context.endReason }),
  'poll.error (agent DISCONNECT lost, unconfirmed)': (b) => ({ in: b.value, endReason: b.context.endReason }),
  'session.gone': (b) => ({ in: b.value, endReason: b.context.endReason }),
  // The session is gone at the server: nobody is left to rate, so no survey.
  'session.lost': () => ({ in: 'disconnecting', endReason: 'session-released' }),

  'sendMessage.error (refused: resent later)': () => ({ in: { connected: { chatting: { outbox: 'resending' } } } }),
  'after sendRetryDelay': (b) => ({ in: { connected: { chatting: { outbox: b.context.connection.online ? 'sending' : 'idle' } } } }),
  'connection.offline': (b) => ({ in: b.value }),
  'connection.offline (not connected)': (b) => ({ in: b.value }),
  'connection.online': (b) => (is(b, { connected: { chatting: { outbox: 'resending' } } }) ? { in: { connected: { chatting: { outbox: 'sending' } } } } : {}),
  'page.hidden': (b) => ({ in: b.value }),
  'page.visible': (b) => ({ in: b.value }),
  'message.send (blank)': () => ({ error: 'input:empty-text' }),
  'message.send (text)': () => ({ error: null }),
  'message.retry (unknown key)': () => ({ error: 'input:unknown-message' }),
  'event.rejected (send(null))': (b) => ({ in: b.value, error: 'input:invalid-event' }),
  'message.retry (failed message)': () => ({ error: null }),
  'file.send (unsupported type)': () => ({ error: 'input:unsupported-file-type' }),
  'file.download (unknown key)': () => ({ error: 'input:unknown-message' }),
  'agent.request': (b) =>
    b.context.servedBy === 'robot' && !b.context.bookkeeping.awaitingAgent
      ? { in: { connected: { chatting: { transfer: 'requesting' } } }, error: null }
      : { in: { connected: { chatting: { transfer: 'idle' } } }, error: 'input:not-served-by-robot' },
  'requestAgent.done': () => ({ in: QUEUING, awaitingAgent: true }),
  'requestAgent.error (session gone)': () => ({ in: 'disconnecting', endReason: 'session-released', error: 'aicc:business:13' }),
  'sendMessage.error (session gone)': () => ({ in: 'disconnecting', endReason: 'session-released', error: 'aicc:business:13' }),
  'requestAgent.error (no agents)': () => ({ in: { connected: { chatting: { transfer: 'idle' } } }, error: 'aicc:business:13' }),
  'input.change (text)': (b) => ({
    in: [
      { connected: { chatting: { suggestions: 'debouncing' } } },
      { connected: { chatting: { typing: b.context.servedBy === 'agent' ? 'throttled' : (b.value as { connected: { chatting: { typing: string } } }).connected.chatting.typing } } },
    ],
  }),
  'input.change (cleared)': () => ({ in: { connected: { chatting: { suggestions: 'idle' } } } }),
  'after suggestionDebounce': (b) => ({ in: { connected: { chatting: { suggestions: b.context.compose.draft.trim() !== '' ? 'fetching' : 'idle' } } } }),
  'after typingThrottle': () => ({ in: { connected: { chatting: { typing: 'idle' } } } }),
  'messages.markRead': () => ({ in: { connected: { chatting: { receipts: 'sending' } } } }),
  'messages.markRead (nothing unread)': () => ({ in: { connected: { chatting: { receipts: 'idle' } } } }),
  'sendReadReceipt.done': () => ({ in: { connected: { chatting: { receipts: 'idle' } } } }),
  'sendReadReceipt.error': () => ({ in: { connected: { chatting: { receipts: 'idle' } } } }),
  'suggestPhrases.done': () => ({ in: { connected: { chatting: { suggestions: 'idle' } } } }),
  'suggestPhrases.error (no robot on the channel)': () => ({ in: { connected: { chatting: { suggestions: 'idle' } } } }),
  'sendTyping.done': () => ({ in: { connected: { chatting: { typing: 'throttled' } } } }),
  'sendTyping.error': () => ({ in: { connected: { chatting: { typing: 'throttled' } } } }),
  'file.send (image)': () => ({ error: null }),
  'file.send (too large for the server)': () => ({ error: null }),
  'file.download (received file)': () => ({ error: null }),
  'poll.messages:robot-says': () => ({ in: CHATTING, servedBy: 'robot' }),
  'poll.messages:robot-says (token rotated)': () => ({ in: CHATTING, servedBy: 'robot' }),
  'poll.messages:agent-says': () => ({ in: CHATTING, servedBy: 'agent' }),
  'poll.messages:agent-says (token expired)': () => ({ in: CHATTING, servedBy: 'agent' }),
  'poll.messages:agent-sends-file': () => ({ in: CHATTING, servedBy: 'agent' }),
  'poll.messages:agent-read': () => ({ in: CHATTING }),
  'poll.messages:redelivered': () => ({ in: CHATTING }),
  'poll.messages:system-notice': (b) => ({ in: b.value }),
  'poll.messages:recovered': (b) => ({ in: b.value }),
  'poll.error (one failed poll)': (b) => ({ in: b.value, endReason: b.context.endReason }),
  'poll.error (network down)': (b) => ({ in: b.value, endReason: b.context.endReason }),

  'fetchSurveyMode.done (WEB)': (b) => {
    if (b.context.servedBy === 'agent') return { in: { connected: { 'survey-agent': 'form' } } };
    if (b.context.servedBy === 'robot' && b.context.bookkeeping.lastInterIdx !== null) return { in: { connected: { 'survey-robot': 'form' } } };
    return { in: 'disconnecting' };
  },
  'fetchSurveyMode.done (NO)': () => ({ in: 'disconnecting' }),
  // A 5xx is retried while surveyModeRetries last; then, or on a refusal, the UI decides.
  'fetchSurveyMode.error (HTTP 500)': (b) =>
    b.context.bookkeeping.surveyModeAttempts < b.context.config.timing.surveyModeRetries
      ? { in: { connected: { ending: 'survey-mode-retry' } }, error: 'aicc:http' }
      : { in: { connected: { ending: 'survey-unavailable' } }, error: 'aicc:http' },
  'fetchSurveyMode.error (refused 400)': () => ({ in: { connected: { ending: 'survey-unavailable' } }, error: 'aicc:http' }),
  'after surveyModeRetryDelay': () => ({ in: FETCHING_SURVEY }),
  'survey.submit (agent rating)': () => ({ in: { connected: { 'survey-agent': 'submitting' } }, error: null }),
  'survey.submit (unknown level)': () => ({ in: { connected: { 'survey-agent': 'form' } }, error: 'input:invalid-rating' }),
  'survey.submit (robot: satisfied)': () => ({ in: { connected: { 'survey-robot': 'submitting' } }, error: null }),
  'survey.submit (robot: unhappy, with comment)': () => ({ in: { connected: { 'survey-robot': 'submitting' } }, error: null }),
  'survey.submit (robot: unhappy, no comment)': () => ({ in: { connected: { 'survey-robot': 'form' } }, error: 'input:comment-required' }),
  'submitAgentSurvey.done': () => ({ in: 'disconnecting', surveySubmitted: true }),
  'submitAgentSurvey.error': () => ({ in: { connected: { 'survey-agent': 'form' } }, surveySubmitted: false, error: 'aicc:http' }),
  'submitRobotFeedback.done (satisfied)': () => ({ in: 'disconnecting', surveySubmitted: true }),
  'submitRobotFeedback.done (unhappy)': () => ({ in: 'disconnecting', surveySubmitted: true }),
  'submitRobotFeedback.error': () => ({ in: { connected: { 'survey-robot': 'form' } }, surveySubmitted: false, error: 'aicc:http' }),
  'survey.skip': () => ({ in: 'disconnecting', surveySubmitted: false }),
};
