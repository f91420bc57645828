/**
 * The words the view module puts on screen: status lines, queue, end reasons, errors, message
 * notices. One plain catalogue (strings with `{placeholders}`), English by default; a host
 * replaces any of them with `chatTexts({ ... })` and passes the result as `chatView(s, { texts })`.
 */
import type { AiccErrorKind } from '../client/errors.js';
import type { ChatSessionError, EndReason, OutgoingStatus } from '../../machines/chatSession.types.js';
import type { ChatStep } from './view.js';

/** What the status line says: one text per step, chatting split by who serves. */
export type ChatStatusKey = Exclude<ChatStep, 'chatting'> | 'chatting-robot' | 'chatting-agent';

export interface ChatTexts {
  /** The status line. `{agent}`: the agent's nickname (else `names.agent`). */
  status: Record<ChatStatusKey, string>;
  /** Sender names when a message carries no nickname. */
  names: { you: string; agent: string; robot: string };
  /** `{position}` in the queue; `queueWait` is appended when an estimate is known (`{seconds}`). */
  queue: { position: string; wait: string; unknown: string; ivr: string };
  /** Outgoing message status; `read` once the agent has read it. */
  outgoing: Record<OutgoingStatus | 'read', string>;
  /** Transcript notices. */
  notices: { gap: string; agentLeft: string; closed: string; unknown: string };
  /** Connection banners. */
  connection: { offline: string; reconnecting: string };
  endReasons: Record<EndReason, string>;
  /** AiccError by kind: `{status}` HTTP status, `{detail}` the server's description or the message. */
  errors: Record<AiccErrorKind, string>;
}

/** English texts (the default). */
export const CHAT_TEXTS: ChatTexts = {
  status: {
    auth: 'Signing in…',
    'auth-retry': 'Could not sign in, retrying…',
    history: 'Loading your earlier messages…',
    connecting: 'Connecting…',
    'connect-retry': 'Connection failed, retrying…',
    'leave-message': 'Leave us a message',
    queuing: 'Waiting for an agent',
    'chatting-robot': 'Chatting with our virtual assistant',
    'chatting-agent': 'Chatting with {agent}',
    ending: 'Ending the chat…',
    'survey-mode-retry': 'Loading the survey, retrying…',
    'survey-unavailable': 'The survey could not be loaded',
    'survey-agent': 'How did we do?',
    'survey-robot': 'Was the assistant helpful?',
    disconnecting: 'Closing…',
    disconnected: 'Chat ended',
  },
  names: { you: 'You', agent: 'Agent', robot: 'Assistant' },
  queue: {
    position: 'You are number {position} in the queue',
    wait: ' · about {seconds} s',
    unknown: 'Finding an agent for you…',
    ivr: 'Waiting for a free agent…',
  },
  outgoing: { uploading: 'uploading…', queued: 'waiting', sending: 'sending…', sent: 'sent', failed: 'not sent', read: 'read' },
  notices: {
    gap: 'Some messages could not be loaded.',
    agentLeft: 'The agent left the chat.',
    closed: 'The chat was closed by the service.',
    unknown: '[a message this page cannot show]',
  },
  connection: {
    offline: 'You are offline. Messages will be sent when you are back.',
    reconnecting: 'Connection trouble, reconnecting…',
  },
  endReasons: {
    'customer-ended': 'You ended the chat.',
    'agent-ended': 'The agent ended the chat.',
    'session-released': 'The chat was closed by the service.',
    'auth-failed': 'We could not sign you in to the chat service.',
    'connect-failed': 'The chat could not be connected.',
    'after-hours': 'We are closed right now.',
    'message-left': 'Your message was left. We will call you back.',
    'network-lost': 'The connection was lost.',
  },
  errors: {
    network: 'No connection to the chat service.',
    timeout: 'The chat service did not answer in time.',
    http: 'The chat service answered HTTP {status}.',
    business: 'The chat service refused: {detail}',
    validation: '{detail}',
    aborted: 'The request was cancelled.',
    protocol: 'The chat service answered something unexpected.',
  },
};

/** Any part of the catalogue; each group is merged key by key. */
export type ChatTextOverrides = { [K in keyof ChatTexts]?: Partial<ChatTexts[K]> };

/** The catalogue with some texts replaced (build it once, not per render). */
export function chatTexts(overrides: ChatTextOverrides, base: ChatTexts = CHAT_TEXTS): ChatTexts {
  const texts = { ...base } as Record<keyof ChatTexts, object>;
  for (const key of Object.keys(overrides) as (keyof ChatTexts)[]) texts[key] = { ...base[key], ...overrides[key] };
  return texts as ChatTexts;
}

/** `{name}` → values[name] (left as is when absent). */
export function fill(template: string, values: Record<string, string | number | undefined>): string {
  return template.replace(/\{(\w+)\}/g, (match, name: string) => String(values[name] ?? match));
}

export function endReasonText(reason: EndReason, texts: ChatTexts = CHAT_TEXTS): string {
  return texts.endReasons[reason];
}

/** A ChatInputError says what was wrong with the input; an AiccError what went wrong, by kind. */
export function errorText(error: ChatSessionError, texts: ChatTexts = CHAT_TEXTS): string {
  if (error.name === 'ChatInputError') return error.message;
  return fill(texts.errors[error.kind] ?? texts.errors.protocol, {
    status: error.status,
    detail: error.resultDesc ?? error.exceptionInfo ?? error.message,
  });
}
