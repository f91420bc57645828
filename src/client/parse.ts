/**
 * Turns documented-but-loose wire answers into typed values. Servers send numbers as strings,
 * null for absent fields and content in two formats; parsing is tolerant here so the rest of
 * the package can be strict.
 */
import { SOURCE_TYPES, type SourceType, type SurveyModeResponse, type WireDownlinkMessage, type WireHistoryMessage, type QueryQueueInfoResponse, QueueResultCode } from './protocol.js';
import type { DownlinkContent, DownlinkMessage, FileRef, HistoryMessage, QueueStatus, SurveyMode } from './types.js';

const DEFAULT_FILE_TYPE: Record<string, string> = { IMAGE: 'jpg', AUDIO: 'mp3', VIDEO: 'mp4', DOCUMENT: 'pdf' };

export function toNumber(value: unknown, fallback = 0): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fallback;
}

function toStringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

/** FNV-1a, 32 bit: a small stable hash for messages that come without a messageCode. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The dedupe key: messageCode where the server gives one, else a hash of what identifies it. */
export function messageKey(raw: WireDownlinkMessage): string {
  if (typeof raw.messageCode === 'string' && raw.messageCode !== '') return raw.messageCode;
  const parts = [raw.sourceType, raw.controlType, raw.mediaType, raw.timestamp, raw.content, raw.from, raw.to, raw.interIdx];
  return `h:${fnv1a(parts.map((p) => (p === null || p === undefined ? '' : String(p))).join('\u0001'))}`;
}

/** Media content is a bare key, or "key,ext" in older pages (aicc-api.md §4.3 contradiction). */
export function fileRefOf(raw: Pick<WireDownlinkMessage, 'content' | 'contentType' | 'mediaFileType' | 'mediaType'>): FileRef {
  // Wire fields are untrusted: a number or an object where a string belongs must not throw.
  const content = typeof raw.content === 'string' ? raw.content : '';
  const [resource = '', ext] = content.split(',');
  const local = raw.contentType === '1';
  const mediaFileType = typeof raw.mediaFileType === 'string' ? raw.mediaFileType : '';
  const fileType = (mediaFileType || ext || DEFAULT_FILE_TYPE[typeof raw.mediaType === 'string' ? raw.mediaType : ''] || 'jpg').toLowerCase();
  return { fileId: local ? `local/${resource}` : resource, fileType, multiMedia: !local };
}

function parseContent(raw: WireDownlinkMessage): DownlinkContent {
  const content = toStringOrNull(raw.content);
  switch (raw.mediaType) {
    case 'TEXT':
      return { mediaType: 'TEXT', text: content ?? '' };
    case 'IMAGE':
    case 'VIDEO':
    case 'AUDIO':
    case 'DOCUMENT':
      if (!content) break;
      return { mediaType: raw.mediaType, file: fileRefOf(raw), resourceId: content.split(',')[0] ?? content };
    case 'LOCATE': {
      const [lat, lng, ...description] = (content ?? '').split('/');
      const latitude = Number(lat);
      const longitude = Number(lng);
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) break;
      return { mediaType: 'LOCATE', latitude, longitude, description: description.join('/') };
    }
  }
  return { mediaType: 'UNKNOWN', raw: content, rawMediaType: toStringOrNull(raw.mediaType) };
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
    messageCode: toStringOrNull(raw.messageCode),
    sourceType: (SOURCE_TYPES as readonly string[]).includes(raw.sourceType ?? '') ? (raw.sourceType as SourceType) : 'SYSTEM',
    senderNickname: toStringOrNull(raw.senderNickname),
    timestamp: toNumber(raw.timestamp),
    callId: toStringOrNull(raw.callId),
    from: toStringOrNull(raw.from) ?? '',
    to: toStringOrNull(raw.to) ?? '',
  };
  switch (raw.controlType) {
    case 'CHAT':
      return {
        ...base,
        controlType: 'CHAT',
        content: parseContent(raw),
        interIdx: toStringOrNull(raw.interIdx),
        robotGender: toStringOrNull(raw.robotGender),
        simQuestions: toStringOrNull(raw.simQuestions),
        queueFlag: raw.queueFlag === 'Y',
      };
    case 'DISCONNECT':
      return { ...base, controlType: 'DISCONNECT', isOfflineStatus: raw.isOfflineStatus === true || raw.isOfflineStatus === 'true' };
    case 'READ':
      return { ...base, controlType: 'READ', messageIds: parseReadIds(raw.content) };
    default: {
      const known = raw.controlType === 'CONNECT' || raw.controlType === 'TRANS2AGENT';
      return {
        ...base,
        controlType: known ? (raw.controlType as 'CONNECT' | 'TRANS2AGENT') : 'UNKNOWN',
        rawControlType: toStringOrNull(raw.controlType),
        content: toStringOrNull(raw.content),
      };
    }
  }
}

export function parseHistoryMessage(raw: WireHistoryMessage): HistoryMessage {
  const source = raw.sourceType === 'USER' || raw.sourceType === 'CUSTOMER' ? 'CUSTOMER' : raw.sourceType;
  const messageCode = toStringOrNull(raw.messageCode);
  const id = toStringOrNull(raw.id) ?? '';
  return {
    id,
    key: messageCode || `id:${id}`,
    messageCode,
    sourceType: source === 'CUSTOMER' || (SOURCE_TYPES as readonly string[]).includes(source) ? (source as HistoryMessage['sourceType']) : 'SYSTEM',
    controlType: toStringOrNull(raw.controlType) ?? 'CHAT',
    mediaType: toStringOrNull(raw.mediaType),
    content: toStringOrNull(raw.content),
    senderNickname: toStringOrNull(raw.senderNickname),
    timestamp: toNumber(raw.sendTime ?? raw.receiveTime),
    callId: toStringOrNull(raw.callId),
  };
}

/** Queue answers: "no longer queuing" comes as a non-zero code. Returns null for real errors. */
export function parseQueueStatus(body: QueryQueueInfoResponse): QueueStatus | null {
  switch (body.resultCode) {
    case QueueResultCode.QUEUING:
      return {
        status: 'queuing',
        position: toNumber(body.position),
        totalWaitTime: toNumber(body.totalWaitTime),
        currentDeviceWaitTime: toNumber(body.currentDeviceWaitTime),
        configMaxWaitTime: toNumber(body.configMaxcWaitTime),
        longestWaitTime: toNumber(body.longestWaitTime),
        estimateWaitTime: toNumber(body.estimateWaitTime),
      };
    case QueueResultCode.WITH_AGENT:
      return { status: 'with-agent' };
    case QueueResultCode.IN_IVR:
      return { status: 'in-ivr' };
    case QueueResultCode.SESSION_ENDED:
    case QueueResultCode.SESSION_NOT_FOUND:
      return { status: 'ended', resultCode: body.resultCode };
    default:
      return null;
  }
}

export function parseSurveyMode(body: SurveyModeResponse): SurveyMode {
  const survey = body.satisfactionSurvey;
  if (!survey || typeof survey !== 'object' || survey.surveyType !== 'WEB') return { surveyType: 'NO' };
  const levels = (Array.isArray(survey.satisfactionLevel) ? survey.satisfactionLevel : [])
    .filter((level) => level && typeof level.satisfactionLevelKey === 'string')
    .map((level) => ({ key: level.satisfactionLevelKey, label: String(level.satisfactionLevelDesc ?? level.satisfactionLevelKey) }));
  const questions = Array.isArray(survey.satisfactionQuestion) ? survey.satisfactionQuestion.map(String) : [];
  return { surveyType: 'WEB', levels, questions };
}
