/**
 * Payload checks for the events a host sends. Each returns a typed ChatInputError or null;
 * guards use `=== null`, the matching `reject*` actions store the error. Nothing here throws:
 * JavaScript callers may send anything.
 */
import { CALLER_PATTERN } from '../src/client/protocol.js';
import { AiccError, isAiccError, type AiccErrorInfo } from '../src/client/errors.js';
import type { UplinkMediaType } from '../src/client/protocol.js';
import type {
  ChatInputError,
  ChatInputErrorCode,
  ChatSessionContext,
  OutgoingEntry,
  TranscriptEntry,
} from './chatSession.types.js';
import { entryAt } from './chatSession.transcript.js';

/** TEXT content limit of an uplink message (aicc-api.md §4.3: "1 KB"), in UTF-8 bytes. */
export const TEXT_MAX_BYTES = 1024;
/** saveSatisfaction comment: fewer than 512 characters. */
export const AGENT_COMMENT_MAX_CHARS = 511;
/** feedbacksatisfaction feedbackContent: at most 64 characters. */
export const ROBOT_COMMENT_MAX_CHARS = 64;
/** Levels assumed when a WEB survey lists none (the documented defaults). */
export const DEFAULT_LEVEL_KEYS = ['1', '2', '3', '4', '5'] as const;

/** Upload file types (lower case; `jpeg` is folded to `jpg`) and the uplink media type each travels as. */
export const UPLOAD_MEDIA_TYPES: Readonly<Record<string, UplinkMediaType>> = {
  jpg: 'IMAGE',
  png: 'IMAGE',
  bmp: 'IMAGE',
  bpm: 'IMAGE',
  mp3: 'AUDIO',
  aac: 'AUDIO',
  mp4: 'VIDEO',
  txt: 'FILE',
  csv: 'FILE',
};

export function inputError(code: ChatInputErrorCode, event: string, message: string, field?: string): ChatInputError {
  const error: ChatInputError = { name: 'ChatInputError', code, event, message };
  if (field !== undefined) error.field = field;
  return error;
}

export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Normalised upload type, or null when unsupported. */
export function normaliseFileType(fileType: unknown): string | null {
  if (typeof fileType !== 'string') return null;
  let type = fileType.trim().toLowerCase().replace(/^\./, '');
  if (type === 'jpeg') type = 'jpg';
  return Object.prototype.hasOwnProperty.call(UPLOAD_MEDIA_TYPES, type) ? type : null;
}

/** Byte size of Uint8Array / ArrayBuffer / Blob, or null for anything else. */
export function binarySize(data: unknown): number | null {
  if (data instanceof Uint8Array) return data.byteLength;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  return null;
}

/** Record shape of an event as sent by an untyped caller. */
type Loose = Record<string, unknown>;

function field(event: unknown, name: string): unknown {
  return typeof event === 'object' && event !== null ? (event as Loose)[name] : undefined;
}

export function validateText(event: unknown): ChatInputError | null {
  const text = field(event, 'text');
  if (typeof text !== 'string' || text.trim() === '') {
    return inputError('empty-text', 'message.send', 'The message is empty.', 'text');
  }
  const bytes = utf8ByteLength(text);
  if (bytes > TEXT_MAX_BYTES) {
    return inputError('text-too-long', 'message.send', `The message is ${bytes} bytes; at most ${TEXT_MAX_BYTES} are allowed.`, 'text');
  }
  return null;
}

export function validateFile(context: ChatSessionContext, event: unknown): ChatInputError | null {
  const size = binarySize(field(event, 'data'));
  if (size === null || size === 0) {
    return inputError('invalid-file', 'file.send', 'data must be a non-empty Uint8Array, ArrayBuffer or Blob.', 'data');
  }
  if (normaliseFileType(field(event, 'fileType')) === null) {
    return inputError(
      'unsupported-file-type',
      'file.send',
      `fileType must be one of ${Object.keys(UPLOAD_MEDIA_TYPES).filter((t) => t !== 'bpm').join(', ')} or jpeg.`,
      'fileType',
    );
  }
  const name = field(event, 'name');
  if (name !== undefined && typeof name !== 'string') {
    return inputError('invalid-file', 'file.send', 'name must be a string.', 'name');
  }
  if (size > context.config.maxUploadBytes) {
    return inputError('file-too-large', 'file.send', `The file is ${size} bytes; at most ${context.config.maxUploadBytes} are allowed.`, 'data');
  }
  return null;
}

export function validateRetry(context: ChatSessionContext, event: unknown): ChatInputError | null {
  const entry = entryAt(context, field(event, 'key'));
  if (!entry || entry.kind !== 'outgoing') {
    return inputError('unknown-message', 'message.retry', 'No outgoing message has this key.', 'key');
  }
  if (entry.status !== 'failed') {
    return inputError('not-retryable', 'message.retry', `The message is ${entry.status}, not failed.`, 'key');
  }
  if (entry.content === null) {
    return inputError('not-retryable', 'message.retry', 'The file never finished uploading; pick it again.', 'key');
  }
  return null;
}

export function validateDownload(context: ChatSessionContext, event: unknown): ChatInputError | null {
  const key = field(event, 'key');
  const entry = entryAt(context, key);
  if (!entry) return inputError('unknown-message', 'file.download', 'No message has this key.', 'key');
  if (entry.kind !== 'incoming' || entry.message.controlType !== 'CHAT' || !('file' in entry.message.content)) {
    return inputError('not-downloadable', 'file.download', 'The message carries no file.', 'key');
  }
  if (context.downloads[entry.key]?.status === 'downloading') {
    return inputError('not-downloadable', 'file.download', 'The file is already downloading.', 'key');
  }
  return null;
}

export function validateAgentRequest(context: ChatSessionContext): ChatInputError | null {
  return context.servedBy === 'robot'
    ? null
    : inputError('not-served-by-robot', 'agent.request', 'Only a robot conversation can be transferred to an agent.');
}

function validateComment(event: unknown, max: number): ChatInputError | null {
  const comment = field(event, 'comment');
  if (comment === undefined) return null;
  if (typeof comment !== 'string' || comment.length > max) {
    return inputError('invalid-comment', 'survey.submit', `comment must be a string of at most ${max} characters.`, 'comment');
  }
  return null;
}

export function validateAgentSurvey(context: ChatSessionContext, event: unknown): ChatInputError | null {
  const evaluation = field(event, 'evaluation');
  const levels = context.survey.offer?.levels.map((level) => level.key) ?? [];
  const allowed: readonly string[] = levels.length > 0 ? levels : DEFAULT_LEVEL_KEYS;
  if (typeof evaluation !== 'string' || !allowed.includes(evaluation)) {
    return inputError('invalid-rating', 'survey.submit', `evaluation must be one of ${allowed.join(', ')}.`, 'evaluation');
  }
  const commentError = validateComment(event, AGENT_COMMENT_MAX_CHARS);
  if (commentError) return commentError;
  const nps = field(event, 'npsScore');
  if (nps !== undefined && (typeof nps !== 'number' || !Number.isInteger(nps) || nps < 0 || nps > 10)) {
    return inputError('invalid-nps', 'survey.submit', 'npsScore must be an integer 0..10.', 'npsScore');
  }
  const fcr = field(event, 'fcr');
  if (fcr !== undefined && typeof fcr !== 'boolean') {
    return inputError('invalid-fcr', 'survey.submit', 'fcr must be a boolean.', 'fcr');
  }
  return null;
}

export function validateRobotSurvey(event: unknown): ChatInputError | null {
  const satisfied = field(event, 'satisfied');
  if (typeof satisfied !== 'boolean') {
    return inputError('invalid-rating', 'survey.submit', 'satisfied must be a boolean.', 'satisfied');
  }
  const commentError = validateComment(event, ROBOT_COMMENT_MAX_CHARS);
  if (commentError) return commentError;
  const comment = field(event, 'comment');
  if (!satisfied && (typeof comment !== 'string' || comment.trim() === '')) {
    return inputError('comment-required', 'survey.submit', 'Say what was wrong: a comment is required when not satisfied.', 'comment');
  }
  return null;
}

export function validateLeaveMessage(event: unknown): ChatInputError | null {
  const caller = field(event, 'caller');
  if (typeof caller !== 'string' || !CALLER_PATTERN.test(caller.trim())) {
    return inputError('invalid-caller', 'leaveMessage.submit', 'caller must be a phone number (digits, spaces, dashes, optional leading +).', 'caller');
  }
  const message = field(event, 'message');
  if (typeof message !== 'string' || message.trim() === '') {
    return inputError('invalid-leave-message', 'leaveMessage.submit', 'message is required.', 'message');
  }
  return null;
}

/** Any thrown value as the JSON view of an AiccError (unexpected errors become kind 'protocol'). */
export function toErrorInfo(error: unknown): AiccErrorInfo {
  if (isAiccError(error)) return error.toJSON();
  if (typeof error === 'object' && error !== null && (error as Loose).name === 'AiccError' && typeof (error as Loose).kind === 'string') {
    const candidate = error as Loose;
    if (typeof candidate.toJSON === 'function') {
      const json: unknown = (candidate.toJSON as () => unknown)();
      if (typeof json === 'object' && json !== null) return json as AiccErrorInfo;
    }
    return { ...(candidate as unknown as AiccErrorInfo) };
  }
  const message = error instanceof Error ? error.message : String(error);
  return new AiccError({ kind: 'protocol', api: 'client', message }).toJSON();
}

export function isOutgoing(entry: TranscriptEntry | undefined): entry is OutgoingEntry {
  return entry?.kind === 'outgoing';
}
