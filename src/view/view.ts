/**
 * What a chat UI asks of a snapshot, answered in one place (in the spirit of zag's `connect`):
 * the phase, who serves, the queue, what the customer can do now, the survey, the transcript as
 * render-ready entries, the end reason and the error as texts. `chatView(snapshot)` is pure data;
 * `connectChat(snapshot, send)` adds commands bound to `send`. Framework-free: call it in a
 * React render, a Vue `computed`, a Svelte `$derived`, a terminal renderer.
 *
 * Every state of the machine maps to a step (STEP_OF_STATE) and every step to a phase; a test
 * walks the machine's state nodes, so a new state cannot ship without its mapping.
 */
import type { StateValue } from 'xstate';
import { DEFAULT_LEVEL_KEYS, AGENT_COMMENT_MAX_CHARS, ROBOT_COMMENT_MAX_CHARS, validateAgentRequest } from '../../machines/chatSession.validation.js';
import type {
  AgentSurveyAnswer,
  ChatInputError,
  ChatSessionContext,
  ChatSessionError,
  ChatUserEvent,
  EndReason,
  RobotSurveyAnswer,
  ServedBy,
} from '../../machines/chatSession.types.js';
import type { SatisfactionLevel } from '../client/types.js';
import type { ChatStep } from './step.js';
import { transcriptView, type ChatEntryView } from './entries.js';
import { checkFile, fileSendEvent, uploadAccept, type FileData } from './files.js';
import { errorText, fill, textsForLocale, withOverrides, type ChatTextOverrides, type ChatTexts } from './texts.js';

/** The stage of the chat a person would name. */
export type ChatPhase =
  | 'starting'
  | 'queuing'
  | 'chatting-robot'
  | 'chatting-agent'
  | 'survey-agent'
  | 'survey-robot'
  | 'leave-message'
  | 'ending'
  | 'ended';

export type { ChatStep };

/**
 * Every state of the machine, by path, and the step it shows as. A state not listed shows as
 * its nearest listed ancestor (the regions of `connected.chatting`, a survey's form and submit).
 */
export const STEP_OF_STATE: Readonly<Record<string, ChatStep>> = {
  auth: 'auth',
  'auth-retry': 'auth-retry',
  history: 'history',
  connecting: 'connecting',
  'connect-retry': 'connect-retry',
  'leave-message': 'leave-message',
  'connected.queuing': 'queuing',
  'connected.chatting': 'chatting',
  'connected.ending.checking': 'ending',
  'connected.ending.fetching-survey': 'ending',
  'connected.ending.survey-mode-retry': 'survey-mode-retry',
  'connected.ending.survey-unavailable': 'survey-unavailable',
  'connected.survey-agent': 'survey-agent',
  'connected.survey-robot': 'survey-robot',
  disconnecting: 'disconnecting',
  disconnected: 'disconnected',
};

/** The phase of each step (`chatting` is split by who serves). */
export const PHASE_OF_STEP: Readonly<Record<ChatStep, ChatPhase>> = {
  auth: 'starting',
  'auth-retry': 'starting',
  history: 'starting',
  connecting: 'starting',
  'connect-retry': 'starting',
  'leave-message': 'leave-message',
  queuing: 'queuing',
  chatting: 'chatting-robot',
  ending: 'ending',
  'survey-mode-retry': 'ending',
  'survey-unavailable': 'ending',
  'survey-agent': 'survey-agent',
  'survey-robot': 'survey-robot',
  disconnecting: 'ending',
  disconnected: 'ended',
};

/** What the view reads: a machine snapshot fits (as do @xstate/vue's and /svelte's). */
export interface ChatSnapshot {
  value: StateValue;
  status: 'active' | 'done' | 'error' | 'stopped';
  context: ChatSessionContext;
}

/** The step of a state value: the first listed state on its path from the root. */
export function chatStep(value: StateValue): ChatStep {
  let path = '';
  let node: StateValue | undefined = value;
  while (node !== undefined) {
    const key: string | undefined = typeof node === 'string' ? node : Object.keys(node)[0];
    if (key === undefined) break;
    path = path === '' ? key : `${path}.${key}`;
    const step = STEP_OF_STATE[path];
    if (step !== undefined) return step;
    node = typeof node === 'string' ? undefined : node[key];
  }
  return 'connecting'; // unreachable while the mapping test passes
}

/** The active child (a string) at `path` of a state value, if any. */
function childAt(value: StateValue | undefined, ...path: string[]): StateValue | undefined {
  for (const key of path) value = typeof value === 'object' ? value[key] : undefined;
  return value;
}

export interface ChatQueueView {
  /** Place in the queue (1 = next); null while not known yet or in the IVR. */
  position: number | null;
  /** The service's estimate, in seconds (null: none). */
  waitSeconds: number | null;
  /** Waiting in the IVR for a free agent (no position). */
  inIvr: boolean;
  text: string;
}

export interface ChatSurveyView {
  target: 'agent' | 'robot';
  /** Agent survey: the levels to choose from (the documented defaults when the tenant lists none). Robot: none. */
  levels: SatisfactionLevel[];
  /** What `evaluation` takes. */
  levelKeys: string[];
  /** Extra items the tenant asks for: `NPS` (npsScore 0..10), `FCR` (fcr), `CSAT`. */
  questions: string[];
  askNps: boolean;
  askFcr: boolean;
  commentMaxLength: number;
  /** Robot survey: a comment is required when not satisfied. */
  commentRequiredIfUnsatisfied: boolean;
  /** The answer is being sent. */
  submitting: boolean;
}

/** What the customer can do now (each is an event the current state takes). */
export interface ChatAbilities {
  /** `message.send` (queuing or chatting; queued messages go out when an agent takes the chat). */
  type: boolean;
  /** `file.send`. */
  sendFile: boolean;
  /** `agent.request`: served by the robot, no transfer under way. */
  requestAgent: boolean;
  /** `chat.end` ends the conversation (before it is over; afterwards see `skip`). */
  end: boolean;
  /** `request.retry`: auth, CONNECT or the survey mode failed and waits for its next attempt. */
  retry: boolean;
  /** `skip()`: skip the survey, the leave-message form, or the survey still being fetched. */
  skip: boolean;
  /** `survey.submit`. */
  submitSurvey: boolean;
  /** `leaveMessage.submit`. */
  leaveMessage: boolean;
  /** `messages.markRead`: agent messages not yet acknowledged. */
  markRead: boolean;
  /** `file.download` (while connected). */
  download: boolean;
}

export type ChatTransfer =
  /** No transfer under way. */
  | 'idle'
  /** TRANS2AGENT is being sent. */
  | 'requesting'
  /** Accepted: waiting for an agent (queuing). */
  | 'waiting';

export interface ChatView {
  /**
   * The language of the texts shown, as a BCP 47 tag (`en-US`, `zh-CN`): for the widget's
   * `lang=` (so CJK text gets CJK fonts, line breaking and screen-reader voices) and for `Intl`.
   * It is the catalogue's (`texts.locale`), not the session's: a `zh_CN` session on a page
   * that offers only English shows English, `en-US`.
   */
  lang: string;
  phase: ChatPhase;
  step: ChatStep;
  /** The status line (`texts.status`). */
  statusText: string;
  servedBy: ServedBy;
  agentName: string | null;
  /** While queuing, else null. */
  queue: ChatQueueView | null;
  transfer: ChatTransfer;
  can: ChatAbilities;
  /** While a survey is offered (phases survey-agent, survey-robot), else null. */
  survey: ChatSurveyView | null;
  surveySubmitted: boolean;
  /** While the leave-message form is offered; `afterHours`: outside working hours (else nobody could take the chat). */
  leaveMessage: { afterHours: boolean; submitting: boolean } | null;
  transcript: ChatEntryView[];
  /** Agent messages not yet acknowledged (see `can.markRead`). */
  unread: number;
  /** The draft as last reported by `input.change`, and phrase suggestions for it. */
  draft: string;
  suggestions: string[];
  /** The agent was just told the customer is typing (an INPUT notice went out). */
  typingNotified: boolean;
  /** `text`: a banner while offline or while polls fail, else null. */
  connection: { online: boolean; pollFailures: number; text: string | null };
  /** What `file.send` takes: the size limit of this session and the `accept` attribute for a file input. */
  upload: { maxBytes: number; accept: string };
  /** Why the session ended (or is ending: set from the moment it is known, e.g. during a survey or the leave-message form). */
  endReason: EndReason | null;
  endText: string | null;
  /** The latest error: a failed call (AiccErrorInfo) or a refused input (ChatInputError). */
  error: ChatSessionError | null;
  errorText: string | null;
}

/**
 * Which words the view uses: the catalogue of `locale` (default: the session's
 * `identity.locale`) among English and `locales`, with `texts` on top.
 */
export interface ChatViewOptions {
  /** The locale to show (`zh`, `zh-CN`, `zh_CN`, ...), instead of the session's own. */
  locale?: string;
  /**
   * Catalogues to choose from besides English (`CHAT_TEXTS`), e.g. `[ZH_CN_TEXTS]` from
   * `aicc-chat-machine/locales/zh_CN`. Without them every locale shows in English.
   */
  locales?: readonly ChatTexts[];
  /**
   * Texts that replace the chosen catalogue's, key by key (a whole catalogue replaces it all).
   * Keep the same object across renders: the transcript's entry views are reused by it.
   */
  texts?: ChatTextOverrides;
}

/** The catalogue a view shows: picked by locale, then overridden. */
export function viewTexts(options: ChatViewOptions, sessionLocale: string | undefined): ChatTexts {
  return withOverrides(textsForLocale(options.locale ?? sessionLocale, options.locales), options.texts);
}

/** Steps that take `retry`, and steps where `skip()` has something to skip. */
const RETRYING: ReadonlySet<ChatStep> = new Set(['auth-retry', 'connect-retry', 'survey-mode-retry', 'survey-unavailable']);
const SKIPPABLE: ReadonlySet<ChatStep> = new Set(['ending', 'survey-mode-retry', 'survey-unavailable', 'survey-agent', 'survey-robot', 'leave-message']);

function surveyView(context: ChatSessionContext, target: 'agent' | 'robot', submitting: boolean): ChatSurveyView {
  const offer = context.survey.offer;
  const listed = target === 'agent' ? (offer?.levels ?? []) : [];
  const levels = target === 'agent' && listed.length === 0 ? DEFAULT_LEVEL_KEYS.map((key) => ({ key, label: key })) : listed;
  const questions = target === 'agent' ? (offer?.questions ?? []) : [];
  return {
    target,
    levels,
    levelKeys: levels.map((level) => level.key),
    questions,
    askNps: questions.includes('NPS'),
    askFcr: questions.includes('FCR'),
    commentMaxLength: target === 'agent' ? AGENT_COMMENT_MAX_CHARS : ROBOT_COMMENT_MAX_CHARS,
    commentRequiredIfUnsatisfied: target === 'robot',
    submitting,
  };
}

/** The snapshot as a UI shows it. Pure: the same snapshot gives an equal view. */
export function chatView(snapshot: ChatSnapshot, options: ChatViewOptions = {}): ChatView {
  const { context, value } = snapshot;
  const texts = viewTexts(options, context.identity.locale);
  const live = snapshot.status === 'active';
  const step = chatStep(value);
  const { servedBy, agentNickname, queue, connection, error, endReason } = context;
  const phase: ChatPhase = !live ? 'ended' : step === 'chatting' && servedBy === 'agent' ? 'chatting-agent' : PHASE_OF_STEP[step];
  const inChat = live && (step === 'queuing' || step === 'chatting');
  const transferState = childAt(value, 'connected', 'chatting', 'transfer');
  const transfer: ChatTransfer = transferState === 'requesting' ? 'requesting' : live && context.bookkeeping.awaitingAgent && servedBy !== 'agent' ? 'waiting' : 'idle';
  const surveyState = step === 'survey-agent' || step === 'survey-robot' ? childAt(value, 'connected', step) : undefined;
  const leaveState = step === 'leave-message' ? childAt(value, 'leave-message') : undefined;
  const unread = context.bookkeeping.unreadAgentKeys.length;

  let queueView: ChatQueueView | null = null;
  if (live && step === 'queuing') {
    const metrics = queue?.status === 'queuing' ? queue : null;
    const waitSeconds = metrics && metrics.estimateWaitTime > 0 ? metrics.estimateWaitTime : null;
    queueView = {
      position: metrics?.position ?? null,
      waitSeconds,
      inIvr: queue?.status === 'in-ivr',
      text: metrics
        ? fill(texts.queue.position, { position: metrics.position }) + (waitSeconds === null ? '' : fill(texts.queue.wait, { seconds: waitSeconds }))
        : queue?.status === 'in-ivr'
          ? texts.queue.ivr
          : texts.queue.unknown,
    };
  }

  return {
    lang: texts.locale.replace('_', '-'),
    phase,
    step,
    statusText: fill(texts.status[!live ? 'disconnected' : step === 'chatting' ? (phase as 'chatting-robot' | 'chatting-agent') : step], {
      agent: agentNickname ?? texts.names.agent,
    }),
    servedBy,
    agentName: agentNickname,
    queue: queueView,
    transfer,
    can: {
      type: inChat,
      sendFile: inChat,
      requestAgent:
        live && step === 'chatting' && transferState === 'idle' && !context.bookkeeping.awaitingAgent && validateAgentRequest(context) === null,
      end: inChat || phase === 'starting',
      retry: live && RETRYING.has(step),
      skip: live && SKIPPABLE.has(step),
      submitSurvey: live && surveyState === 'form',
      leaveMessage: live && leaveState === 'form',
      markRead: live && unread > 0 && childAt(value, 'connected', 'chatting', 'receipts') === 'idle',
      // The poll loop and the file workers live in `connected`; so does file.download.
      download: live && childAt(value, 'connected') !== undefined,
    },
    survey: live && surveyState !== undefined ? surveyView(context, step === 'survey-agent' ? 'agent' : 'robot', surveyState === 'submitting') : null,
    surveySubmitted: context.survey.submitted,
    leaveMessage: live && leaveState !== undefined ? { afterHours: endReason === 'after-hours', submitting: leaveState === 'submitting' } : null,
    transcript: transcriptView(context, texts),
    unread,
    draft: context.compose.draft,
    suggestions: context.compose.suggestions,
    typingNotified: childAt(value, 'connected', 'chatting', 'typing') === 'throttled',
    connection: {
      online: connection.online,
      pollFailures: connection.pollFailures,
      text: !live ? null : !connection.online ? texts.connection.offline : connection.pollFailures > 0 ? texts.connection.reconnecting : null,
    },
    upload: { maxBytes: context.config.maxUploadBytes, accept: uploadAccept() },
    endReason,
    endText: endReason === null ? null : texts.endReasons[endReason],
    error,
    errorText: error === null ? null : errorText(error, texts),
  };
}

/** The customer's actions, bound to a `send`. Each sends one event; the machine decides. */
export interface ChatCommands {
  /** `message.send`. */
  sendMessage(text: string): void;
  /** `input.change` on every keystroke (typing notice to the agent, phrase suggestions). */
  setDraft(text: string): void;
  /** `file.send` with the type from the name (default: the File's) or the MIME type. */
  sendFile(file: FileData, name?: string): void;
  /** What `sendFile` would be refused for, before sending (this session's size limit); null: accepted. */
  checkFile(file: FileData, name?: string): ChatInputError | null;
  /** `message.retry` of a failed message. */
  retryMessage(key: string): void;
  /** `file.download` of a received file (the bytes come as the `file.downloaded` event). */
  download(key: string): void;
  /** `agent.request`. */
  requestAgent(): void;
  /** `messages.markRead`. */
  markRead(): void;
  /** `chat.end`. */
  end(): void;
  /** Sends `request.retry` (auth, CONNECT, survey mode). */
  retry(): void;
  /** `survey.skip`, `leaveMessage.skip`, or (the survey still being fetched) `chat.end`. */
  skip(): void;
  /** `survey.submit`: `{ evaluation, comment?, npsScore?, fcr? }` for an agent, `{ satisfied, comment? }` for the robot. */
  submitSurvey(answer: AgentSurveyAnswer | RobotSurveyAnswer): void;
  /** `leaveMessage.submit`. */
  submitLeaveMessage(caller: string, message: string): void;
}

export type ChatApi = ChatView & ChatCommands;

/** `chatView(snapshot)` plus commands that `send` the customer's events. */
export function connectChat(snapshot: ChatSnapshot, send: (event: ChatUserEvent) => void, options: ChatViewOptions = {}): ChatApi {
  const view = chatView(snapshot, options);
  const maxBytes = view.upload.maxBytes;
  return {
    ...view,
    sendMessage: (text) => send({ type: 'message.send', text }),
    setDraft: (text) => send({ type: 'input.change', text }),
    sendFile: (file, name) => send(fileSendEvent(file, name)),
    checkFile: (file, name) => checkFile(file, name === undefined ? { maxBytes } : { name, maxBytes }),
    retryMessage: (key) => send({ type: 'message.retry', key }),
    download: (key) => send({ type: 'file.download', key }),
    requestAgent: () => send({ type: 'agent.request' }),
    markRead: () => send({ type: 'messages.markRead' }),
    end: () => send({ type: 'chat.end' }),
    retry: () => send({ type: 'request.retry' }),
    skip: () =>
      send(
        view.step === 'leave-message'
          ? { type: 'leaveMessage.skip' }
          : view.step === 'ending' || view.step === 'survey-mode-retry'
            ? { type: 'chat.end' }
            : { type: 'survey.skip' },
      ),
    submitSurvey: (answer) => send({ type: 'survey.submit', ...answer }),
    submitLeaveMessage: (caller, message) => send({ type: 'leaveMessage.submit', caller, message }),
  };
}
