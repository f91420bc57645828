/**
 * The named actions of the chat-session machine, each defined once and referenced by name in
 * the config: an `assign` around one pure update of chatSession.updates.ts, or an effect
 * (send to a worker, raise, emit) queued with `enqueueActions`. An action reads its event's
 * payload only after `assertEvent` (a wiring mistake throws instead of doing nothing); the
 * payload itself is still checked by the update, since custom actors may send anything.
 * Actions on `onDone` / `onError` read the actor's output or error (`outputOf` / `errorOf`):
 * those events are not part of the declared event union.
 */
import { assertEvent, assign, enqueueActions, raise, sendTo, type AnyActorRef } from 'xstate';
import type { HistoryMessage, SurveyMode } from '../src/client/types.js';
import { errorOf, outputOf } from './chatSession.guards.js';
import { incomingFileAt, pendingDownloads, pendingUploads } from './chatSession.selectors.js';
import type {
  ChatSessionActorContracts,
  ConnectOutput,
  DisconnectOutput,
  DownloadWorkerEvent,
  ReadReceiptOutput,
  SendMessageOutput,
  SendMessageWorkerEvent,
  SuggestPhrasesOutput,
  UploadWorkerEvent,
} from './chatSession.contracts.js';
import type { ChatSessionContext, ChatSessionEmitted, ChatSessionEvent, EndReason } from './chatSession.types.js';
import { connectivityNotice, sendMessageInput } from './chatSession.inputs.js';
import * as update from './chatSession.updates.js';
import {
  normaliseFileType,
  validateAgentRequest,
  validateAgentSurvey,
  validateDownload,
  validateFile,
  validateLeaveMessage,
  validateRetry,
  validateRobotSurvey,
  validateText,
} from './chatSession.validation.js';

type Context = ChatSessionContext;
type Event = ChatSessionEvent;
type Args = { context: Context; event: Event };
type Update = Partial<Context>;

/** `assign` typed for this machine outside `setup` (which checks every name and params). */
function assigns<TParams extends object | undefined = undefined>(updater: (args: Args, params: TParams) => Update) {
  return assign<Context, Event, TParams, Event, never>(updater);
}

/** The only guard an action checks: the poll loop runs (it is invoked by `connected`). */
type PollingGuard = { type: 'isPolling'; params: unknown };

/** `enqueueActions` typed for this machine outside `setup`. */
const effects = enqueueActions<Context, Event, undefined, Event, never, never, PollingGuard, never, ChatSessionEmitted>;
const effectsWith = <TParams extends object>(collect: Parameters<typeof enqueueActions<Context, Event, TParams, Event, never, never, PollingGuard, never, ChatSessionEmitted>>[0]) =>
  enqueueActions<Context, Event, TParams, Event, never, never, PollingGuard, never, ChatSessionEmitted>(collect);

/**
 * The file workers, started with the first pending transfer of their kind and stopped after
 * the last (most sessions never send or fetch a file: docs/performance.md, heap).
 */
type FileWorker =
  | { src: 'uploadFile'; logic: ChatSessionActorContracts['uploadFile']; id: string | undefined }
  | { src: 'downloadFile'; logic: ChatSessionActorContracts['downloadFile']; id: string | undefined };

/** `enqueueActions` typed for this machine outside `setup`, allowed to start and stop the file workers. */
const workerEffects = enqueueActions<Context, Event, undefined, Event, FileWorker, never, PollingGuard, never, ChatSessionEmitted>;
type WorkerEnqueue = Parameters<Parameters<typeof workerEffects>[0]>[0]['enqueue'];

/** Starts `worker` for the first transfer of its kind, under its own name as child id. */
function startWorker(enqueue: WorkerEnqueue, worker: update.FileWorkerId): void {
  // Never two: one left over (its transfers were ended another way) is replaced.
  enqueue.stopChild(worker);
  enqueue.spawnChild(worker, { id: worker });
  enqueue.assign(({ context }) => update.markWorkerStarting(context, worker));
}

/** Stops `worker` (a no-op when it does not run). */
function stopWorker(enqueue: WorkerEnqueue, worker: update.FileWorkerId): void {
  enqueue.stopChild(worker);
  enqueue.assign(({ context }) => update.clearWorkerStarting(context, worker));
}

/** The download worker's order for the incoming file under `key` (null: none there). */
function downloadStartFor(context: Context, key: unknown): DownloadWorkerEvent | null {
  const found = incomingFileAt(context, key);
  return found && { type: 'download.start', key: found.key, file: found.file };
}

/** What connectivity or visibility changed to; the other stays as it is. */
export interface ConnectivityChange {
  online?: boolean;
  pageVisible?: boolean;
}

export const chatSessionActions = {
  // --- lifecycle
  setEndReason: assigns<{ reason: EndReason }>((_, { reason }) => update.setEndReason(reason)),
  setErrorFromActor: assigns(({ event }) => update.setError(errorOf(event))),
  clearError: assigns(() => ({ error: null })),
  countConnectFailure: assigns(({ context }) => update.countConnectFailure(context)),
  markConnectAttempt: assigns(({ context }) => update.markConnectAttempt(context, Date.now())),
  noteConnectFailure: assigns(({ context, event }) => update.noteConnectFailure(context, (event as { error?: unknown }).error)),
  countAuthFailure: assigns(({ context }) => update.countAuthFailure(context)),
  countSurveyModeFailure: assigns(({ context }) => update.countSurveyModeFailure(context)),
  resetRetryCounts: assigns(({ context }) => update.resetRetryCounts(context)),
  // sendAsync only acknowledges CONNECT: the first poll answer confirms it.
  markConnected: assigns(({ context, event }) =>
    update.markConnected(context, Date.now(), context.config.connectVia === 'send' || outputOf<Partial<ConnectOutput>>(event)?.confirmedByPoll === true),
  ),
  confirmConnect: effects(({ context, enqueue }) => {
    if (context.bookkeeping.connectConfirmed) return;
    enqueue.assign(update.confirmConnect(context));
    enqueue.sendTo('watchQueue', { type: 'connect.confirmed' });
  }),
  markSessionLost: assigns(({ context }) => update.markSessionLost(context)),
  noteConnectAbandoned: assigns(({ context }) => update.noteConnectAbandoned(context)),
  mergeHistory: assigns(({ context, event }) => {
    const output = outputOf<HistoryMessage[]>(event);
    return Array.isArray(output) ? update.mergeHistory(context, output) : {};
  }),
  markServedByRobot: assigns(({ context }) => update.markServedBy(context, 'robot')),
  markServedByAgent: assigns(({ context }) => update.markServedBy(context, 'agent')),
  markAwaitingAgent: assigns(({ context }) => update.markAwaitingAgent(context)),
  rejectAgentRequest: assigns(({ context }) => update.setError(validateAgentRequest(context))),

  // --- incoming
  receiveMessages: assigns(({ context, event }) => {
    assertEvent(event, ['poll.messages', 'session.lost']);
    return update.receiveMessages(context, event.messages);
  }),
  noteServerGone: assigns(({ context, event }) => {
    assertEvent(event, 'session.gone');
    return update.noteServerGone(context, event.lost);
  }),
  /** The customer ended after the server had (session.gone): what it ended with goes in first. */
  receiveServerEnd: assigns(({ context }) => {
    const lost = context.bookkeeping.serverGone;
    return lost ? update.receiveMessages(context, [lost]) : {};
  }),
  // What the poll that confirmed a CONNECT with a lost answer took (connectActor) is handled as
  // the poll loop's would be: it may already hold the server's DISCONNECT or the agent.
  relayConnectMessages: effects(({ event, enqueue }) => {
    const messages = outputOf<Partial<ConnectOutput>>(event)?.messages;
    if (Array.isArray(messages) && messages.length > 0) enqueue.raise({ type: 'poll.messages', messages });
  }),
  mergeFinalMessages: assigns(({ context, event }) => {
    // From the output, or from a failed DISCONNECT's error (`recovered`, `gap`): the catch-up ran anyway.
    const output = outputOf<Partial<DisconnectOutput>>(event);
    const failed = (event as { error?: { recovered?: unknown; gap?: unknown } }).error;
    return update.mergeFinalCatchUp(context, output?.messages ?? failed?.recovered, output ? output.gap : failed?.gap, Date.now());
  }),
  recordPollError: assigns(({ context, event }) => {
    assertEvent(event, 'poll.error');
    return update.recordPollError(context, event.error, event.failures);
  }),
  setPollFailure: assigns(({ event }) => {
    assertEvent(event, 'poll.failed');
    return update.setError(event.error);
  }),
  setQueueInfo: assigns(({ event }) => {
    assertEvent(event, 'queue.updated');
    return update.setQueueInfo(event.info);
  }),
  clearQueue: assigns(() => ({ queue: null })),

  // --- outgoing
  enqueueText: assigns(({ context, event }) => {
    assertEvent(event, 'message.send');
    return update.enqueueText(context, event.text, Date.now());
  }),
  // Queued and marked on the wire in one assign: XState rebuilds the snapshot on every assign.
  enqueueTextSending: assigns(({ context, event }) => {
    assertEvent(event, 'message.send');
    return update.enqueueText(context, event.text, Date.now(), 'sending');
  }),
  rejectText: assigns(({ event }) => update.setError(validateText(event))),
  enqueueFile: assigns(({ context, event }) => {
    assertEvent(event, 'file.send');
    return update.enqueueFile(context, event, Date.now());
  }),
  // After enqueueFile: the file just queued is pending.
  startUpload: workerEffects(({ context, event, enqueue }) => {
    assertEvent(event, 'file.send');
    const uploadStart: UploadWorkerEvent = {
      type: 'upload.start',
      localId: update.localIdFor(context.bookkeeping.lastOutgoingTimestamp),
      fileType: normaliseFileType(event.fileType) ?? 'jpg',
      data: event.data,
    };
    if (pendingUploads(context).length === 1) startWorker(enqueue, 'uploadFile');
    enqueue.sendTo('uploadFile', uploadStart);
  }),
  welcomeUploadWorker: assigns(({ context }) => update.welcomeUploadWorker(context)),
  stopIdleUploadWorker: workerEffects(({ context, enqueue }) => {
    if (pendingUploads(context).length === 0) stopWorker(enqueue, 'uploadFile');
  }),
  rejectFile: assigns(({ context, event }) => update.setError(validateFile(context, event))),
  completeUpload: assigns(({ context, event }) => {
    assertEvent(event, 'upload.done');
    return update.completeUpload(context, event.localId, event.objectKey);
  }),
  recordUploadProgress: assigns(({ context, event }) => {
    assertEvent(event, 'upload.progress');
    return update.recordUploadProgress(context, event.localId, event.loaded, event.total);
  }),
  failUpload: assigns(({ context, event }) => {
    assertEvent(event, 'upload.failed');
    return update.failUpload(context, event.localId, event.error);
  }),
  failOrphanedUploads: assigns(({ context }) => update.failOrphanedUploads(context)),
  markHeadSending: assigns(({ context }) => update.markHeadSending(context)),
  markSent: assigns(({ context, event }) => update.markSent(context, outputOf<SendMessageOutput>(event)?.localId)),
  markHeadFailed: assigns(({ context, event }) => update.markHeadFailed(context, errorOf(event))),
  requeueHeadForResend: assigns(({ context, event }) => update.requeueHeadForResend(context, errorOf(event))),
  // The head, just marked sending, goes to the sendMessage worker (invoked by `chatting`).
  // A plain sendTo: enqueueActions costs more per call (docs/performance.md).
  sendHead: sendTo<Context, Event, undefined, AnyActorRef, Event>('sendMessage', ({ context }: Args): SendMessageWorkerEvent => ({ type: 'send', input: sendMessageInput({ context }) })),
  flushOutbox: raise<Context, Event, Event, undefined, never, never>({ type: 'outbox.flush' }),

  // --- connectivity and visibility (the poll loop is told while it runs)
  setConnectivity: effectsWith<ConnectivityChange>(({ enqueue, check }, change) => {
    enqueue.assign(({ context }) => update.setConnectivity(context, change.online, change.pageVisible));
    if (check('isPolling')) enqueue.sendTo('pollLoop', ({ context }) => connectivityNotice({ context }));
  }),
  // Left on the send's own answer (a refusal that ends the session), nothing is on the wire any
  // more: the transition's markHeadFailed records that answer instead of "may have arrived".
  // (Exit actions see the event that left the state, actor events included.)
  interruptSending: assigns(({ context, event }) => {
    const cause: string = event.type;
    return cause === 'message.sendFailed' ? {} : update.interruptSending(context);
  }),
  failUnsentMessages: assigns(({ context }) => update.failUnsentMessages(context)),
  requeueMessage: assigns(({ context, event }) => {
    assertEvent(event, 'message.retry');
    return update.requeueMessage(context, event.key);
  }),
  rejectRetry: assigns(({ context, event }) => update.setError(validateRetry(context, event))),

  // --- downloads
  startDownload: workerEffects(({ context, event, enqueue }) => {
    assertEvent(event, 'file.download');
    const downloadStart = downloadStartFor(context, event.key);
    if (!downloadStart) return;
    if (pendingDownloads(context).length === 0) startWorker(enqueue, 'downloadFile');
    enqueue.assign(update.startDownload(context, downloadStart.key));
    enqueue.sendTo('downloadFile', downloadStart);
  }),
  rejectDownload: assigns(({ context, event }) => update.setError(validateDownload(context, event))),
  // `download.ready`: the hello of a worker just started for a new download, or a restored
  // worker's news that the downloads in flight were lost (a reload): they start again.
  welcomeDownloadWorker: effects(({ context, enqueue }) => {
    if (context.bookkeeping.downloadWorkerStarting) {
      enqueue.assign(update.clearWorkerStarting(context, 'downloadFile'));
      return;
    }
    for (const key of pendingDownloads(context)) {
      const downloadStart = downloadStartFor(context, key);
      if (downloadStart) enqueue.sendTo('downloadFile', downloadStart);
    }
  }),
  stopIdleDownloadWorker: workerEffects(({ context, enqueue }) => {
    if (pendingDownloads(context).length === 0) stopWorker(enqueue, 'downloadFile');
  }),
  // Leaving `connected`: transfers still running are aborted with their worker.
  stopFileWorkers: workerEffects(({ enqueue }) => {
    stopWorker(enqueue, 'uploadFile');
    stopWorker(enqueue, 'downloadFile');
  }),
  completeDownload: effects(({ context, event, enqueue }) => {
    assertEvent(event, 'download.done');
    enqueue.assign(update.completeDownload(context, event.key, event.fileType, event.fileUrl));
    enqueue.emit({ type: 'file.downloaded', key: event.key, bytes: event.bytes, fileType: event.fileType, fileUrl: event.fileUrl });
  }),
  failDownload: assigns(({ context, event }) => {
    assertEvent(event, 'download.failed');
    return update.failDownload(context, event.key, event.error);
  }),

  // --- typing and suggestions
  storeDraft: assigns(({ context, event }) => {
    assertEvent(event, 'input.change');
    return update.storeDraft(context, event.text);
  }),
  clearSuggestions: assigns(({ context }) => update.clearSuggestions(context)),
  setSuggestions: assigns(({ context, event }) => {
    const output = outputOf<SuggestPhrasesOutput>(event);
    return output && Array.isArray(output.phrases) ? update.setSuggestions(context, output.text, output.phrases) : {};
  }),

  // --- read receipts
  acknowledgeRead: assigns(({ context, event }) => {
    const output = outputOf<ReadReceiptOutput>(event);
    return output && Array.isArray(output.messageIds) ? update.acknowledgeRead(context, output.messageIds) : {};
  }),

  // --- survey and leave-message
  storeSurvey: assigns(({ context, event }) => {
    const output = outputOf<SurveyMode>(event);
    return output ? update.storeSurvey(context, output) : {};
  }),
  storeAgentSurveyAnswer: assigns(({ context, event }) => {
    assertEvent(event, 'survey.submit');
    return 'evaluation' in event ? update.storeAgentSurveyAnswer(context, event) : {};
  }),
  storeRobotSurveyAnswer: assigns(({ context, event }) => {
    assertEvent(event, 'survey.submit');
    return 'satisfied' in event ? update.storeRobotSurveyAnswer(context, event) : {};
  }),
  rejectAgentSurvey: assigns(({ context, event }) => update.setError(validateAgentSurvey(context, event))),
  rejectRobotSurvey: assigns(({ event }) => update.setError(validateRobotSurvey(event))),
  markSurveySubmitted: assigns(({ context }) => update.markSurveySubmitted(context)),
  storeLeaveMessage: assigns(({ event }) => {
    assertEvent(event, 'leaveMessage.submit');
    return update.storeLeaveMessage({ caller: event.caller, message: event.message });
  }),
  rejectLeaveMessage: assigns(({ event }) => update.setError(validateLeaveMessage(event))),
  clearLeaveMessage: assigns(() => ({ leaveMessage: null })),

  // --- refused host input (createChatSession's `send`)
  rejectEvent: assigns(({ event }) => {
    assertEvent(event, 'event.rejected');
    return update.rejectEvent(event.error);
  }),
};

export type ChatSessionActionName = keyof typeof chatSessionActions;
