/**
 * The context updates of the chat-session machine as pure functions
 * `(context, ...) => Partial<context>`. chatSession.actions.ts wraps each in a named action;
 * tests call them directly. Snapshots are immutable: arrays and the index are copied on
 * write, and only when something actually changes.
 */
import { sendFailure, type AiccErrorInfo } from '../src/client/errors.js';
import type { DownlinkMessage, HistoryMessage, SatisfactionLevel } from '../src/client/types.js';
import type {
  AgentSurveyAnswer,
  ChatInputError,
  ChatSessionContext,
  ChatSessionError,
  DownloadEntry,
  EndReason,
  LeaveMessageDraft,
  OutgoingEntry,
  QueueInfo,
  RobotSurveyAnswer,
} from './chatSession.types.js';
import { incomingFileAt, outboxHead, servedByAfter } from './chatSession.selectors.js';
import { TranscriptWriter, entryAt } from './chatSession.transcript.js';
import { UPLOAD_MEDIA_TYPES, binarySize, inputError, normaliseFileType } from './chatSession.validation.js';

type Update = Partial<ChatSessionContext>;

// ---------------------------------------------------------------------------------------------
// Untrusted payloads
//
// The machine's own actors send typed events, but a custom actor (`createChatSession({ actors })`)
// or code driving the machine directly can hand over anything. Every update that reads an event
// field checks it here first: malformed elements are dropped and malformed values ignored, never
// thrown on (a throw in an action puts the whole session in status 'error').

type Loose = Record<string, unknown>;

function isRecord(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isNullableString = (value: unknown): boolean => value === null || value === undefined || typeof value === 'string';
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** Every element (holes included) is a string. */
function isStringArray(value: unknown): value is string[] {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return false;
  return true;
}

/** The elements of `list` that pass `keep` (the same array when all do; holes never pass). */
function keepWhere<T>(list: unknown, keep: (value: unknown) => value is T): T[] {
  if (!Array.isArray(list)) return [];
  const kept: T[] = [];
  for (let i = 0; i < list.length; i++) {
    const value: unknown = list[i];
    if (keep(value)) kept.push(value);
  }
  return kept.length === list.length ? (list as T[]) : kept;
}

/** What a value is, for a message (never throws, never prints the value). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'undefined' ? 'undefined' : type === 'object' ? 'an object' : `a ${type}`;
}

const FILE_MEDIA: ReadonlySet<unknown> = new Set(['IMAGE', 'VIDEO', 'AUDIO', 'DOCUMENT']);

function isDownlinkContent(content: unknown): boolean {
  if (!isRecord(content)) return false;
  switch (content.mediaType) {
    case 'TEXT':
      return typeof content.text === 'string';
    case 'LOCATE':
      return isFiniteNumber(content.latitude) && isFiniteNumber(content.longitude) && typeof content.description === 'string';
    case 'UNKNOWN':
      return isNullableString(content.raw) && isNullableString(content.rawMediaType);
    default: {
      const file = content.file;
      return FILE_MEDIA.has(content.mediaType) && isRecord(file) && typeof file.fileId === 'string' && typeof file.fileType === 'string';
    }
  }
}

/** A downlink the way the client's parser builds it (the fields the machine and a UI read). */
export function isDownlinkMessage(value: unknown): value is DownlinkMessage {
  if (!isRecord(value) || typeof value.key !== 'string' || value.key === '' || typeof value.sourceType !== 'string') return false;
  if (!isFiniteNumber(value.timestamp) || !isNullableString(value.senderNickname)) return false;
  switch (value.controlType) {
    case 'CHAT':
      return isNullableString(value.interIdx) && isDownlinkContent(value.content);
    case 'READ':
      return isStringArray(value.messageIds);
    case 'DISCONNECT':
      return typeof value.isOfflineStatus === 'boolean';
    case 'CONNECT':
    case 'TRANS2AGENT':
    case 'UNKNOWN':
      return isNullableString(value.content);
    default:
      return false;
  }
}

/** A history record the way the client's parser builds it. */
export function isHistoryMessage(value: unknown): value is HistoryMessage {
  return (
    isRecord(value) &&
    typeof value.key === 'string' &&
    value.key !== '' &&
    isFiniteNumber(value.timestamp) &&
    typeof value.sourceType === 'string' &&
    typeof value.controlType === 'string' &&
    isNullableString(value.content) &&
    isNullableString(value.mediaType) &&
    isNullableString(value.senderNickname)
  );
}

/** The well-formed messages of a poll batch (anything but an array: none). */
export function wellFormedDownlinks(messages: unknown): DownlinkMessage[] {
  return keepWhere(messages, isDownlinkMessage);
}

/** An AiccErrorInfo as it is; anything else as a 'protocol' one saying what it was. */
export function aiccErrorInfo(error: unknown): AiccErrorInfo {
  if (isRecord(error) && error.name === 'AiccError' && typeof error.kind === 'string' && typeof error.message === 'string') {
    return error as unknown as AiccErrorInfo;
  }
  return { name: 'AiccError', kind: 'protocol', api: 'client', message: `Expected an AiccError, got ${describeValue(error)}.` };
}

function isChatInputError(error: unknown): error is ChatInputError {
  return isRecord(error) && error.name === 'ChatInputError' && typeof error.code === 'string' && typeof error.event === 'string' && typeof error.message === 'string';
}

/** A ChatSessionError as it is; anything else as a 'protocol' AiccErrorInfo. */
export function sessionErrorInfo(error: unknown): ChatSessionError {
  return isChatInputError(error) ? error : aiccErrorInfo(error);
}

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

// Updates are built by assignment, not `{ ...update, newKey }` (docs/performance.md, "No spread followed by new keys"); spreads that
// only override existing keys are fine.

// ---------------------------------------------------------------------------------------------
// Incoming

/**
 * Merges one poll batch: appends new messages (deduplicated by key), folds READ notices into
 * outgoing entries, and tracks who serves the customer, the agent's nickname, the robot's
 * latest interIdx, unread agent messages and the server's DISCONNECT.
 */
export function receiveMessages(context: ChatSessionContext, batch: unknown): Update {
  // Malformed elements (null, garbage, missing fields) are dropped: they never reach the transcript.
  const messages = wellFormedDownlinks(batch);
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
    if (!writer.append({ kind: 'incoming', key: message.key, message })) {
      // The poll copy of a robot answer first shown from history brings the interIdx history lacks.
      if (upgradeRecovered(writer, message) && message.controlType === 'CHAT' && message.sourceType === 'ROBOT' && isLaterInterIdx(message.interIdx, lastInterIdx)) {
        lastInterIdx = message.interIdx;
      }
      continue;
    }

    if (message.controlType === 'CHAT') {
      servedBy = servedByAfter(servedBy, message, awaitingAgent);
      if (message.sourceType === 'AGENT') {
        awaitingAgent = false;
        if (message.senderNickname) agentNickname = message.senderNickname;
        (unread ??= context.bookkeeping.unreadAgentKeys.slice()).push(message.key);
      } else if (message.sourceType === 'ROBOT') {
        if (message.interIdx) lastInterIdx = message.interIdx;
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

/**
 * A message already shown from the history catch-up (`recovered`) and now delivered by poll:
 * the poll copy has what history lacks (contentType, mediaFileType), so it replaces the
 * recovered one in place — same key, same position, no duplicate.
 */
function upgradeRecovered(writer: TranscriptWriter, message: DownlinkMessage): boolean {
  if (message.controlType !== 'CHAT' || message.recovered === true) return false;
  let upgraded = false;
  writer.replace(message.key, (entry) => {
    if (entry.kind !== 'incoming' || entry.message.controlType !== 'CHAT' || entry.message.recovered !== true) return entry;
    upgraded = true;
    return { ...entry, message };
  });
  return upgraded;
}

/**
 * Is `candidate` a later robot interaction than `current`? interIdx counts the robot's answers
 * (numeric strings): a late poll copy of an older answer must not take the survey back to it.
 */
function isLaterInterIdx(candidate: string | null, current: string | null): candidate is string {
  if (!candidate) return false;
  if (current === null) return true;
  const [a, b] = [Number(candidate), Number(current)];
  return Number.isFinite(a) && Number.isFinite(b) && a > b;
}

/**
 * What the catch-up after DISCONNECT found, and the gap it could not fill (history unreadable):
 * shown as a `gap` entry, never dropped. A malformed gap is ignored like any malformed payload.
 */
export function mergeFinalCatchUp(context: ChatSessionContext, messages: unknown, gap: unknown, now: number): Update {
  const update = Array.isArray(messages) && messages.length > 0 ? receiveMessages(context, messages) : {};
  if (!isRecord(gap) || !isFiniteNumber(gap.from)) return update;
  const writer = new TranscriptWriter({ ...context, ...update });
  const from = Math.floor(gap.from);
  writer.append({ kind: 'gap', key: `gap:${from}`, from, at: Math.floor(now), error: aiccErrorInfo(gap.error) });
  return { ...update, ...writer.result() };
}

/** History goes first, oldest first, deduplicated by key like everything else. */
export function mergeHistory(context: ChatSessionContext, records: unknown): Update {
  const writer = new TranscriptWriter(context);
  const sorted = keepWhere(records, isHistoryMessage)
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
type OutgoingPayload = Pick<OutgoingEntry, 'mediaType' | 'text' | 'file' | 'content' | 'status' | 'progress'>;

/** Appends an outgoing entry with the next unique wire timestamp and queues it in the outbox. */
function enqueueOutgoing(context: ChatSessionContext, now: number, payload: (timestamp: number) => OutgoingPayload): Update {
  const timestamp = nextTimestamp(context, now);
  const localId = localIdFor(timestamp);
  const writer = new TranscriptWriter(context);
  const { mediaType, text, file, content, status, progress = null } = payload(timestamp);
  writer.append({ kind: 'outgoing', key: localId, localId, timestamp, mediaType, text, file, content, status, progress, read: false, error: null });
  const update = writer.result();
  update.outbox = [...context.outbox, localId];
  update.bookkeeping = { ...context.bookkeeping, lastOutgoingTimestamp: timestamp };
  update.error = null;
  return update;
}

/**
 * Appends a text and queues it: `queued`, or `sending` when it goes on the wire in the same step
 * (an idle outbox, online: the transition that queues it enters `outbox.sending`).
 */
export function enqueueText(context: ChatSessionContext, text: string, now: number, status: 'queued' | 'sending' = 'queued'): Update {
  const update = enqueueOutgoing(context, now, () => ({ mediaType: 'TEXT', text, file: null, content: text, status }));
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
    progress: { loaded: 0, total: binarySize(file.data) ?? 0 },
  }));
}

/** docs/protocol.md#43-send: IMAGE/AUDIO/VIDEO carry the bare objectKey, FILE "name,size,objectKey,ext". */
export function wireContentFor(entry: OutgoingEntry, objectKey: string): string {
  if (entry.mediaType === 'FILE' && entry.file) {
    return [entry.file.name, String(entry.file.size), objectKey, entry.file.fileType].join(',');
  }
  return objectKey;
}

export function completeUpload(context: ChatSessionContext, localId: unknown, objectKey: unknown): Update {
  if (typeof localId !== 'string' || typeof objectKey !== 'string' || objectKey === '') return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, localId, (entry) =>
    entry.status !== 'uploading' || !entry.file
      ? entry
      : { ...entry, status: 'queued', content: wireContentFor(entry, objectKey), file: { ...entry.file, objectKey }, progress: null, error: null },
  );
  return writer.result();
}

/**
 * The upload worker's count of bytes sent, on the entry still uploading. Anything else is
 * dropped: a stale or unknown localId, a count that is not whole bytes within the file.
 */
export function recordUploadProgress(context: ChatSessionContext, localId: unknown, loaded: unknown, total: unknown): Update {
  if (typeof localId !== 'string' || !isByteCount(total) || !isByteCount(loaded) || loaded > total) return {};
  const entry = entryAt(context, localId);
  if (entry?.kind !== 'outgoing' || entry.status !== 'uploading' || entry.file?.size !== total) return {};
  if (entry.progress?.loaded === loaded) return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, localId, (current) => ({ ...current, progress: { loaded, total } }));
  return writer.result();
}

const isByteCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

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
    // A failed upload has no progress any more (OutgoingEntry.progress).
    const ended = entry.status === 'uploading' ? { progress: null } : {};
    updateOutgoing(writer, localId, (current) => ({ ...current, ...patch, ...ended, status: 'failed', error: error(current) }));
  }
  if (failed.size === 0) return {};
  const update = writer.result();
  update.outbox = context.outbox.filter((id) => !failed.has(id));
  return update;
}

export function failUpload(context: ChatSessionContext, localId: unknown, error: unknown): Update {
  if (typeof localId !== 'string') return {};
  const info = aiccErrorInfo(error);
  return failEntries(context, (entry) => entry.localId === localId && entry.status === 'uploading', () => info);
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

export function markHeadSending(context: ChatSessionContext): Update {
  const head = outboxHead(context);
  if (!head || head.status !== 'queued') return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, head.localId, (entry) => ({ ...entry, status: 'sending', error: null }));
  return writer.result();
}

export function markSent(context: ChatSessionContext, localId: unknown): Update {
  const id = typeof localId === 'string' ? localId : context.outbox[0];
  if (id === undefined) return {};
  const writer = new TranscriptWriter(context);
  updateOutgoing(writer, id, (entry) => ({ ...entry, status: 'sent', error: null }));
  const update = writer.result();
  update.outbox = context.outbox.filter((queued) => queued !== id);
  return update;
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
export function requeueHeadForResend(context: ChatSessionContext, error: AiccErrorInfo): Update {
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
// File workers: each runs only while a transfer of its kind is pending (docs/performance.md, heap)

/** Which `bookkeeping` flag notes a worker started for a new transfer, by worker. */
export const WORKER_STARTING = { uploadFile: 'uploadWorkerStarting', downloadFile: 'downloadWorkerStarting' } as const;
export type FileWorkerId = keyof typeof WORKER_STARTING;

/** The machine starts `worker` for a new transfer: its first `*.ready` will be a hello. */
export function markWorkerStarting(context: ChatSessionContext, worker: FileWorkerId): Update {
  return { bookkeeping: { ...context.bookkeeping, [WORKER_STARTING[worker]]: true } };
}

/** The worker said hello, or stopped: a later `*.ready` comes from a restored worker. */
export function clearWorkerStarting(context: ChatSessionContext, worker: FileWorkerId): Update {
  const flag = WORKER_STARTING[worker];
  if (!(flag in context.bookkeeping)) return {};
  const { [flag]: _started, ...bookkeeping } = context.bookkeeping;
  return { bookkeeping };
}

/**
 * `upload.ready`: the hello of a worker just started for a new upload, or a restored worker's
 * news that the bytes in flight were lost (a reload): those uploads fail.
 */
export function welcomeUploadWorker(context: ChatSessionContext): Update {
  return context.bookkeeping.uploadWorkerStarting ? clearWorkerStarting(context, 'uploadFile') : failOrphanedUploads(context);
}

// Downloads

function setDownload(context: ChatSessionContext, key: string, entry: DownloadEntry): Update {
  return { downloads: { ...context.downloads, [key]: entry } };
}

export function startDownload(context: ChatSessionContext, key: string): Update {
  const fileType = incomingFileAt(context, key)?.file.fileType ?? null;
  const update = setDownload(context, key, { status: 'downloading', fileType, fileUrl: null, error: null });
  update.error = null;
  return update;
}

export function completeDownload(context: ChatSessionContext, key: unknown, fileType: unknown, fileUrl: unknown): Update {
  if (typeof key !== 'string') return {};
  const type = typeof fileType === 'string' ? fileType : (context.downloads[key]?.fileType ?? null);
  return setDownload(context, key, { status: 'done', fileType: type, fileUrl: typeof fileUrl === 'string' ? fileUrl : null, error: null });
}

export function failDownload(context: ChatSessionContext, key: unknown, error: unknown): Update {
  if (typeof key !== 'string') return {};
  const previous = Object.prototype.hasOwnProperty.call(context.downloads, key) ? context.downloads[key] : undefined;
  return setDownload(context, key, { status: 'failed', fileType: previous?.fileType ?? null, fileUrl: null, error: aiccErrorInfo(error) });
}

// ---------------------------------------------------------------------------------------------
// Everything else

export function setEndReason(reason: EndReason): Update {
  return { endReason: reason };
}

/** null / undefined clear it; a value that is not a ChatSessionError is stored as a 'protocol' AiccErrorInfo. */
export function setError(error: unknown): Update {
  return { error: error === null || error === undefined ? null : sessionErrorInfo(error) };
}

/**
 * A host refused an event (createChatSession's `send`, 'invalid-event'). A forged
 * `event.rejected` without a ChatInputError still records one, saying so.
 */
export function rejectEvent(error: unknown): Update {
  return {
    error: isChatInputError(error) ? error : inputError('invalid-event', 'event.rejected', `event.rejected carried ${describeValue(error)}, not a ChatInputError.`, 'error'),
  };
}

const QUEUE_METRICS = ['position', 'totalWaitTime', 'currentDeviceWaitTime', 'configMaxWaitTime', 'longestWaitTime', 'estimateWaitTime'] as const;

/** Queue information as watchQueue reports it; anything else is ignored (the last one stays). */
export function setQueueInfo(info: unknown): Update {
  if (!isRecord(info)) return {};
  if (info.status === 'in-ivr') return { queue: { status: 'in-ivr' } };
  return info.status === 'queuing' && QUEUE_METRICS.every((name) => isFiniteNumber(info[name])) ? { queue: info as unknown as QueueInfo } : {};
}

export function setConnectivity(context: ChatSessionContext, online: boolean | undefined, pageVisible: boolean | undefined): Update {
  const connection = { ...context.connection };
  if (online !== undefined) connection.online = online;
  if (pageVisible !== undefined) connection.pageVisible = pageVisible;
  return { connection };
}

/** `confirmed`: send answered CONNECT; sendAsync only acknowledged it (confirmed by a first poll answer). */
export function markConnected(context: ChatSessionContext, now: number, confirmed: boolean): Update {
  // An earlier attempt whose answer was lost may have opened the session: count from there.
  const connectedAt = context.bookkeeping.connectAnswerLostAt ?? Math.floor(now);
  return { bookkeeping: { ...context.bookkeeping, connectAttempts: 0, connectedAt, connectConfirmed: confirmed } };
}

export function confirmConnect(context: ChatSessionContext): Update {
  return context.bookkeeping.connectConfirmed ? {} : { bookkeeping: { ...context.bookkeeping, connectConfirmed: true } };
}

export function markSessionLost(context: ChatSessionContext): Update {
  return { bookkeeping: { ...context.bookkeeping, sessionLost: true } };
}

/** Left `connecting` with CONNECT in flight: its answer is as good as lost (see noteConnectFailure). */
export function noteConnectAbandoned(context: ChatSessionContext): Update {
  const { connectAnswerLostAt, connectAttemptAt } = context.bookkeeping;
  if ((connectAnswerLostAt ?? null) !== null || (connectAttemptAt ?? null) === null) return {};
  return { bookkeeping: { ...context.bookkeeping, connectAnswerLostAt: connectAttemptAt } };
}

/** The server no longer has the session (the poll loop's liveness check): remember its end. */
export function noteServerGone(context: ChatSessionContext, lost: unknown): Update {
  const [message] = wellFormedDownlinks([lost]);
  if (message?.controlType !== 'DISCONNECT') return {};
  return { bookkeeping: { ...context.bookkeeping, serverGone: message } };
}

export function markConnectAttempt(context: ChatSessionContext, now: number): Update {
  return { bookkeeping: { ...context.bookkeeping, connectAttemptAt: Math.floor(now) } };
}

/** A CONNECT failed: when its answer was lost, the session it may have opened is remembered. */
export function noteConnectFailure(context: ChatSessionContext, error: unknown): Update {
  const { connectAnswerLostAt, connectAttemptAt } = context.bookkeeping;
  if ((connectAnswerLostAt ?? null) !== null || sendFailure(aiccErrorInfo(error)) !== 'unknown') return {};
  return { bookkeeping: { ...context.bookkeeping, connectAnswerLostAt: connectAttemptAt ?? null } };
}

export function countConnectFailure(context: ChatSessionContext): Update {
  return { bookkeeping: { ...context.bookkeeping, connectAttempts: context.bookkeeping.connectAttempts + 1 } };
}

/** `?? 0`: snapshots persisted before these counters existed restore without them. */
export function countAuthFailure(context: ChatSessionContext): Update {
  return { bookkeeping: { ...context.bookkeeping, authAttempts: (context.bookkeeping.authAttempts ?? 0) + 1 } };
}

export function countSurveyModeFailure(context: ChatSessionContext): Update {
  return { bookkeeping: { ...context.bookkeeping, surveyModeAttempts: (context.bookkeeping.surveyModeAttempts ?? 0) + 1 } };
}

/** A token is held (or the survey offer arrived): the next failure starts a fresh backoff. */
export function resetRetryCounts(context: ChatSessionContext): Update {
  const { bookkeeping } = context;
  if (bookkeeping.authAttempts === 0 && bookkeeping.surveyModeAttempts === 0) return {};
  return { bookkeeping: { ...bookkeeping, authAttempts: 0, surveyModeAttempts: 0 } };
}

export function markAwaitingAgent(context: ChatSessionContext): Update {
  return { bookkeeping: { ...context.bookkeeping, awaitingAgent: true } };
}

export function recordPollError(context: ChatSessionContext, error: unknown, failures: unknown): Update {
  const count = Number.isSafeInteger(failures) && (failures as number) >= 0 ? (failures as number) : context.connection.pollFailures + 1;
  return { connection: { ...context.connection, pollFailures: count, lastPollError: aiccErrorInfo(error) } };
}

export function markServedBy(context: ChatSessionContext, servedBy: 'robot' | 'agent'): Update {
  return servedBy === 'agent' ? { servedBy, bookkeeping: { ...context.bookkeeping, awaitingAgent: false } } : { servedBy };
}

const isLevel = (value: unknown): value is SatisfactionLevel => isRecord(value) && typeof value.key === 'string' && typeof value.label === 'string';
const isString = (value: unknown): value is string => typeof value === 'string';

/** Malformed levels and questions are dropped (no levels: the documented defaults apply). */
export function storeSurvey(context: ChatSessionContext, mode: unknown): Update {
  if (!isRecord(mode) || mode.surveyType !== 'WEB' || context.servedBy === null) return {};
  const offer = { target: context.servedBy, levels: keepWhere(mode.levels, isLevel), questions: keepWhere(mode.questions, isString) };
  return { survey: { ...context.survey, offer } };
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

export function setSuggestions(context: ChatSessionContext, text: unknown, phrases: unknown): Update {
  // A late answer for text the customer has since changed or sent is dropped.
  if (typeof text !== 'string' || text !== context.compose.draft) return {};
  return { compose: { ...context.compose, suggestions: keepWhere(phrases, isString).slice(0, 5) } };
}

export function acknowledgeRead(context: ChatSessionContext, messageIds: readonly string[]): Update {
  const done = new Set(messageIds);
  return { bookkeeping: { ...context.bookkeeping, unreadAgentKeys: context.bookkeeping.unreadAgentKeys.filter((key) => !done.has(key)) } };
}
