/**
 * The transcript as render-ready entries: who wrote it, its text, its file (type, MIME, name,
 * download state), its status. Pure; each entry's view is reused while the entry (and its
 * download) is unchanged, so a list keyed by `key` re-renders only what changed.
 */
import type { AiccErrorInfo } from '../client/errors.js';
import type {
  ChatSessionContext,
  ChatSessionError,
  DownloadEntry,
  DownloadStatus,
  OutgoingEntry,
  OutgoingStatus,
  TranscriptEntry,
} from '../../machines/chatSession.types.js';
import { transcriptEntries } from '../../machines/chatSession.transcript.js';
import { validateRetry } from '../../machines/chatSession.validation.js';
import { mimeTypeOf } from './files.js';
import { CHAT_TEXTS, errorText, type ChatTexts } from './texts.js';

/** Who wrote an entry. */
export type ChatParty = 'customer' | 'agent' | 'robot' | 'system';
export type ChatFileKind = 'image' | 'video' | 'audio' | 'document';

export interface ChatFileView {
  kind: ChatFileKind;
  /** The API's file type, lower case (jpg, png, mp4, pdf, ...). */
  fileType: string;
  /** For a `Blob`, an `<img>`, a download link: `mimeTypeOf(fileType)`. */
  mime: string;
  /** The customer's file name; for a received file `image.jpg`, `document.pdf`. */
  name: string;
  /** Bytes (sent files; null for received ones). */
  size: number | null;
  /**
   * Received files: `idle` (not asked for yet), `downloading`, `done` (the bytes came as the
   * `file.downloaded` event), `failed`. Sent files: null.
   */
  download: 'idle' | DownloadStatus | null;
  /** A received file `file.download` takes now (not already downloading); see also `can.download`. */
  canDownload: boolean;
  /** A sent file while it uploads (status `uploading`): how far it got. Null otherwise. */
  upload: ChatUploadView | null;
}

/** An upload under way, ready for a progress bar (`<progress value={fraction}>`) or a label. */
export interface ChatUploadView {
  /** Bytes of the file sent so far. */
  loaded: number;
  /** The file's size in bytes. */
  total: number;
  /** loaded / total, 0 to 1 (1 for an empty file). */
  fraction: number;
  /** The fraction as a whole percentage, 0 to 100, rounded down: 100 only once all of it went. */
  percent: number;
}

export interface ChatMessageView {
  kind: 'message';
  key: string;
  from: ChatParty;
  /** Display name: the sender's nickname, else `texts.names` (empty for system messages). */
  sender: string;
  /** From the customer's earlier conversations (history loaded before connecting). */
  earlier: boolean;
  /** Epoch ms (0: unknown). */
  time: number;
  body: 'text' | 'file' | 'location' | 'unknown';
  /** One line to show: the text, the file's name, the place, or `texts.notices.unknown`. */
  text: string;
  file: ChatFileView | null;
  location: { latitude: number; longitude: number } | null;
  /** The customer's messages: where it stands; null for the others. */
  status: OutgoingStatus | null;
  /** `texts.outgoing[status]`, or `read` once the agent has read it; null for the others. */
  statusText: string | null;
  /** The agent has read it (READ receipt). */
  read: boolean;
  /** `message.retry` takes it (failed, and its content is still there). */
  canRetry: boolean;
  /** Why sending it failed (or why it waits to be resent), or why its download failed. */
  error: ChatSessionError | null;
  errorText: string | null;
}

/** Not a message: the agent left, the service closed the chat, a CONNECT/TRANS2AGENT echo. */
export interface ChatNoticeView {
  kind: 'notice';
  key: string;
  from: ChatParty;
  time: number;
  text: string;
}

/** Messages may be missing here and could not be recovered ("Some messages could not be loaded"). */
export interface ChatGapView {
  kind: 'gap';
  key: string;
  /** Server time after which messages may be missing. */
  time: number;
  text: string;
  error: AiccErrorInfo;
}

export type ChatEntryView = ChatMessageView | ChatNoticeView | ChatGapView;

const KIND_OF_MEDIA: Readonly<Record<string, ChatFileKind>> = { IMAGE: 'image', VIDEO: 'video', AUDIO: 'audio' };
const kindOf = (mediaType: string): ChatFileKind => KIND_OF_MEDIA[mediaType] ?? 'document';
const partyOf = (sourceType: string): ChatParty => sourceType.toLowerCase() as ChatParty;

function fileView(kind: ChatFileKind, fileType: string, name: string, size: number | null, download: ChatFileView['download']): ChatFileView {
  const type = fileType.toLowerCase();
  return { kind, fileType: type, mime: mimeTypeOf(type), name, size, download, canDownload: download !== null && download !== 'downloading', upload: null };
}

/** How far an uploading entry got; an entry from before progress existed shows 0. */
function uploadView(entry: OutgoingEntry, size: number): ChatUploadView | null {
  if (entry.status !== 'uploading') return null;
  const { loaded, total } = entry.progress ?? { loaded: 0, total: size };
  const fraction = total > 0 ? Math.min(loaded / total, 1) : 1;
  return { loaded, total, fraction, percent: Math.floor(fraction * 100) };
}

function message(key: string, from: ChatParty, sender: string, time: number, body: ChatMessageView['body'], text: string): ChatMessageView {
  return { kind: 'message', key, from, sender, earlier: false, time, body, text, file: null, location: null, status: null, statusText: null, read: false, canRetry: false, error: null, errorText: null };
}

/** One transcript entry as shown (`context` gives downloads and retryability). */
export function entryView(entry: TranscriptEntry, context: Pick<ChatSessionContext, 'transcript' | 'transcriptIndex' | 'downloads'>, texts: ChatTexts = CHAT_TEXTS): ChatEntryView {
  const { names } = texts;
  const key = entry.key;
  switch (entry.kind) {
    case 'gap':
      return { kind: 'gap', key, time: entry.from, text: texts.notices.gap, error: entry.error };
    case 'outgoing': {
      const file = entry.file;
      const view = message(key, 'customer', names.you, entry.timestamp, file ? 'file' : 'text', file ? file.name : (entry.text ?? ''));
      if (file) {
        view.file = fileView(kindOf(entry.mediaType), file.fileType, file.name, file.size, null);
        view.file.upload = uploadView(entry, file.size);
      }
      view.status = entry.status;
      view.statusText = entry.read ? texts.outgoing.read : texts.outgoing[entry.status];
      view.read = entry.read;
      view.canRetry = validateRetry(context, { key }) === null;
      view.error = entry.error;
      view.errorText = entry.error ? errorText(entry.error, texts) : null;
      return view;
    }
    case 'history': {
      const m = entry.message;
      const from = partyOf(m.sourceType);
      const sender = from === 'customer' ? names.you : (m.senderNickname ?? (from === 'system' ? '' : names[from]));
      const text = m.mediaType === null || m.mediaType === 'TEXT';
      const view = message(key, from, sender, m.timestamp, text ? 'text' : 'unknown', text ? (m.content ?? '') : `[${m.mediaType!.toLowerCase()}]`);
      view.earlier = true;
      return view;
    }
    case 'incoming': {
      const m = entry.message;
      const from = partyOf(m.sourceType);
      if (m.controlType === 'DISCONNECT') return { kind: 'notice', key, from, time: m.timestamp, text: from === 'agent' ? texts.notices.agentLeft : texts.notices.closed };
      if (m.controlType !== 'CHAT') return { kind: 'notice', key, from, time: m.timestamp, text: m.content ?? m.rawControlType ?? m.controlType };
      const sender = from === 'system' || from === 'customer' ? '' : (m.senderNickname ?? names[from]);
      const content = m.content;
      switch (content.mediaType) {
        case 'TEXT':
          return message(key, from, sender, m.timestamp, 'text', content.text);
        case 'LOCATE': {
          const view = message(key, from, sender, m.timestamp, 'location', content.description);
          view.location = { latitude: content.latitude, longitude: content.longitude };
          return view;
        }
        case 'UNKNOWN':
          return message(key, from, sender, m.timestamp, 'unknown', texts.notices.unknown);
        default: {
          const kind = kindOf(content.mediaType);
          const download: DownloadEntry | undefined = context.downloads[key];
          const name = `${kind}.${content.file.fileType.toLowerCase()}`;
          const view = message(key, from, sender, m.timestamp, 'file', name);
          view.file = fileView(kind, content.file.fileType, name, null, download?.status ?? 'idle');
          view.error = download?.error ?? null;
          view.errorText = view.error ? errorText(view.error, texts) : null;
          return view;
        }
      }
    }
  }
}

/** Views already built, by entry: reused while the entry, its download and the texts are the same. */
const built = new WeakMap<TranscriptEntry, { view: ChatEntryView; download: DownloadEntry | undefined; texts: ChatTexts }>();

/** Every transcript entry, in order, as shown. */
export function transcriptView(context: Pick<ChatSessionContext, 'transcript' | 'transcriptIndex' | 'downloads'>, texts: ChatTexts = CHAT_TEXTS): ChatEntryView[] {
  return transcriptEntries(context.transcript).map((entry) => {
    const download = context.downloads[entry.key];
    const cached = built.get(entry);
    if (cached && cached.download === download && cached.texts === texts) return cached.view;
    const view = entryView(entry, context, texts);
    built.set(entry, { view, download, texts });
    return view;
  });
}
