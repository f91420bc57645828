/**
 * Turns documented-but-loose wire answers into typed values. Servers send numbers as strings,
 * null for absent fields and content in two formats; parsing is tolerant here so the rest of
 * the package can be strict.
 *
 * Result objects are built as literals (then Object.assign), never `{ ...base, more }`: it runs
 * for every message, and spread-then-add is slow in V8 (docs/performance.md, "No spread followed by new keys").
 */
import { SOURCE_TYPES, type SourceType, type WireDownlinkMessage, type WireHistoryMessage, type QueryQueueInfoResponse, QueueResultCode } from './protocol.js';
import type { DownlinkContent, DownlinkMessage, FileRef, HistoryMessage, OtherDownlink, QueueStatus } from './types.js';
import { fnv1a32 } from './hash.js';

const DEFAULT_FILE_TYPE: Record<string, string> = { IMAGE: 'jpg', AUDIO: 'mp3', VIDEO: 'mp4', DOCUMENT: 'pdf' };

export function toNumber(value: unknown, fallback = 0): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

/** AGENT, ROBOT or SYSTEM; anything else counts as SYSTEM. */
function sourceOf(value: unknown): SourceType {
  return SOURCE_TYPES.includes(value as SourceType) ? (value as SourceType) : 'SYSTEM';
}

/** A small stable hash, in hex, for messages that come without a messageCode. */
function fnv1a(text: string): string {
  return fnv1a32(text).toString(16).padStart(8, '0');
}

/** The dedupe key: messageCode where the server gives one, else a hash of what identifies it. */
export function messageKey(raw: WireDownlinkMessage): string {
  if (typeof raw.messageCode === 'string' && raw.messageCode !== '') return raw.messageCode;
  const parts = [raw.sourceType, raw.controlType, raw.mediaType, raw.timestamp, raw.content, raw.from, raw.to, raw.interIdx];
  return `h:${fnv1a(parts.map((p) => (p === null || p === undefined ? '' : String(p))).join('\u0001'))}`;
}

/** Media content is a bare key, or "key,ext" in older pages (docs/protocol.md#67-media-content-forms). */
export function fileRefOf(raw: Pick<WireDownlinkMessage, 'content' | 'contentType' | 'mediaFileType' | 'mediaType'>): FileRef {
  // Wire fields are untrusted: a number or an object where a string belongs must not throw.
  const [resource = '', ext] = (typeof raw.content === 'string' ? raw.content : '').split(',');
  const local = raw.contentType === '1';
  const fileType = (
    (typeof raw.mediaFileType === 'string' ? raw.mediaFileType : '') ||
    ext ||
    DEFAULT_FILE_TYPE[typeof raw.mediaType === 'string' ? raw.mediaType : ''] ||
    'jpg'
  ).toLowerCase();
  return { fileId: local ? `local/${resource}` : resource, fileType, multiMedia: !local };
}

function parseContent(raw: WireDownlinkMessage): DownlinkContent {
  const content = str(raw.content);
  const mediaType = raw.mediaType;
  if (mediaType === 'TEXT') return { mediaType, text: content ?? '' };
  if (content) {
    if (mediaType === 'IMAGE' || mediaType === 'VIDEO' || mediaType === 'AUDIO' || mediaType === 'DOCUMENT') {
      return { mediaType, file: fileRefOf(raw), resourceId: content.split(',')[0]! };
    }
    if (mediaType === 'LOCATE') {
      const [lat, lng, ...description] = content.split('/');
      const latitude = Number(lat);
      const longitude = Number(lng);
      if (Number.isFinite(latitude) && Number.isFinite(longitude)) return { mediaType, latitude, longitude, description: description.join('/') };
    }
  }
  return { mediaType: 'UNKNOWN', raw: content, rawMediaType: str(mediaType) };
}

/** READ content is "an array of read message ids", typed string: a JSON array, or a plain list. */
function parseReadIds(content: unknown): string[] {
  if (typeof content !== 'string' || content === '') return [];
  try {
    const parsed: unknown = JSON.parse(content);
    if (Array.isArray(parsed)) return parsed.map(String);
  } catch {
    // not JSON: fall through to the comma-separated form
  }
  return content.split(',').map((id) => id.trim()).filter(Boolean);
}

export function parseDownlink(raw: WireDownlinkMessage): DownlinkMessage {
  const base = {
    key: messageKey(raw),
    messageCode: str(raw.messageCode),
    sourceType: sourceOf(raw.sourceType),
    senderNickname: str(raw.senderNickname),
    timestamp: toNumber(raw.timestamp),
    callId: str(raw.callId),
    from: str(raw.from) ?? '',
    to: str(raw.to) ?? '',
  };
  const controlType = raw.controlType;
  switch (controlType) {
    case 'CHAT':
      return Object.assign(base, {
        controlType,
        content: parseContent(raw),
        interIdx: str(raw.interIdx),
        robotGender: str(raw.robotGender),
        simQuestions: str(raw.simQuestions),
        queueFlag: raw.queueFlag === 'Y',
      });
    case 'DISCONNECT':
      return Object.assign(base, { controlType, isOfflineStatus: raw.isOfflineStatus === true || raw.isOfflineStatus === 'true' });
    case 'READ':
      return Object.assign(base, { controlType, messageIds: parseReadIds(raw.content) });
    default:
      return Object.assign(base, {
        controlType: (controlType === 'CONNECT' || controlType === 'TRANS2AGENT' ? controlType : 'UNKNOWN') as OtherDownlink['controlType'],
        rawControlType: str(controlType),
        content: str(raw.content),
      });
  }
}

export function parseHistoryMessage(raw: WireHistoryMessage): HistoryMessage {
  const source = raw.sourceType;
  const messageCode = str(raw.messageCode);
  const id = str(raw.id) ?? '';
  return {
    id,
    key: messageCode || `id:${id}`,
    messageCode,
    sourceType: source === 'USER' || source === 'CUSTOMER' ? 'CUSTOMER' : sourceOf(source),
    controlType: str(raw.controlType) ?? 'CHAT',
    mediaType: str(raw.mediaType),
    content: str(raw.content),
    senderNickname: str(raw.senderNickname),
    timestamp: toNumber(raw.sendTime ?? raw.receiveTime),
    callId: str(raw.callId),
  };
}

/** Queue answers: "no longer queuing" comes as a non-zero code. Returns null for real errors. */
export function parseQueueStatus(body: QueryQueueInfoResponse): QueueStatus | null {
  const code = body.resultCode;
  if (code === QueueResultCode.QUEUING) {
    return {
      status: 'queuing',
      position: toNumber(body.position),
      totalWaitTime: toNumber(body.totalWaitTime),
      currentDeviceWaitTime: toNumber(body.currentDeviceWaitTime),
      configMaxWaitTime: toNumber(body.configMaxcWaitTime), // the wire's spelling
      longestWaitTime: toNumber(body.longestWaitTime),
      estimateWaitTime: toNumber(body.estimateWaitTime),
    };
  }
  if (code === QueueResultCode.WITH_AGENT) return { status: 'with-agent' };
  if (code === QueueResultCode.IN_IVR) return { status: 'in-ivr' };
  return code === QueueResultCode.SESSION_ENDED || code === QueueResultCode.SESSION_NOT_FOUND ? { status: 'ended', resultCode: code } : null;
}
