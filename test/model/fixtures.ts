/**
 * Constants and payload builders shared by the model (what the traversal feeds the machine) and
 * the runner (what the simulator is scripted to do). The model's payloads mirror what the
 * simulator really sends, closely enough for every guard to decide the same way.
 */
import type { AiccErrorInfo } from '../../src/client/errors.js';
import type { ChatDownlink, DisconnectDownlink, HistoryMessage, SurveyMode } from '../../src/client/types.js';
import type { ChatSessionInput, ChatTiming } from '../../machines/chatSession.types.js';
import { ResultDesc } from '../../src/client/protocol.js';
import { DEFAULT_SURVEY_LEVELS, DEFAULT_SURVEY_QUESTIONS } from '../../src/simulator/index.js';
import type { SimulatorTiming } from '../../src/simulator/index.js';
import { budget, OUTLASTS_ANY_TEST_MS } from '../support/timeBudget.js';

/** Simulator timing: everything in milliseconds, small. */
export const SIM_TIMING: Partial<SimulatorTiming> = {
  longPollWindowMs: 100,
  robotReplyDelayMs: 5,
  agentReplyDelayMs: 5,
  queueAdvanceMs: 0,
  sessionIdleTimeoutMs: 60_000,
};

/** The simulator refuses uploads above this (the machine's own cap stays at 2 MB). */
export const SIM_UPLOAD_MAX_BYTES = 128;

/**
 * The machine's timing. Delayed transitions run on a SimulatedClock (the runner advances it
 * exactly to the due time of the timer a step fires), so these values only need to be distinct;
 * the actors' own timers (queue watcher period, poll backoff) run on real time and are short.
 */
export const MACHINE_TIMING: Partial<ChatTiming> = {
  queueIntervalMs: 30,
  pollBackoffBaseMs: 10,
  pollBackoffMaxMs: 40,
  maxPollFailures: 2,
  pollMinIntervalMs: 20,
  typingThrottleMs: 70,
  suggestionDebounceMs: 30,
  // Small retry budgets: one retry, then the give-up branch, keeps every path short.
  authRetries: 1,
  surveyModeRetries: 1,
  // Give up on the poll as soon as maxPollFailures transport failures were counted.
  pollGiveUpMs: 0,
  connectRetries: 1,
  connectRetryBaseMs: 50,
  connectRetryMaxMs: 400,
};

/**
 * How long a "held" request is kept back by a delay fault: longer than any test runs, so the user
 * event that overtakes it wins by construction, however slow the machine (it is aborted long before).
 */
export const HOLD_MS = OUTLASTS_ANY_TEST_MS;
/**
 * How long the poll is held when the queue watcher has to win a race against it. The path waits
 * for this poll, so it cannot outlast the test: a race window, scaled (docs/testing.md, "Time limits").
 */
export const POLL_HOLD_MS = budget(700);
/** Longest wait for one step of a path: a hang detector, 6 s on an idle machine, scaled. */
export const STEP_TIMEOUT_MS = budget(6_000);

export const MODEL_USER = 'model-user';
export const CHANNEL = '1011577355744904195';

export type StartConfig = 'send' | 'history' | 'sendAsync';

export function sessionInput(config: StartConfig, userId: string, channelId: string): ChatSessionInput {
  return {
    identity: { userId, userName: 'Model Tester', channelId, locale: 'en_US', nickname: 'Tester' },
    connectVia: config === 'sendAsync' ? 'sendAsync' : 'send',
    loadHistory: config === 'history',
    historyLimit: 10,
    isNeedRead: true,
    timing: MACHINE_TIMING,
  };
}

// ---------------------------------------------------------------------------------------------
// Texts the steps use

export const TEXT = {
  customer: 'hello there',
  customerBlank: '   ',
  draft: 'password',
  robot: 'Let me look that up for you.',
  agent: 'I am checking your order now.',
  systemNotice: 'Thank you for waiting.',
  comment: 'Did not answer my question',
  caller: '+86 755 1234 5678',
  leaveMessage: 'Please call me back tomorrow.',
  history: ['Earlier: my parcel is late', 'Earlier: it arrived, thanks'],
} as const;

export const SURVEY_WEB: SurveyMode = {
  surveyType: 'WEB',
  levels: DEFAULT_SURVEY_LEVELS.map((l) => ({ ...l })),
  questions: [...DEFAULT_SURVEY_QUESTIONS],
};

// ---------------------------------------------------------------------------------------------
// Downlink messages as the client parses them

function base(key: string, sourceType: 'AGENT' | 'ROBOT' | 'SYSTEM') {
  return {
    key,
    messageCode: key,
    sourceType,
    senderNickname: sourceType === 'AGENT' ? 'Alice' : sourceType === 'ROBOT' ? 'AICC Robot' : 'system',
    timestamp: 1_700_000_000_000,
    callId: sourceType === 'AGENT' ? '1700000000-1' : null,
    from: CHANNEL,
    to: MODEL_USER,
  };
}

export function text(key: string, sourceType: 'AGENT' | 'ROBOT' | 'SYSTEM', body: string, extra: Partial<ChatDownlink> = {}): ChatDownlink {
  return {
    ...base(key, sourceType),
    controlType: 'CHAT',
    content: { mediaType: 'TEXT', text: body },
    interIdx: null,
    robotGender: null,
    simQuestions: null,
    queueFlag: false,
    ...extra,
  };
}

export function robotText(key: string, body: string, interIdx: string): ChatDownlink {
  return text(key, 'ROBOT', body, { interIdx, robotGender: 'MALE' });
}

export function agentImage(key: string): ChatDownlink {
  return {
    ...base(key, 'AGENT'),
    controlType: 'CHAT',
    content: { mediaType: 'IMAGE', file: { fileId: key, fileType: 'png', multiMedia: true }, resourceId: key },
    interIdx: null,
    robotGender: null,
    simQuestions: null,
    queueFlag: false,
  };
}

export function disconnectMessage(key: string, sourceType: 'AGENT' | 'SYSTEM', isOfflineStatus = false): DisconnectDownlink {
  return { ...base(key, sourceType), senderNickname: null, controlType: 'DISCONNECT', isOfflineStatus };
}

export function historyMessages(): HistoryMessage[] {
  return TEXT.history.map((content, i) => ({
    id: `h${i}`,
    key: `history-${i}`,
    messageCode: `history-${i}`,
    sourceType: i === 0 ? 'CUSTOMER' : 'AGENT',
    controlType: 'CHAT',
    mediaType: 'TEXT',
    content,
    senderNickname: null,
    timestamp: 1_600_000_000_000 + i * 60_000,
    callId: null,
  }));
}

// ---------------------------------------------------------------------------------------------
// Errors as the client reports them (AiccError.toJSON())

export function httpError(api: AiccErrorInfo['api'], status = 500): AiccErrorInfo {
  return { name: 'AiccError', kind: 'http', api, status, message: `${api}: HTTP ${status}` };
}

export function networkError(api: AiccErrorInfo['api']): AiccErrorInfo {
  return { name: 'AiccError', kind: 'network', api, message: `${api}: network error (ECONNRESET)` };
}

export function businessError(api: AiccErrorInfo['api'], resultCode: string, resultDesc: string): AiccErrorInfo {
  return { name: 'AiccError', kind: 'business', api, resultCode, resultDesc, message: `${api} failed: resultCode ${resultCode} (${resultDesc})` };
}

export const AFTER_HOURS = businessError('send', '12', ResultDesc.afterHours);
export const NO_CCUCS = businessError('send', '13', ResultDesc.noCcucs);
export const NO_AGENTS = businessError('send', '13', ResultDesc.transferNoChannelConfig);
export const NO_ROBOT = businessError('queryPhraseByKeyword', '1', ResultDesc.phraseNoRobot);
export const UPLOAD_TOO_LARGE = businessError('uploadFileStream', '13', 'file too large');

/** A small valid PNG-ish payload and one the simulator refuses as too large. */
export const SMALL_FILE = new Uint8Array(Array.from({ length: 16 }, (_, i) => (i * 37) & 0xff));
export const LARGE_FILE = new Uint8Array(SIM_UPLOAD_MAX_BYTES * 2).fill(7);
