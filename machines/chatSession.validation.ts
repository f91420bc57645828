/**
 * Payload checks for the events a host sends. Each returns a typed ChatInputError or null;
 * guards use `=== null`, the matching `reject*` actions store the error. Nothing here throws:
 * JavaScript callers may send anything.
 */
import {
  AGENT_COMMENT_MAX_CHARS,
  CALLER_PATTERN,
  ROBOT_COMMENT_MAX_CHARS,
  TEXT_MAX_BYTES,
  UPLOAD_MEDIA_TYPES,
  type UploadFileType,
} from '../src/client/protocol.js';
import { binarySize, utf8ByteLength, utf8BytesOver } from '../src/client/bytes.js';
import { CALLER_RULE } from '../src/client/validate.js';
import type {
  ChatInputError,
  ChatInputErrorCode,
  ChatSessionConfig,
  ChatSessionContext,
  OutgoingEntry,
  TranscriptEntry,
} from './chatSession.types.js';
import { incomingFileAt } from './chatSession.selectors.js';
import { entryAt } from './chatSession.transcript.js';

// One implementation with the client's checks (same results, lone surrogates included).
export { binarySize, utf8ByteLength };

// One source with the client (protocol.ts); the view reads them from here.
export { AGENT_COMMENT_MAX_CHARS, ROBOT_COMMENT_MAX_CHARS, TEXT_MAX_BYTES, UPLOAD_MEDIA_TYPES };
/** Levels assumed when a WEB survey lists none (the documented defaults). */
export const DEFAULT_LEVEL_KEYS = ['1', '2', '3', '4', '5'] as const;

export function inputError(code: ChatInputErrorCode, event: string, message: string, field?: string): ChatInputError {
  const error: ChatInputError = { name: 'ChatInputError', code, event, message };
  if (field !== undefined) error.field = field;
  return error;
}

/** `The … is N bytes; at most M are allowed.` */
const tooLarge = (code: ChatInputErrorCode, event: string, what: string, size: number, max: number, field: string) =>
  inputError(code, event, `The ${what} is ${size} bytes; at most ${max} are allowed.`, field);

/** Normalised upload type, or null when unsupported. */
export function normaliseFileType(fileType: unknown): UploadFileType | null {
  if (typeof fileType !== 'string') return null;
  let type = fileType.trim().toLowerCase().replace(/^\./, '');
  if (type === 'jpeg') type = 'jpg';
  return Object.prototype.hasOwnProperty.call(UPLOAD_MEDIA_TYPES, type) ? (type as UploadFileType) : null;
}

/** Record shape of an event as sent by an untyped caller. */
type Loose = Record<string, unknown>;

function field(event: unknown, name: string): unknown {
  return typeof event === 'object' && event !== null ? (event as Loose)[name] : undefined;
}

const isBlank = (value: unknown) => typeof value !== 'string' || value.trim() === '';

export function validateText(event: unknown): ChatInputError | null {
  const text = field(event, 'text');
  if (isBlank(text)) return inputError('empty-text', 'message.send', 'The message is empty.', 'text');
  const bytes = utf8BytesOver(text as string, TEXT_MAX_BYTES);
  return bytes === null ? null : tooLarge('text-too-long', 'message.send', 'message', bytes, TEXT_MAX_BYTES, 'text');
}

/** `file.send`'s payload check; only `config.maxUploadBytes` is read (the view's `checkFile` passes just that). */
export function validateFile(context: { config: Pick<ChatSessionConfig, 'maxUploadBytes'> }, event: unknown): ChatInputError | null {
  const size = binarySize(field(event, 'data'));
  if (!size) return inputError('invalid-file', 'file.send', 'data must be a non-empty Uint8Array, ArrayBuffer or Blob.', 'data');
  if (normaliseFileType(field(event, 'fileType')) === null) {
    const types = Object.keys(UPLOAD_MEDIA_TYPES).filter((t) => t !== 'bpm');
    return inputError('unsupported-file-type', 'file.send', `fileType must be one of ${types.join(', ')} or jpeg.`, 'fileType');
  }
  const name = field(event, 'name');
  if (name !== undefined && typeof name !== 'string') return inputError('invalid-file', 'file.send', 'name must be a string.', 'name');
  const max = context.config.maxUploadBytes;
  return size > max ? tooLarge('file-too-large', 'file.send', 'file', size, max, 'data') : null;
}

export function validateRetry(context: Pick<ChatSessionContext, 'transcript' | 'transcriptIndex'>, event: unknown): ChatInputError | null {
  const entry = entryAt(context, field(event, 'key'));
  if (!isOutgoing(entry)) return inputError('unknown-message', 'message.retry', 'No outgoing message has this key.', 'key');
  if (entry.status !== 'failed') return inputError('not-retryable', 'message.retry', `The message is ${entry.status}, not failed.`, 'key');
  return entry.content === null ? inputError('not-retryable', 'message.retry', 'The file never finished uploading; pick it again.', 'key') : null;
}

export function validateDownload(context: ChatSessionContext, event: unknown): ChatInputError | null {
  const key = field(event, 'key');
  if (!entryAt(context, key)) return inputError('unknown-message', 'file.download', 'No message has this key.', 'key');
  const found = incomingFileAt(context, key);
  if (!found) return inputError('not-downloadable', 'file.download', 'The message carries no file.', 'key');
  return context.downloads[found.key]?.status === 'downloading'
    ? inputError('not-downloadable', 'file.download', 'The file is already downloading.', 'key')
    : null;
}

export function validateAgentRequest(context: ChatSessionContext): ChatInputError | null {
  return context.servedBy === 'robot'
    ? null
    : inputError('not-served-by-robot', 'agent.request', 'Only a robot conversation can be transferred to an agent.');
}

function validateComment(event: unknown, max: number): ChatInputError | null {
  const comment = field(event, 'comment');
  return comment !== undefined && (typeof comment !== 'string' || comment.length > max)
    ? inputError('invalid-comment', 'survey.submit', `comment must be a string of at most ${max} characters.`, 'comment')
    : null;
}

export function validateAgentSurvey(context: ChatSessionContext, event: unknown): ChatInputError | null {
  const evaluation = field(event, 'evaluation');
  const levels = context.survey.offer?.levels.map((level) => level.key) ?? [];
  const allowed: readonly string[] = levels.length > 0 ? levels : DEFAULT_LEVEL_KEYS;
  if (typeof evaluation !== 'string' || !allowed.includes(evaluation)) {
    return inputError('invalid-rating', 'survey.submit', `evaluation must be one of ${allowed.join(', ')}.`, 'evaluation');
  }
  const nps = field(event, 'npsScore');
  const fcr = field(event, 'fcr');
  return (
    validateComment(event, AGENT_COMMENT_MAX_CHARS) ??
    (nps !== undefined && !(Number.isInteger(nps) && (nps as number) >= 0 && (nps as number) <= 10)
      ? inputError('invalid-nps', 'survey.submit', 'npsScore must be an integer 0..10.', 'npsScore')
      : fcr !== undefined && typeof fcr !== 'boolean'
        ? inputError('invalid-fcr', 'survey.submit', 'fcr must be a boolean.', 'fcr')
        : null)
  );
}

export function validateRobotSurvey(event: unknown): ChatInputError | null {
  const satisfied = field(event, 'satisfied');
  if (typeof satisfied !== 'boolean') return inputError('invalid-rating', 'survey.submit', 'satisfied must be a boolean.', 'satisfied');
  return (
    validateComment(event, ROBOT_COMMENT_MAX_CHARS) ??
    (!satisfied && isBlank(field(event, 'comment'))
      ? inputError('comment-required', 'survey.submit', 'Say what was wrong: a comment is required when not satisfied.', 'comment')
      : null)
  );
}

export function validateLeaveMessage(event: unknown): ChatInputError | null {
  const caller = field(event, 'caller');
  if (typeof caller !== 'string' || !CALLER_PATTERN.test(caller.trim())) {
    return inputError('invalid-caller', 'leaveMessage.submit', `caller must ${CALLER_RULE}.`, 'caller');
  }
  return isBlank(field(event, 'message')) ? inputError('invalid-leave-message', 'leaveMessage.submit', 'message is required.', 'message') : null;
}


export function isOutgoing(entry: TranscriptEntry | undefined): entry is OutgoingEntry {
  return entry?.kind === 'outgoing';
}
