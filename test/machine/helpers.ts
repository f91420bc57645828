/** Fixtures for the machine tests: inputs, downlink messages, fake actors with handles. */
import { createActor, fromCallback, fromPromise, initialTransition, SimulatedClock, type EventObject, type Snapshot } from 'xstate';
import { AiccError, toErrorInfo } from '../../src/client/errors.js';
import type {
  ChatDownlink,
  DisconnectDownlink,
  DownlinkMessage,
  HistoryMessage,
  ReadDownlink,
  ResultInfo,
  SurveyMode,
} from '../../src/client/types.js';
import { chatSessionMachine } from '../../machines/chatSession.machine.js';
import type { ChatSessionActorContracts } from '../../machines/chatSession.contracts.js';
import type { DownloadWorkerEvent, UploadWorkerEvent } from '../../machines/chatSession.contracts.js';
import type { ChatActorEvent, ChatSessionContext, ChatSessionEvent, ChatSessionInput } from '../../machines/chatSession.types.js';

export const identity = { userId: 'user-1', userName: 'Ann', channelId: '202207292843442389', locale: 'en', nickname: 'Ann' };

export const fastTiming = {
  queueIntervalMs: 1000,
  pollBackoffBaseMs: 10,
  pollBackoffMaxMs: 100,
  maxPollFailures: 3,
  pollMinIntervalMs: 0,
  typingThrottleMs: 1000,
  suggestionDebounceMs: 200,
  connectRetries: 2,
  connectRetryBaseMs: 100,
  connectRetryMaxMs: 1000,
};

export const input: ChatSessionInput = { identity, timing: fastTiming };

/** Context fields to override; the grouped ones (bookkeeping, compose, survey) merge field by field. */
export type ContextOverrides = Omit<Partial<ChatSessionContext>, 'bookkeeping' | 'compose' | 'survey'> & {
  bookkeeping?: Partial<ChatSessionContext['bookkeeping']>;
  compose?: Partial<ChatSessionContext['compose']>;
  survey?: Partial<ChatSessionContext['survey']>;
};

/** The machine's initial context for `input`, with overrides. */
export function freshContext(over: ContextOverrides = {}): ChatSessionContext {
  const [snapshot] = initialTransition(chatSessionMachine, input);
  const base = snapshot.context;
  return {
    ...base,
    ...over,
    bookkeeping: { ...base.bookkeeping, ...over.bookkeeping },
    compose: { ...base.compose, ...over.compose },
    survey: { ...base.survey, ...over.survey },
  };
}

// ---------------------------------------------------------------------------------------------
// Downlink messages

let seq = 0;
const base = (over: Partial<ChatDownlink> = {}) => ({
  messageCode: null,
  senderNickname: null,
  timestamp: 1_700_000_000_000 + ++seq,
  callId: null,
  from: identity.channelId,
  to: identity.userId,
  ...over,
});

export function chat(
  sourceType: 'AGENT' | 'ROBOT' | 'SYSTEM',
  key: string,
  text: string,
  over: Partial<ChatDownlink> = {},
): ChatDownlink {
  return {
    ...base(),
    key,
    messageCode: key,
    sourceType,
    senderNickname: sourceType === 'AGENT' ? 'Agent Smith' : sourceType === 'ROBOT' ? 'Robo' : 'system',
    controlType: 'CHAT',
    content: { mediaType: 'TEXT', text },
    interIdx: sourceType === 'ROBOT' ? String(seq) : null,
    robotGender: null,
    simQuestions: null,
    queueFlag: false,
    ...over,
  };
}

export const agentText = (key: string, text = 'hello from agent') => chat('AGENT', key, text);
export const robotText = (key: string, text = 'hello from robot', interIdx?: string) =>
  chat('ROBOT', key, text, interIdx === undefined ? {} : { interIdx });
export const systemText = (key: string, text = 'Queuing...') => chat('SYSTEM', key, text);

export function agentImage(key: string): ChatDownlink {
  return chat('AGENT', key, '', {
    content: { mediaType: 'IMAGE', file: { fileId: 'media-1', fileType: 'jpg', multiMedia: true }, resourceId: 'media-1' },
  });
}

export function disconnect(sourceType: 'AGENT' | 'SYSTEM' | 'ROBOT', key: string, isOfflineStatus = false): DisconnectDownlink {
  return { ...base(), key, sourceType, controlType: 'DISCONNECT', isOfflineStatus };
}

export function readNotice(key: string, messageIds: string[]): ReadDownlink {
  return { ...base(), key, sourceType: 'AGENT', controlType: 'READ', messageIds };
}

export function history(key: string, timestamp: number, sourceType: HistoryMessage['sourceType'] = 'AGENT'): HistoryMessage {
  return {
    id: key,
    key,
    messageCode: key,
    sourceType,
    controlType: 'CHAT',
    mediaType: 'TEXT',
    content: `history ${key}`,
    senderNickname: null,
    timestamp,
    callId: null,
  };
}

// ---------------------------------------------------------------------------------------------
// Internal events for pure `transition(...)` tests

export function done(id: string, output?: unknown): ChatSessionEvent {
  return { type: `xstate.done.actor.${id}`, output } as unknown as ChatSessionEvent;
}

export function failed(id: string, error: unknown): ChatSessionEvent {
  return { type: `xstate.error.actor.${id}`, error } as unknown as ChatSessionEvent;
}

/** The sendMessage worker's answers (src/actors/uplink.ts). */
export function sent(output: ResultInfo & { localId: string }): ChatSessionEvent {
  return { type: 'message.sent', output };
}

export function sendFailed(error: unknown, localId = ''): ChatSessionEvent {
  return { type: 'message.sendFailed', localId, error: toErrorInfo(error) };
}

export const polled = (...messages: DownlinkMessage[]): ChatActorEvent => ({ type: 'poll.messages', messages });

export function businessError(resultCode: string, resultDesc = 'refused', api: 'send' | 'sendAsync' = 'send'): AiccError {
  return new AiccError({ kind: 'business', api, resultCode, resultDesc, message: `${api} CONNECT: ${resultDesc}` });
}

export function networkError(api: 'send' | 'poll' = 'send'): AiccError {
  return new AiccError({ kind: 'network', api, message: 'ECONNRESET' });
}

export const ok = (resultDesc = 'success'): ResultInfo => ({ resultCode: '0', resultDesc });

// ---------------------------------------------------------------------------------------------
// Fake actors

/** A promise actor whose calls are recorded and whose answers the test scripts. */
export interface Scripted<TInput, TOutput> {
  calls: TInput[];
  /** Default answer (value, or a function of the input; throw to fail). */
  answer: (input: TInput) => TOutput | Promise<TOutput>;
  aborted: number;
}

function scripted<TInput, TOutput>(answer: (input: TInput) => TOutput | Promise<TOutput>) {
  const handle: Scripted<TInput, TOutput> = { calls: [], answer, aborted: 0 };
  const logic = fromPromise<TOutput, TInput>(async ({ input, signal }) => {
    handle.calls.push(input);
    signal.addEventListener('abort', () => (handle.aborted += 1));
    return handle.answer(input);
  });
  return { handle, logic };
}

/**
 * The sendMessage worker as the test scripts it: each `send` it is told is recorded in `calls`
 * and answered by `answer` (message.sent, or message.sendFailed when it throws); stopping the
 * worker aborts what it still sends (`aborted` counts them) and drops their answers.
 */
function scriptedSendWorker<TInput extends { localId: string }, TOutput>(answer: (input: TInput) => TOutput | Promise<TOutput>) {
  const handle: Scripted<TInput, TOutput> = { calls: [], answer, aborted: 0 };
  const logic = fromCallback<{ type: 'send'; input: TInput }, void>(({ sendBack, receive }) => {
    const pending = new Set<TInput>();
    let stopped = false;
    receive(({ input }) => {
      handle.calls.push(input);
      pending.add(input);
      void (async () => {
        let reply: ChatActorEvent;
        try {
          reply = { type: 'message.sent', output: (await handle.answer(input)) as never };
        } catch (error) {
          reply = { type: 'message.sendFailed', localId: input.localId, error: toErrorInfo(error) };
        }
        pending.delete(input);
        if (!stopped) sendBack(reply);
      })();
    });
    return () => {
      stopped = true;
      handle.aborted += pending.size;
    };
  });
  return { handle, logic };
}

/** A callback actor the test drives: `emit` sends to the machine, `received` records events. */
export interface Channel<TReceived = EventObject> {
  running: number;
  starts: number;
  received: TReceived[];
  emit(event: ChatActorEvent): void;
}

function channel<TReceived extends EventObject, TInput>(onStart?: (emit: (event: ChatActorEvent) => void) => void) {
  const senders = new Set<(event: ChatActorEvent) => void>();
  const handle: Channel<TReceived> = {
    running: 0,
    starts: 0,
    received: [],
    emit(event) {
      for (const send of senders) send(event);
    },
  };
  const logic = fromCallback<TReceived, TInput>(({ sendBack, receive }) => {
    const send = (event: ChatActorEvent) => sendBack(event);
    senders.add(send);
    handle.running += 1;
    handle.starts += 1;
    receive((event) => handle.received.push(event));
    onStart?.(send);
    return () => {
      senders.delete(send);
      handle.running -= 1;
    };
  });
  return { handle, logic };
}

export const agentSurvey: SurveyMode = {
  surveyType: 'WEB',
  levels: [
    { key: '1', label: 'Very dissatisfied' },
    { key: '5', label: 'Very satisfied' },
  ],
  questions: ['NPS', 'FCR'],
};

export function fakeActors() {
  const authenticate = scripted<void, void>(() => undefined);
  const loadHistory = scripted<unknown, HistoryMessage[]>(() => []);
  const connect = scripted<unknown, ResultInfo>(() => ok('success'));
  const sendMessage = scriptedSendWorker<{ localId: string; content: string; mediaType: string; timestamp: number }, ResultInfo & { localId: string }>(
    (i) => ({ ...ok('sendUserMessage successfully.'), localId: i.localId }),
  );
  const suggestPhrases = scripted<{ text: string; locale: string }, { text: string; phrases: string[] }>((i) => ({
    text: i.text,
    phrases: [`${i.text}?`],
  }));
  const sendTyping = scripted<unknown, void>(() => undefined);
  const requestAgent = scripted<unknown, ResultInfo>(() => ok());
  const sendReadReceipt = scripted<{ messageIds: string[] }, { messageIds: string[] }>((i) => ({ messageIds: i.messageIds }));
  const fetchSurveyMode = scripted<unknown, SurveyMode>(() => ({ surveyType: 'NO' }));
  const submitAgentSurvey = scripted<unknown, ResultInfo>(() => ok());
  const submitRobotFeedback = scripted<unknown, ResultInfo>(() => ok());
  const disconnectCall = scripted<unknown, void>(() => undefined);
  const leaveMessage = scripted<unknown, ResultInfo>(() => ok());
  const pollLoop = channel<EventObject, unknown>();
  const watchQueue = channel<EventObject, unknown>();
  const uploadFile = channel<UploadWorkerEvent, void>((send) => send({ type: 'upload.ready' }));
  const downloadFile = channel<DownloadWorkerEvent, void>((send) => send({ type: 'download.ready' }));

  const actors = {
    authenticate: authenticate.logic,
    loadHistory: loadHistory.logic,
    connect: connect.logic,
    pollLoop: pollLoop.logic,
    watchQueue: watchQueue.logic,
    sendMessage: sendMessage.logic,
    uploadFile: uploadFile.logic,
    downloadFile: downloadFile.logic,
    suggestPhrases: suggestPhrases.logic,
    sendTyping: sendTyping.logic,
    requestAgent: requestAgent.logic,
    sendReadReceipt: sendReadReceipt.logic,
    fetchSurveyMode: fetchSurveyMode.logic,
    submitAgentSurvey: submitAgentSurvey.logic,
    submitRobotFeedback: submitRobotFeedback.logic,
    disconnect: disconnectCall.logic,
    leaveMessage: leaveMessage.logic,
  } as unknown as ChatSessionActorContracts;

  return {
    actors,
    authenticate: authenticate.handle,
    loadHistory: loadHistory.handle,
    connect: connect.handle,
    sendMessage: sendMessage.handle,
    suggestPhrases: suggestPhrases.handle,
    sendTyping: sendTyping.handle,
    requestAgent: requestAgent.handle,
    sendReadReceipt: sendReadReceipt.handle,
    fetchSurveyMode: fetchSurveyMode.handle,
    submitAgentSurvey: submitAgentSurvey.handle,
    submitRobotFeedback: submitRobotFeedback.handle,
    disconnect: disconnectCall.handle,
    leaveMessage: leaveMessage.handle,
    pollLoop: pollLoop.handle,
    watchQueue: watchQueue.handle,
    uploadFile: uploadFile.handle,
    downloadFile: downloadFile.handle,
  };
}

export type Fakes = ReturnType<typeof fakeActors>;

/** Lets pending promise actors settle (microtasks only, no timers). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export function startSession(options: { input?: ChatSessionInput; fakes?: Fakes; snapshot?: Snapshot<unknown> } = {}) {
  const fakes = options.fakes ?? fakeActors();
  const clock = new SimulatedClock();
  const actor = createActor(chatSessionMachine.provide({ actors: fakes.actors }), {
    input: options.input ?? input,
    clock,
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
  });
  actor.start();
  return { actor, fakes, clock };
}
