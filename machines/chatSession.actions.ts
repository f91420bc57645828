/**
 * The context updates of the chat-session machine as pure functions
 * `(context, ...) => Partial<context>`. The machine wraps each in a named `assign` action;
 * tests call them directly. Snapshots are immutable: arrays and the index are copied on
 * write, and only when something actually changes.
 */
import type { AiccErrorInfo } from '../src/client/errors.js';
import type { DownlinkMessage, HistoryMessage, SurveyMode } from '../src/client/types.js';
import type {
  AgentSurveyAnswer,
  ChatSessionContext,
  ChatSessionError,
  DownloadEntry,
  EndReason,
  LeaveMessageDraft,
  OutgoingEntry,
  QueueInfo,
  RobotSurveyAnswer,
} from './chatSession.types.js';
import { TranscriptWriter, entryAt } from './chatSession.transcript.js';
import { UPLOAD_MEDIA_TYPES, binarySize, normaliseFileType } from './chatSession.validation.js';

type Update = Partial<ChatSessionContext>;

// ---------------------------------------------------------------------------------------------
// Transcript plumbing

function updateOutgoing(
  writer: TranscriptWriter,
  key: string,
  update: (entry: OutgoingEntry) => OutgoingEntry,
): void {
  writer.replace(key, (entry) => (entry.kind === 'outgoing' ? update(entry) : entry));
}

/** The key the READ notices of the simulator use for an outgoing message: its wire timestamp. */
export function localIdFor(timestamp: number): string {
  return `out-${timestamp}`;
}

// Updates are built by assignment, not `{ ...update, newKey }`: in Node 20's V8 an object spread
// followed by keys the source lacks is ~30× slower and gives every result its own hidden class
// (bench/machine-step.ts, docs/performance.md). Spreads that only override existing keys are fine.

// ---------------------------------------------------------------------------------------------
// Incoming

/**
 * Merges one poll batch: appends new messages (deduplicated by key), folds READ notices into
 * outgoing entries, and tracks who serves the customer, the agent's nickname, the robot's
 * latest interIdx, unread agent messages and the server's DISCONNECT.
 */
export function receiveMessages(context: ChatSessionContext, messages: readonly DownlinkMessage[]): Update {
  const writer = new TranscriptWriter(context);
  let { servedBy, agentNickname, serverDisconnect } = context;
  let { lastInterIdx, awaitingAgent } = context.bookkeeping;
  let unread: string[] | null = null;

  for (const message of messages) {
    if (message.controlType === 'READ') {
      for (const id of message.messageIds) {
        const key = writer.has(id) ? id : localIdFor(Number(id));
        updateOutgoing(writer, key, (entry) => (entry.read ? entry : { ...entry, read: true }));
      }
      continue;
    }
    if (!writer.append({ kind: 'incoming', key: message.key, message })) continue;

    if (message.controlType === 'CHAT') {
      if (message.sourceType === 'AGENT') {
        servedBy = 'agent';
        awaitingAgent = false;
        if (message.senderNickname) agentNickname = message.senderNickname;
        (unread ??= context.bookkeeping.unreadAgentKeys.slice()).push(message.key);
      } else if (message.sourceType === 'ROBOT') {
        if (message.interIdx) lastInterIdx = message.interIdx;
        if (servedBy === null && !awaitingAgent) servedBy = 'robot';
      }
    } else if (message.controlType === 'DISCONNECT') {
      serverDisconnect = { sourceType: message.sourceType, isOfflineStatus: message.isOfflineStatus };
    }
  }

  const update: Update = writer.result();
  if (servedBy !== context.servedBy) update.servedBy = servedBy;
  if (agentNickname !== context.agentNickname) update.agentNickname = agentNickname;
  if (serverDisconnect !== context.serverDisconnect) update.serverDisconnect = serverDisconnect;
  const { bookkeeping } = context;
  if (lastInterIdx !== bookkeeping.lastInterIdx || awaitingAgent !== bookkeeping.awaitingAgent || unread) {
    update.bookkeeping = { ...bookkeeping, lastInterIdx, awaitingAgent, unreadAgentKeys: unread ?? bookkeeping.unreadAgentKeys };
  }
  if (context.connection.pollFailures !== 0) update.connection = { ...context.connection, pollFailures: 0, lastPollError: null };
  return update;
}

/** History goes first, oldest first, deduplicated by key like everything else. */
export function mergeHistory(context: ChatSessionContext, history: readonly HistoryMessage[]): Update {
  const writer = new TranscriptWriter(context);
  const sorted = history
    .map((message, order) => ({ message, order }))
    .sort((a, b) => a.message.timestamp - b.message.timestamp || a.order - b.order);
  for (const { message } of sorted) writer.append({ kind: 'history', key: message.key, message });
  return writer.result();
}

// ---------------------------------------------------------------------------------------------
// Outgoing

function nextTimestamp(context: ChatSessionContext, now: number): number {
  return Math.max(Math.floor(now), context.bookkeeping.lastOutgoingTimestamp + 1);
}

/** What differs between a text and a file entry; the rest of an outgoing entry is common. */
type OutgoingPayload = Pick<OutgoingEntry, 'mediaType' | 'text' | 'file' | 'content' | 'status'>;

/** Appends an outgoing entry with the next unique wire timestamp and queues it in the outbox. */
function enqueueOutgoing(context: ChatSessionContext, now: number, payload: (timestamp: number) => OutgoingPayload): Update {
  const timestamp = nextTimestamp(context, now);
  const localId = localIdFor(timestamp);
  const writer = new TranscriptWriter(context);
  const { mediaType, text, file, content, status } = payload(timestamp);
  writer.append({ kind: 'outgoing', key: localId, localId, timestamp, wireTimestamp: String(timestamp), mediaType, text, file, content, status, read: false, error: null });
  const update = writer.result();
  update.outbox = [...context.outbox, localId];
  update.bookkeeping = { ...context.bookkeeping, lastOutgoingTimestamp: timestamp };
  update.error = null;
  return update;
}

export function enqueueText(context: ChatSessionContext, text: string, now: number): Update {
  const update = enqueueOutgoing(context, now, () => ({ mediaType: 'TEXT', text, file: null, content: text, status: 'queued' }));
  update.compose = { draft: '', suggestions: [] };
  return update;
}

/** Sanitised display name: the FILE wire format joins fields with commas. */
export function fileNameFor(name: unknown, fileType: string, timestamp: number): string {
  const base = typeof name === 'string' && name.trim() !== '' ? name.trim() : `file-${timestamp}.${fileType}`;
  return base.replace(/,/g, '_');
}

export function enqueueFile(
  context: ChatSessionContext,
  file: { data: unknown; fileType: string; name?: unknown },
  now: number,
): Update {
  const fileType = normaliseFileType(file.fileType) ?? 'jpg';
  return enqueueOutgoing(context, now, (timestamp) => ({
    mediaType: UPLOAD_MEDIA_TYPES[fileType] ?? 'FILE',
    text: null,
    file: { name: fileNameFor(file.name, fileType, timestamp), size: binarySize(file.data) ?? 0, fileType, objectKey: null },
    content: null,
    status: 'uploading',
  }));
}

/** aicc-api.md §4.3: IMAGE/AUDIO/VIDEO carry the bare objectKey, FILE "name,size,objectKey,ext". */
export function wireContentFor(entry: OutgoingEntry, objectKey: string): string {
  if (entry.mediaType === 'FILE' && entry.file) {
    return [entry.file.name, String(entry.file.size), objectKey, entry.file.fileType].join(',');
  }
  return objectKey;
}

export function completeUpload(context: ChatSessionContext, localId: string, objectKey: string): Update {
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, localId, (entry) =>
    entry.status !== 'uploading' || !entry.file
      ? entry
      : { ...entry, status: 'queued', content: wireContentFor(entry, objectKey), file: { ...entry.file, objectKey }, error: null },
  );
  return writer.result();
}

function failEntries(
  context: ChatSessionContext,
  select: (entry: OutgoingEntry) => boolean,
  error: (entry: OutgoingEntry) => ChatSessionError,
  patch: Partial<OutgoingEntry> = {},
): Update {
  const writer = new TranscriptWriter(context);
  const failed = new Set<string>();
  for (const localId of context.outbox) {
    const entry = writer.get(localId);
    if (entry?.kind !== 'outgoing' || !select(entry)) continue;
    failed.add(localId);
    updateOutgoing(writer, localId, (current) => ({ ...current, ...patch, status: 'failed', error: error(current) }));
  }
  if (failed.size === 0) return {};
  const update = writer.result();
  update.outbox = context.outbox.filter((id) => !failed.has(id));
  return update;
}

export function failUpload(context: ChatSessionContext, localId: string, error: AiccErrorInfo): Update {
  return failEntries(context, (entry) => entry.localId === localId && entry.status === 'uploading', () => error);
}

/** After a reload the bytes of an unfinished upload are gone: fail it visibly. */
export function failOrphanedUploads(context: ChatSessionContext): Update {
  return failEntries(
    context,
    (entry) => entry.status === 'uploading',
    () => ({
      name: 'AiccError',
      kind: 'validation',
      api: 'uploadFileStream',
      field: 'data',
      message: 'The file was not uploaded before the page was reloaded; pick it again.',
    }),
  );
}

export function outboxHead(context: ChatSessionContext): OutgoingEntry | undefined {
  const head = context.outbox[0];
  const entry = head === undefined ? undefined : entryAt(context, head);
  return entry?.kind === 'outgoing' ? entry : undefined;
}

export function markHeadSending(context: ChatSessionContext): Update {
  const head = outboxHead(context);
  if (!head || head.status !== 'queued') return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, head.localId, (entry) => ({ ...entry, status: 'sending', error: null }));
  return writer.result();
}

export function markSent(context: ChatSessionContext, localId: string | undefined): Update {
  const id = localId ?? context.outbox[0];
  if (id === undefined) return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, id, (entry) => ({ ...entry, status: 'sent', error: null }));
  const update = writer.result();
  update.outbox = context.outbox.filter((queued) => queued !== id);
  return update;
}

/**
 * How a failed CHAT send is handled, from what the error says about the server:
 * - `resend`: it certainly did not reach the server and may work later — connection refused
 *   (`network` with `outcomeUnknown: false`), HTTP 429 or 503 (refused before processing, per
 *   RFC 9110), 401 or 403 (the gateway refused the token even after the client's own re-apply /
 *   renewal and retry). Resent automatically, in order, with backoff.
 * - `unknown`: the server may have processed it — timeout, reset, abort (`outcomeUnknown`),
 *   HTTP 500 (aicc-api.md: "business failure", i.e. the service ran it), 502/504 and other 5xx (a
 *   gateway lost the upstream answer), an answer that is not the documented shape. Shown failed
 *   with `outcomeUnknown: true`; never repeated without the customer asking.
 * - `failed`: the server answered and refused (business codes, 4xx) or it was never sendable
 *   (validation). Shown failed; repeating it would not help.
 */
export type SendFailure = 'resend' | 'unknown' | 'failed';

export function sendFailure(error: AiccErrorInfo): SendFailure {
  if (error.outcomeUnknown === true) return 'unknown';
  switch (error.kind) {
    case 'network':
      return error.outcomeUnknown === false ? 'resend' : 'unknown';
    case 'http':
      // 401/403 reach us only after the client re-applied for the token / renewed the gateway's
      // AccessToken and retried once: the gateway refused before the service saw anything.
      if (error.status === 401 || error.status === 403 || error.status === 429 || error.status === 503) return 'resend';
      return (error.status ?? 0) >= 500 ? 'unknown' : 'failed';
    case 'timeout':
    case 'aborted':
    case 'protocol':
      return 'unknown';
    default:
      return 'failed';
  }
}

export function markHeadFailed(context: ChatSessionContext, error: AiccErrorInfo): Update {
  const head = outboxHead(context);
  if (!head) return {};
  // An unknown outcome now, or on an earlier attempt of this message: it may have arrived.
  const unknown = sendFailure(error) === 'unknown' || head.maybeDelivered === true;
  const shown: AiccErrorInfo = unknown && error.outcomeUnknown !== true ? { ...error, outcomeUnknown: true } : error;
  return failEntries(context, (entry) => entry.localId === head.localId, () => shown, unknown ? { maybeDelivered: true } : {});
}

/** The head certainly did not arrive: back to `queued`, keeping the error, one resend more. */
export function markHeadResending(context: ChatSessionContext, error: AiccErrorInfo): Update {
  const head = outboxHead(context);
  if (!head) return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, head.localId, (entry) => ({ ...entry, status: 'queued', error, resends: (entry.resends ?? 0) + 1 }));
  return writer.result();
}

/** Leaving `chatting` aborts the message on the wire: its outcome is unknown, so fail it visibly. */
export function interruptSending(context: ChatSessionContext): Update {
  return failSending(context, 'Sending was interrupted; the agent may or may not have received it.');
}

/**
 * A restored snapshot with a send in flight: the page went away before the answer, so the server
 * may or may not have it. Failed visibly with `outcomeUnknown` instead of being re-sent blindly.
 */
export function abandonInterruptedSends(context: ChatSessionContext): Update {
  return failSending(context, 'The page was reloaded while this message was being sent; the agent may or may not have received it.');
}

/** Fails the entry that was on the wire as aborted with an unknown outcome. */
function failSending(context: ChatSessionContext, message: string): Update {
  return failEntries(
    context,
    (entry) => entry.status === 'sending',
    () => ({ name: 'AiccError', kind: 'aborted', api: 'send', outcomeUnknown: true, message }),
    { maybeDelivered: true },
  );
}

/** The conversation is over: nothing still waiting will be sent. */
export function failUnsentMessages(context: ChatSessionContext): Update {
  return failEntries(
    context,
    (entry) => entry.status !== 'sent' && entry.status !== 'failed',
    (entry) => ({
      name: 'AiccError',
      kind: 'aborted',
      api: entry.status === 'uploading' ? 'uploadFileStream' : 'send',
      outcomeUnknown: entry.status === 'sending' || entry.maybeDelivered === true,
      message: 'The conversation ended before the message was sent.',
    }),
  );
}

export function requeueMessage(context: ChatSessionContext, key: string): Update {
  const entry = entryAt(context, key);
  if (entry?.kind !== 'outgoing' || entry.status !== 'failed') return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, key, (current) => {
    const { resends: _resends, ...rest } = current;
    return { ...rest, status: 'queued', error: null };
  });
  const update = writer.result();
  update.outbox = [...context.outbox, entry.localId];
  update.error = null;
  return update;
}

// ---------------------------------------------------------------------------------------------
// Downloads

function setDownload(context: ChatSessionContext, key: string, entry: DownloadEntry): Update {
  return { downloads: { ...context.downloads, [key]: entry } };
}

export function startDownload(context: ChatSessionContext, key: string): Update {
  const entry = entryAt(context, key);
  const fileType =
    entry?.kind === 'incoming' && entry.message.controlType === 'CHAT' && 'file' in entry.message.content
      ? entry.message.content.file.fileType
      : null;
  const update = setDownload(context, key, { status: 'downloading', fileType, fileUrl: null, error: null });
  update.error = null;
  return update;
}

export function completeDownload(context: ChatSessionContext, key: string, fileType: string, fileUrl: string | null): Update {
  return setDownload(context, key, { status: 'done', fileType, fileUrl, error: null });
}

export function failDownload(context: ChatSessionContext, key: string, error: AiccErrorInfo): Update {
  const previous = context.downloads[key];
  return setDownload(context, key, { status: 'failed', fileType: previous?.fileType ?? null, fileUrl: null, error });
}

/** Keys whose download was in flight (to resume after a reload). */
export function pendingDownloads(context: ChatSessionContext): string[] {
  return Object.keys(context.downloads).filter((key) => context.downloads[key]?.status === 'downloading');
}

// ---------------------------------------------------------------------------------------------
// Everything else

export function setEndReason(reason: EndReason): Update {
  return { endReason: reason };
}

export function setError(error: ChatSessionError | null): Update {
  return { error };
}

export function setQueueInfo(info: QueueInfo): Update {
  return { queue: info };
}

export function setConnectivity(context: ChatSessionContext, online: boolean | undefined, pageVisible: boolean | undefined): Update {
  const connection = { ...context.connection };
  if (online !== undefined) connection.online = online;
  if (pageVisible !== undefined) connection.pageVisible = pageVisible;
  return { connection };
}

export function markConnected(context: ChatSessionContext, now: number): Update {
  return { bookkeeping: { ...context.bookkeeping, connectAttempts: 0, connectedAt: Math.floor(now) } };
}

export function countConnectFailure(context: ChatSessionContext): Update {
  return { bookkeeping: { ...context.bookkeeping, connectAttempts: context.bookkeeping.connectAttempts + 1 } };
}

export function markAwaitingAgent(context: ChatSessionContext): Update {
  return { bookkeeping: { ...context.bookkeeping, awaitingAgent: true } };
}

export function recordPollError(context: ChatSessionContext, error: AiccErrorInfo, failures: number): Update {
  return { connection: { ...context.connection, pollFailures: failures, lastPollError: error } };
}

export function markServedBy(context: ChatSessionContext, servedBy: 'robot' | 'agent'): Update {
  return servedBy === 'agent' ? { servedBy, bookkeeping: { ...context.bookkeeping, awaitingAgent: false } } : { servedBy };
}

export function storeSurvey(context: ChatSessionContext, mode: SurveyMode): Update {
  if (mode.surveyType !== 'WEB' || context.servedBy === null) return {};
  return { survey: { ...context.survey, offer: { target: context.servedBy, levels: mode.levels, questions: mode.questions } } };
}

export function markSurveySubmitted(context: ChatSessionContext): Update {
  return { survey: { ...context.survey, answer: null, submitted: true } };
}

export function storeAgentSurveyAnswer(context: ChatSessionContext, event: AgentSurveyAnswer): Update {
  const answer: AgentSurveyAnswer = { evaluation: event.evaluation };
  if (event.comment !== undefined) answer.comment = event.comment;
  if (event.npsScore !== undefined) answer.npsScore = event.npsScore;
  if (event.fcr !== undefined) answer.fcr = event.fcr;
  return { survey: { ...context.survey, answer }, error: null };
}

export function storeRobotSurveyAnswer(context: ChatSessionContext, event: RobotSurveyAnswer): Update {
  const answer: RobotSurveyAnswer = { satisfied: event.satisfied };
  if (event.comment !== undefined) answer.comment = event.comment;
  return { survey: { ...context.survey, answer }, error: null };
}

export function storeLeaveMessage(draft: LeaveMessageDraft): Update {
  return { leaveMessage: { caller: draft.caller.trim(), message: draft.message }, error: null };
}

export function storeDraft(context: ChatSessionContext, text: unknown): Update {
  return { compose: { ...context.compose, draft: typeof text === 'string' ? text : '' } };
}

export function clearSuggestions(context: ChatSessionContext): Update {
  return context.compose.suggestions.length === 0 ? {} : { compose: { ...context.compose, suggestions: [] } };
}

export function setSuggestions(context: ChatSessionContext, text: string, phrases: readonly string[]): Update {
  // A late answer for text the customer has since changed or sent is dropped.
  return text === context.compose.draft ? { compose: { ...context.compose, suggestions: phrases.slice(0, 5) } } : {};
}

export function acknowledgeRead(context: ChatSessionContext, messageIds: readonly string[]): Update {
  const done = new Set(messageIds);
  return { bookkeeping: { ...context.bookkeeping, unreadAgentKeys: context.bookkeeping.unreadAgentKeys.filter((key) => !done.has(key)) } };
}
