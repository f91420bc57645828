/**
 * The file server behind uploadFileStream / downloadFileStream: Base64 in JSON, no multipart
 * (docs/protocol.md#47-downloadfilestream, docs/protocol.md#49-uploadfilestream).
 */
import { UPLOAD_FILE_TYPES } from '../client/protocol.js';

export type FileOrigin = 'customer' | 'agent-local' | 'agent-library';

export interface StoredFile {
  key: string;
  bytes: Uint8Array;
  fileType: string;
  origin: FileOrigin;
  userId: string;
}

export class FileStore {
  private readonly files = new Map<string, StoredFile>();

  put(file: StoredFile): void {
    this.files.set(file.key, file);
  }

  /** By key; `local/<key>` is accepted too. */
  get(fileId: string): StoredFile | undefined {
    return this.files.get(fileId) ?? (fileId.startsWith('local/') ? this.files.get(fileId.slice(6)) : undefined);
  }

  has(key: string): boolean {
    return this.files.has(key);
  }

  clear(): void {
    this.files.clear();
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Strict standard Base64: no data-URI prefix, no whitespace, no URL-safe alphabet, correct
 * padding. Returns undefined when the text is not that.
 */
export function decodeStrictBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The upload types are matched case-insensitively; JPEG is folded to jpg (newest EN page). */
export function normalizeUploadType(fileType: string): string | undefined {
  const lower = fileType.toLowerCase();
  const folded = lower === 'jpeg' ? 'jpg' : lower;
  return (UPLOAD_FILE_TYPES as readonly string[]).includes(folded) ? folded : undefined;
}

/** bpm (documented spelling) and bmp name the same type. */
export function sameFileType(a: string, b: string): boolean {
  const norm = (t: string): string => {
    const lower = t.toLowerCase();
    return lower === 'bpm' ? 'bmp' : lower === 'jpeg' ? 'jpg' : lower;
  };
  return norm(a) === norm(b);
}

export function mediaTypeForFileType(fileType: string): 'IMAGE' | 'VIDEO' | 'AUDIO' | 'DOCUMENT' {
  const t = fileType.toLowerCase();
  if (['jpg', 'jpeg', 'png', 'bmp', 'bpm', 'gif'].includes(t)) return 'IMAGE';
  if (['mp4'].includes(t)) return 'VIDEO';
  if (['mp3', 'aac', 'amr', 'wav'].includes(t)) return 'AUDIO';
  return 'DOCUMENT';
}
