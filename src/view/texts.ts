/**
 * The words the view module puts on screen: status lines, queue, end reasons, errors, message
 * notices. One typed catalogue per locale: English (`CHAT_TEXTS`, en_US) here, Simplified
 * Chinese in `aicc-chat-machine/locales/zh_CN` (its own entry, so a page that does not show it
 * does not load it). The view picks the catalogue of the session's locale among those it is
 * given, and a host replaces any text on top.
 */
import type { AiccErrorKind } from '../client/errors.js';
import type { GatewayRefusalReason } from '../client/gatewayReasons.js';
import type { ChatInputError, ChatInputErrorCode, ChatSessionError, EndReason, OutgoingStatus } from '../../machines/chatSession.types.js';
import type { ChatStep } from './step.js';

/** What the status line says: one text per step, chatting split by who serves. */
export type ChatStatusKey = Exclude<ChatStep, 'chatting'> | 'chatting-robot' | 'chatting-agent';

/**
 * A text that shows values: a template (`{name}` is replaced by `values.name`, e.g. from a
 * translation file) or a function of the values (for grammar a template cannot express).
 */
export type ChatText<V extends object> = string | ((values: V) => string);

/** The values of an AiccError's text: `status` the HTTP status, `detail` the service's description or the message. */
export interface ChatErrorValues {
  status: number | undefined;
  detail: string;
}

export interface ChatTexts {
  /** The locale these texts are written for, `ll_CC` (`en_US`, `zh_CN`): how the view finds them. */
  locale: string;
  /** The status line. `agent`: the agent's nickname (else `names.agent`). */
  status: Record<ChatStatusKey, ChatText<{ agent: string }>>;
  /** Sender names when a message carries no nickname. */
  names: { you: string; agent: string; robot: string };
  /** Place in the queue; `wait` is appended when an estimate is known. */
  queue: { position: ChatText<{ position: number }>; wait: ChatText<{ seconds: number }>; unknown: string; ivr: string };
  /** Outgoing message status; `read` once the agent has read it. */
  outgoing: Record<OutgoingStatus | 'read', string>;
  /** Transcript notices. */
  notices: { gap: string; agentLeft: string; closed: string; unknown: string };
  /** Connection banners. */
  connection: { offline: string; reconnecting: string };
  endReasons: Record<EndReason, string>;
  /** AiccError by kind. */
  errors: Record<AiccErrorKind, ChatText<ChatErrorValues>>;
  /**
   * An AiccError the package's gateway answered, by its `gatewayReason` (instead of the kind's
   * text). Those a developer fixes in the gateway's options name the option.
   */
  gatewayReasons: Record<GatewayRefusalReason, ChatText<ChatErrorValues>>;
  /** ChatInputError by code; the values are the error itself (`{message}` is the machine's English sentence). */
  inputErrors: Record<ChatInputErrorCode, ChatText<ChatInputError>>;
}

const TRY_SOON = 'Too many requests. Please wait a moment.';
const TRY_LATER = 'The chat service is unavailable right now. Please try again later.';
const REFUSED_REQUEST = 'The chat service refused the request: {detail}';
const SIGN_IN_AGAIN = 'Your chat sign-in is no longer valid. Please reload the page.';
const UNEXPECTED_ANSWER = 'The contact centre answered something unexpected.';

/** English texts (en_US, the default). */
export const CHAT_TEXTS: ChatTexts = {
  locale: 'en_US',
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
  gatewayReasons: {
    noRoute: 'The chat service was not found at this address (check the gateway URL and its basePath).',
    origin: "This page may not use the chat service: add its origin to the gateway's allowedOrigins (behind a dev-server proxy, the page's own origin).",
    preflight: "The chat service refused this page's request headers (see the gateway's corsAllowHeaders).",
    contentType: REFUSED_REQUEST,
    tooLarge: 'That is too large for the chat service.',
    unidentified: 'Please sign in to chat with us.',
    identifyFailed: TRY_LATER,
    badIdentity: "Your account cannot be used for the chat (the gateway's identify() answered an invalid identity).",
    rateLimited: TRY_SOON,
    rateLimitedAddress: TRY_SOON,
    pollsPerAddress: TRY_SOON,
    inFlight: TRY_SOON,
    inFlightAddress: TRY_SOON,
    uploadsPerAddress: TRY_SOON,
    bodyTimeout: 'Sending took too long. Please try again.',
    tooDeep: REFUSED_REQUEST,
    badJson: REFUSED_REQUEST,
    badField: REFUSED_REQUEST,
    notCaller: REFUSED_REQUEST,
    foreignFile: 'That file belongs to another chat.',
    noToken: SIGN_IN_AGAIN,
    badToken: SIGN_IN_AGAIN,
    oldToken: SIGN_IN_AGAIN,
    unknownKey: SIGN_IN_AGAIN,
    legacyToken: SIGN_IN_AGAIN,
    unexpectedBody: REFUSED_REQUEST,
    unexpectedQuery: REFUSED_REQUEST,
    consumed: 'The chat service is misconfigured (mount the gateway before any body parser).',
    upstreamAuth: "The contact centre refused the chat service's credentials (check the gateway's appKey and appSecret).",
    upstreamTimeout: TRY_LATER,
    upstreamNetwork: TRY_LATER,
    upstreamTooLarge: UNEXPECTED_ANSWER,
    upstreamNotJson: UNEXPECTED_ANSWER,
    upstreamRedirect: UNEXPECTED_ANSWER,
    upstreamTooDeep: UNEXPECTED_ANSWER,
    upstreamBusy: TRY_SOON,
    upstreamStatus: 'The contact centre answered HTTP {status}.',
    applyTokenFailed: TRY_LATER,
    internal: TRY_LATER,
  },
  // The machine's own sentence says exactly what was wrong (sizes, allowed values).
  inputErrors: {
    'empty-text': '{message}',
    'text-too-long': '{message}',
    'invalid-file': '{message}',
    'unsupported-file-type': '{message}',
    'file-too-large': '{message}',
    'unknown-message': '{message}',
    'not-retryable': '{message}',
    'not-downloadable': '{message}',
    'invalid-rating': '{message}',
    'invalid-comment': '{message}',
    'comment-required': '{message}',
    'invalid-nps': '{message}',
    'invalid-fcr': '{message}',
    'invalid-caller': '{message}',
    'invalid-leave-message': '{message}',
    'not-served-by-robot': '{message}',
    'invalid-event': '{message}',
  },
};

/** Any part of a catalogue; each group is merged key by key. A whole catalogue fits too. */
export type ChatTextOverrides = { [K in keyof ChatTexts]?: Partial<ChatTexts[K]> };

/** The catalogue with some texts replaced (build it once, not per render). */
export function chatTexts(overrides: ChatTextOverrides, base: ChatTexts = CHAT_TEXTS): ChatTexts {
  const texts = { ...base } as Record<keyof ChatTexts, unknown>;
  for (const key of Object.keys(overrides) as (keyof ChatTexts)[]) {
    texts[key] = key === 'locale' ? (overrides.locale ?? base.locale) : { ...base[key], ...overrides[key] };
  }
  return texts as ChatTexts;
}

/**
 * A locale as `ll_CC` or `ll`: `zh-CN`, `zh_cn`, `ZH` → `zh_CN`, `zh`; whatever does not look
 * like a locale → `''`.
 */
export function normaliseLocale(locale: string | undefined): string {
  const match = /^([a-z]{2,3})(?:[-_]([a-z]{2}))?(?:[-_.@]|$)/i.exec(locale?.trim() ?? '');
  if (!match) return '';
  const language = match[1]!.toLowerCase();
  return match[2] === undefined ? language : `${language}_${match[2].toUpperCase()}`;
}

/**
 * The catalogue for a locale: the one written for it (`zh_CN`), else one in its language (`zh`,
 * `zh-TW` → zh_CN), else English. `catalogues` are those the page offers besides English.
 */
export function textsForLocale(locale: string | undefined, catalogues: readonly ChatTexts[] = []): ChatTexts {
  const wanted = normaliseLocale(locale);
  const language = wanted.split('_')[0];
  const all = [...catalogues, CHAT_TEXTS];
  return all.find((texts) => texts.locale === wanted) ?? all.find((texts) => texts.locale.split('_')[0] === language) ?? CHAT_TEXTS;
}

/** Overridden catalogues, by overrides and base: the same inputs give the same object (entry views are reused by it). */
const merged = new WeakMap<ChatTextOverrides, WeakMap<ChatTexts, ChatTexts>>();

/** `base` with `overrides` on top, built once per pair. */
export function withOverrides(base: ChatTexts, overrides: ChatTextOverrides | undefined): ChatTexts {
  if (overrides === undefined) return base;
  let byBase = merged.get(overrides);
  if (!byBase) merged.set(overrides, (byBase = new WeakMap()));
  let texts = byBase.get(base);
  if (!texts) byBase.set(base, (texts = chatTexts(overrides, base)));
  return texts;
}

/** A template's `{name}` → values[name] (left as is when absent), or the function's answer. */
export function fill<V extends object>(text: ChatText<V>, values: V): string {
  if (typeof text === 'function') return text(values);
  return text.replace(/\{(\w+)\}/g, (match, name: string) => String((values as Record<string, unknown>)[name] ?? match));
}

export function endReasonText(reason: EndReason, texts: ChatTexts = CHAT_TEXTS): string {
  return texts.endReasons[reason];
}

/** What went wrong: an AiccError by its gateway reason, else by kind; a ChatInputError by code. */
export function errorText(error: ChatSessionError, texts: ChatTexts = CHAT_TEXTS): string {
  if (error.name === 'ChatInputError') return fill(texts.inputErrors[error.code] ?? '{message}', error);
  const byReason = error.gatewayReason === undefined ? undefined : texts.gatewayReasons[error.gatewayReason];
  return fill(byReason ?? texts.errors[error.kind] ?? texts.errors.protocol, {
    status: error.status,
    detail: error.resultDesc ?? error.exceptionInfo ?? error.message,
  });
}
