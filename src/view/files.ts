/**
 * Files between the page and the API: a picked `File` / `Blob` (or a name, or a MIME type) to the
 * upload file type `file.send` wants, a file type back to a MIME type for a `Blob` or an
 * `<img>`, and the same size and type checks the machine applies (one implementation: the
 * machine's `validateFile` and its limits).
 */
import { DEFAULT_MAX_UPLOAD_BYTES } from '../../machines/chatSession.context.js';
import type { ChatInputError, ChatUserEvent } from '../../machines/chatSession.types.js';
import { UPLOAD_MEDIA_TYPES, normaliseFileType, validateFile } from '../../machines/chatSession.validation.js';
import type { UploadFileType } from '../client/protocol.js';
import type { BinaryInput } from '../client/types.js';

/** MIME type of every file type the API names (uploadFileStream's and downloadFileStream's). */
const MIME_TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  png: 'image/png',
  bmp: 'image/bmp',
  bpm: 'image/bmp',
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
  mp4: 'video/mp4',
  txt: 'text/plain',
  csv: 'text/csv',
  richtext: 'text/richtext',
  pdf: 'application/pdf',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  zip: 'application/zip',
};

/** Other spellings browsers and OSes give the upload types. */
const MIME_ALIASES: Readonly<Record<string, string>> = { 'image/jpg': 'jpg', 'image/pjpeg': 'jpg', 'audio/mp3': 'mp3', 'image/x-ms-bmp': 'bmp', 'audio/x-aac': 'aac' };

/** The `file.send` event: its `data`. */
export type FileData = BinaryInput;
export type FileSendEvent = Extract<ChatUserEvent, { type: 'file.send' }>;

/** `image/png` for `png` (any case, `jpeg` too); `application/octet-stream` when unknown. */
export function mimeTypeOf(fileType: string): string {
  const type = fileType.trim().toLowerCase().replace(/^\./, '');
  return MIME_TYPES[type === 'jpeg' ? 'jpg' : type] ?? 'application/octet-stream';
}

const nameOf = (file: FileData): string | undefined => {
  const name = (file as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : undefined;
};

/**
 * The upload file type (lower case, `jpeg` folded to `jpg`) of a `File` (by its name, else its
 * MIME type), a `Blob` (its MIME type), a file name, an extension or a MIME type (`a/b`); null
 * when uploadFileStream does not take it.
 */
export function uploadFileTypeOf(file: FileData | string): UploadFileType | null {
  if (typeof file !== 'string') {
    const name = nameOf(file);
    const type = (file as { type?: unknown }).type;
    return (name === undefined ? null : uploadFileTypeOf(name)) ?? (typeof type === 'string' && type !== '' ? uploadFileTypeOf(type) : null);
  }
  const text = file.trim().toLowerCase();
  if (text.includes('/')) {
    const mime = text.split(';')[0]!.trim();
    const found = MIME_ALIASES[mime] ?? Object.keys(UPLOAD_MEDIA_TYPES).find((type) => MIME_TYPES[type] === mime);
    return found === undefined ? null : (normaliseFileType(found) as UploadFileType | null);
  }
  return normaliseFileType(text.slice(text.lastIndexOf('.') + 1)) as UploadFileType | null;
}

/** The `accept` attribute of a file input that offers exactly the upload types. */
export function uploadAccept(): string {
  return Object.keys(UPLOAD_MEDIA_TYPES)
    .filter((type) => type !== 'bpm')
    .flatMap((type) => (type === 'jpg' ? ['.jpg', '.jpeg'] : [`.${type}`]))
    .join(',');
}

/**
 * The `file.send` event for a picked file: the bytes stay in the `File` (never in the snapshot),
 * the type comes from `name` (default: the File's own) or the MIME type. An unknown type is sent
 * as `''`, which the machine refuses with a typed `unsupported-file-type` error.
 */
export function fileSendEvent(file: FileData, name: string | undefined = nameOf(file)): FileSendEvent {
  const fileType = (name === undefined ? null : uploadFileTypeOf(name)) ?? uploadFileTypeOf(file) ?? '';
  return name === undefined ? { type: 'file.send', data: file, fileType } : { type: 'file.send', data: file, fileType, name };
}

/**
 * What `file.send` would say about this file, before sending it: null when it is accepted, else
 * the machine's own ChatInputError (`invalid-file`, `unsupported-file-type`, `file-too-large`).
 * `maxBytes` defaults to the machine's default (a session's is `view.upload.maxBytes`).
 */
export function checkFile(file: FileData, options: { name?: string; maxBytes?: number } = {}): ChatInputError | null {
  return validateFile({ config: { maxUploadBytes: options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES } }, fileSendEvent(file, options.name ?? nameOf(file)));
}
