/**
 * The contracts of the machine's named actors: what each is given (input), gives back (output)
 * and is sent (events), and the placeholder the machine is set up with. A provided actor
 * (`createChatActors(client)`, `machine.provide({ actors })`) must meet these types.
 */
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import { toErrorInfo, validationError, type AiccErrorInfo } from '../src/client/errors.js';
import type { BinaryInput, DownlinkMessage, FileRef, HistoryMessage, ResultInfo, SurveyMode, UploadProgress } from '../src/client/types.js';
import type { UplinkMediaType } from '../src/client/protocol.js';
import type { AgentSurveyAnswer, RobotSurveyAnswer, SendMessageOutput, ServedBy, UplinkApi } from './chatSession.types.js';

export type { SendMessageOutput };

/** Who sends an uplink: the common part of every send/sendAsync call. */
export interface UplinkParty {
  userId: string;
  channelId: string;
  nickname: string | null;
}

export type AuthenticateInput = Record<string, never>;

export interface LoadHistoryInput {
  userId: string;
  channelId: string;
  limit: number;
}

export interface ConnectInput extends UplinkParty {
  via: UplinkApi;
  /** For the poll that looks for the session when CONNECT's answer was lost. */
  isNeedRead: boolean;
  /**
   * An earlier attempt's answer was lost (bookkeeping.connectAnswerLostAt): look for the session
   * it may have opened, from this client time on, before sending CONNECT again.
   */
  lostSince?: number | null;
}

/**
 * CONNECT's answer. When the answer was lost (timeout, reset, 502/504 after processing) and a
 * poll then found the session it opened, `confirmedByPoll` is true and `messages` holds what
 * that poll delivered (the robot greeting, the queue notice), in server order.
 */
export interface ConnectOutput extends ResultInfo {
  confirmedByPoll?: boolean;
  messages?: DownlinkMessage[];
}

export interface SendMessageInput extends UplinkParty {
  localId: string;
  mediaType: UplinkMediaType;
  content: string;
  timestamp: number;
}


/**
 * What the sendMessage worker receives: one CHAT to send. The worker runs while `chatting` does
 * and is told by `outbox.sending` (one message on the wire at a time); it answers `message.sent`
 * (the output) or `message.sendFailed` (the error), and aborts what is on the wire when stopped.
 */
export type SendMessageWorkerEvent = { type: 'send'; input: SendMessageInput };

export type SendTypingInput = UplinkParty;
export type RequestAgentInput = UplinkParty;

export interface DisconnectInput extends UplinkParty {
  /**
   * Server timestamp of the newest incoming message: after DISCONNECT the actor catches up from
   * history on anything newer (absent: no catch-up, e.g. never connected).
   */
  since?: number;
  connectedAt?: number | null;
  /** The network was given up on: one short attempt at each step, so the end is not held up. */
  bestEffort?: boolean;
}

/**
 * Messages the final catch-up found (merged into the transcript before `disconnected`), and,
 * when history could not be read, the gap to show.
 */
export interface DisconnectOutput {
  messages: DownlinkMessage[];
  gap?: { from: number; error: AiccErrorInfo };
}

export interface ReadReceiptInput extends UplinkParty {
  /** Keys (messageCodes) of the agent messages being acknowledged. */
  messageIds: string[];
}

export interface ReadReceiptOutput {
  messageIds: string[];
}

export interface PollLoopInput {
  userId: string;
  channelId: string;
  isNeedRead: boolean;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxFailures: number;
  minIntervalMs: number;
  hiddenDelayMs: number;
  staleMs: number;
  /** See ChatTiming.pollGiveUpMs (absent: 0, the count alone decides, as before). */
  giveUpMs?: number;
  /** Report the first answer even when empty (sendAsync: it confirms CONNECT). */
  reportFirstAnswer?: boolean;
  /** Server timestamp of the latest incoming message (0: none yet): catch-up starts there. */
  since: number;
  /** Client clock when CONNECT succeeded (null: unknown): catch-up bound when `since` is 0. */
  connectedAt: number | null;
  servedBy: ServedBy;
  online: boolean;
  visible: boolean;
  /** Restarted from a persisted snapshot (prepareRestoredSnapshot): catch up before polling. */
  resumed?: boolean;
}

/** What the machine tells the running poll loop when connectivity or visibility changes. */
export type PollLoopEvent = { type: 'connectivity'; online: boolean; visible: boolean };

export interface WatchQueueInput {
  userId: string;
  channelId: string;
  intervalMs: number;
  /** Ask nothing before `connect.confirmed` arrives (sendAsync CONNECT not yet confirmed). */
  awaitConfirmation?: boolean;
}

/** What the machine tells the queue watcher: CONNECT is confirmed (a poll answered after sendAsync). */
export type WatchQueueEvent = { type: 'connect.confirmed' };

/** What the uploadFile worker receives (bytes live only in the worker, never in a snapshot). */
export type UploadWorkerEvent = {
  type: 'upload.start';
  localId: string;
  fileType: string;
  data: BinaryInput;
};
export type UploadWorkerInput = Record<string, never>;

/** What the downloadFile worker receives. */
export type DownloadWorkerEvent = { type: 'download.start'; key: string; file: FileRef };
export type DownloadWorkerInput = Record<string, never>;

export interface SuggestPhrasesInput {
  text: string;
  locale: string;
}

export interface SuggestPhrasesOutput {
  text: string;
  phrases: string[];
}

export interface FetchSurveyModeInput {
  language: string;
}

export type SurveyModeOutput = SurveyMode;

export interface SubmitAgentSurveyInput extends AgentSurveyAnswer {
  userId: string;
  channelId: string;
}

export interface SubmitRobotFeedbackInput extends RobotSurveyAnswer {
  userId: string;
  interIdx: string;
}

export interface LeaveMessageActorInput {
  userId: string;
  caller: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Placeholders

/** A definitive (validation) error: a missing actor is a wiring mistake, not worth a retry. */
function notProvided(name: string): Error {
  return validationError('client', 'actors', `"${name}" not provided: use machine.provide({ actors: createChatActors(client) }) or createChatSession()`);
}

function missingPromise<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(() => Promise.reject(notProvided(name)));
}

function missingCallback<TReceived extends EventObject, TInput>(name: string) {
  return fromCallback<TReceived, TInput>(() => {
    throw notProvided(name);
  });
}

/**
 * The sendMessage worker's placeholder fails each CHAT it is told to send, as the promise actor
 * it replaced did (a worker that threw at start would leave the chat with none at all).
 */
function missingSendWorker() {
  return fromCallback<SendMessageWorkerEvent, void>(({ sendBack, receive }) => {
    receive(({ input }) => sendBack({ type: 'message.sendFailed', localId: input.localId, error: toErrorInfo(notProvided('sendMessage')) }));
  });
}

/** Placeholder actors: the typed contract every provided implementation must meet. */
export const chatSessionActorContracts = {
  authenticate: missingPromise<void, void>('authenticate'),
  loadHistory: missingPromise<HistoryMessage[], LoadHistoryInput>('loadHistory'),
  connect: missingPromise<ConnectOutput, ConnectInput>('connect'),
  pollLoop: missingCallback<PollLoopEvent, PollLoopInput>('pollLoop'),
  watchQueue: missingCallback<WatchQueueEvent, WatchQueueInput>('watchQueue'),
  sendMessage: missingSendWorker(),
  uploadFile: missingCallback<UploadWorkerEvent, void>('uploadFile'),
  downloadFile: missingCallback<DownloadWorkerEvent, void>('downloadFile'),
  suggestPhrases: missingPromise<SuggestPhrasesOutput, SuggestPhrasesInput>('suggestPhrases'),
  sendTyping: missingPromise<void, SendTypingInput>('sendTyping'),
  requestAgent: missingPromise<ResultInfo, RequestAgentInput>('requestAgent'),
  sendReadReceipt: missingPromise<ReadReceiptOutput, ReadReceiptInput>('sendReadReceipt'),
  fetchSurveyMode: missingPromise<SurveyMode, FetchSurveyModeInput>('fetchSurveyMode'),
  submitAgentSurvey: missingPromise<ResultInfo, SubmitAgentSurveyInput>('submitAgentSurvey'),
  submitRobotFeedback: missingPromise<ResultInfo, SubmitRobotFeedbackInput>('submitRobotFeedback'),
  disconnect: missingPromise<DisconnectOutput, DisconnectInput>('disconnect'),
  leaveMessage: missingPromise<ResultInfo, LeaveMessageActorInput>('leaveMessage'),
};

export type ChatSessionActorContracts = typeof chatSessionActorContracts;
