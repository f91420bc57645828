/**
 * The view module: what a chat UI shows and can do, from a snapshot. Framework-free and pure;
 * exported from the core entry. See docs/guides/view.md.
 */
export {
  chatStep,
  chatView,
  connectChat,
  type ChatAbilities,
  type ChatApi,
  type ChatCommands,
  type ChatPhase,
  type ChatQueueView,
  type ChatSnapshot,
  type ChatStep,
  type ChatSurveyView,
  type ChatTransfer,
  type ChatView,
  type ChatViewOptions,
} from './view.js';
export { entryView, transcriptView, type ChatEntryView, type ChatFileKind, type ChatFileView, type ChatGapView, type ChatMessageView, type ChatNoticeView, type ChatParty, type ChatUploadView } from './entries.js';
export { checkFile, fileSendEvent, mimeTypeOf, uploadAccept, uploadFileTypeOf, type FileData, type FileSendEvent } from './files.js';
export {
  CHAT_TEXTS,
  chatTexts,
  endReasonText,
  errorText,
  normaliseLocale,
  textsForLocale,
  type ChatErrorValues,
  type ChatStatusKey,
  type ChatText,
  type ChatTextOverrides,
  type ChatTexts,
} from './texts.js';
