/**
 * Formatting of the demo: turns chat-session snapshots into transcript lines.
 *
 *   [state] auth → history → connecting → chatting (robot)
 *   Robot: Hello, I am the AICC virtual assistant. How can I help you?
 *   You: How do I reset my password?
 *   [queue] position 2, est. wait 1 s
 *   Agent Alice: Hello, this is Alice. How can I help you today?
 *   [file] sent photo.png (1.2 KB)
 *
 * `TranscriptRenderer.update(snapshot)` diffs each snapshot against what it has printed
 * already, so every message, queue position, error and prompt appears exactly once.
 * `Printer` groups consecutive state changes on one `[state]` line. Pure string functions are
 * exported for tests.
 */
import { styleText } from 'node:util';
import type { StateValue } from 'xstate';
import type {
  ChatSessionContext,
  ChatSessionError,
  EndReason,
  IncomingEntry,
  HistoryEntry,
  OutgoingEntry,
  QueueInfo,
  SurveyDefinition,
} from '../../machines/chatSession.types.js';
import type { DemoResult } from './types.js';
import { transcriptEntries } from '../index.js';
import { CHAT_TEXTS, chatStep, chatView, type ChatSnapshot, type ChatTexts, type ChatView } from '../view/index.js';

// ---------------------------------------------------------------------------------------------
// Colours

export type Style =
  | 'state'
  | 'robot'
  | 'agent'
  | 'you'
  | 'system'
  | 'queue'
  | 'file'
  | 'error'
  | 'warn'
  | 'dim'
  | 'ok'
  | 'survey'
  | 'bold';

const STYLE_FORMATS: Record<Style, Parameters<typeof styleText>[0]> = {
  state: 'cyan',
  robot: 'magenta',
  agent: 'green',
  you: 'blue',
  system: 'gray',
  queue: 'yellow',
  file: 'cyan',
  error: 'red',
  warn: 'yellow',
  dim: 'gray',
  ok: 'green',
  survey: 'yellow',
  bold: 'bold',
};

export type Paint = (style: Style, text: string) => string;

/** A painter: ANSI styles when `color`, the text unchanged otherwise. */
export function painter(color: boolean): Paint {
  // validateStream: false — the demo decides (its output may not be process.stdout).
  return color ? (style, text) => styleText(STYLE_FORMATS[style], text, { validateStream: false }) : (_style, text) => text;
}

/** Colours only on a terminal, and never when NO_COLOR is set to anything non-empty. */
export function shouldUseColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  return stream.isTTY === true;
}

// ---------------------------------------------------------------------------------------------
// Pure formatting

/** 980 B, 1.2 KB, 2.0 MB. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The name the demo prints for where the session is: the view module's step, with
 * `survey-mode-retry` shown as `ending` (it retries by itself; its error is printed as [error]).
 */
export function demoStep(value: StateValue): string {
  const step = chatStep(value);
  return step === 'survey-mode-retry' ? 'ending' : step;
}

/** `chatting (robot)`, `chatting (agent Alice)`, or the step's name (`demoStep`). */
export function stateLabel(name: string, view: Pick<ChatView, 'servedBy' | 'agentName'>): string {
  if (name !== 'chatting' || view.servedBy === null) return name;
  if (view.servedBy === 'robot') return 'chatting (robot)';
  return view.agentName ? `chatting (agent ${view.agentName})` : 'chatting (agent)';
}

export function formatQueue(info: QueueInfo): string {
  if (info.status === 'in-ivr') return 'in the IVR, waiting for a free agent';
  return `position ${info.position}, est. wait ${info.estimateWaitTime} s`;
}

export function formatError(error: ChatSessionError): string {
  if (error.name === 'ChatInputError') return `${error.event}: ${error.message}`;
  const code = error.resultCode !== undefined ? ` ${error.resultCode}` : error.status !== undefined ? ` HTTP ${error.status}` : '';
  const detail = error.resultDesc ?? error.exceptionInfo ?? error.message;
  return `${error.api}${code} (${error.kind}): ${detail}`;
}

/** What a received file is called in the transcript: `image.jpg`, `document.pdf`. */
export function receivedFileName(mediaType: string, fileType: string): string {
  return `${mediaType.toLowerCase()}.${fileType.toLowerCase()}`;
}

/** Local `YYYY-MM-DD HH:MM`. */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

function describeOutgoing(entry: OutgoingEntry | undefined): string {
  if (!entry) return 'your message';
  return entry.text !== null ? `"${entry.text}"` : (entry.file?.name ?? 'your message');
}

export function formatSurveyPrompt(survey: SurveyDefinition, agentNickname: string | null): string[] {
  const who = survey.target === 'agent' ? (agentNickname ?? 'the agent') : 'the assistant';
  const levels = survey.levels.map((l) => `${l.key} ${l.label}`).join(' · ');
  const lines = [`How satisfied are you with ${who}? ${levels}`];
  lines.push(
    survey.target === 'agent'
      ? 'Answer with /rate <level> [comment], or /skip.'
      : 'Answer with /rate <level> [comment] (4 or more counts as satisfied; a comment is required otherwise), or /skip.',
  );
  return lines;
}

/** survey-unavailable: why (`context.error`, typed) and what to do. */
export function formatSurveyUnavailable(error: ChatSessionError | null): string[] {
  return [
    error === null ? 'the survey could not be loaded' : `the survey could not be loaded: ${formatError(error)}`,
    '/retry to ask again, or /skip to end without a survey.',
  ];
}

export function formatSummary(result: Pick<DemoResult, 'messagesIn' | 'messagesOut' | 'filesSent' | 'filesReceived' | 'statePath' | 'violations' | 'durationMs'>): string {
  const violations = result.violations === null ? 'n/a (real server)' : String(result.violations.length);
  return (
    `summary: ${result.messagesIn} messages in, ${result.messagesOut} out, ` +
    `files ${result.filesSent} sent / ${result.filesReceived} received, ` +
    `${result.statePath.length} states visited, protocol violations ${violations}, ` +
    `${(result.durationMs / 1000).toFixed(1)} s`
  );
}

// ---------------------------------------------------------------------------------------------
// Printer: lines out, consecutive state changes grouped

export interface PrinterOptions {
  /** Writes one complete line (without the newline). */
  writeLine: (line: string) => void;
  paint: Paint;
  /** Flush pending state changes after this much quiet, ms. Default 150; 0 = only on demand. */
  stateFlushMs?: number;
}

/**
 * Collects state labels and prints them as one `[state] a → b → c` line as soon as anything
 * else is printed, after a short quiet period, or on `flush()`. Each new line starts with the
 * last state printed, so the path reads continuously.
 */
export class Printer {
  private pending: string[] = [];
  private lastPrinted: string | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: PrinterOptions) {}

  state(label: string): void {
    this.pending.push(label);
    const ms = this.options.stateFlushMs ?? 150;
    if (ms <= 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), ms);
    this.timer.unref?.();
  }

  line(text: string): void {
    this.flush();
    this.options.writeLine(text);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const labels = this.lastPrinted === null ? this.pending : [this.lastPrinted, ...this.pending];
    this.lastPrinted = this.pending[this.pending.length - 1] ?? this.lastPrinted;
    this.pending = [];
    const { paint } = this.options;
    this.options.writeLine(`${paint('dim', '[state]')} ${labels.map((l) => paint('state', l)).join(paint('dim', ' → '))}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The transcript renderer

/** What the renderer reads from a snapshot (a machine snapshot fits). */
export type RenderableSnapshot = ChatSnapshot;

interface Counters {
  messagesIn: number;
  messagesOut: number;
  filesSent: number;
  filesReceived: number;
}

/**
 * Diffs snapshots and prints what changed. Keeps the state path and message counters for the
 * summary.
 */
export class TranscriptRenderer {
  readonly statePath: string[] = [];
  readonly counters: Counters = { messagesIn: 0, messagesOut: 0, filesSent: 0, filesReceived: 0 };
  private lastKey: string | null = null;
  private printedEntries = new Map<string, string>();
  private lastQueue: string | null = null;
  private lastError: ChatSessionError | null = null;
  private lastSuggestions: string[] = [];
  private lastPollFailures = 0;
  private surveyShown = false;
  /** The survey-unavailable prompt was printed since the state was last entered. */
  private unavailableShown = false;
  private surveyThanked = false;
  private leaveShown = false;
  private downloadsFailed = new Set<string>();

  /** `texts`: the catalogue of the demo's locale, for the system notices (the view's words). */
  constructor(
    private readonly printer: Printer,
    private readonly paint: Paint,
    private readonly texts: ChatTexts = CHAT_TEXTS,
  ) {}

  /** Prints one line (flushing pending state changes first). */
  note(style: Style, tag: string, text: string): void {
    this.printer.line(`${this.paint(style, `[${tag}]`)} ${text}`);
  }

  update(snapshot: RenderableSnapshot): void {
    const { context } = snapshot;
    const view = chatView(snapshot);
    const key = demoStep(snapshot.value);
    this.trackState(key, view);
    this.trackQueue(context);
    this.trackTranscript(context);
    this.trackDownloads(context);
    this.trackConnection(context);
    this.trackSuggestions(context);
    this.trackError(context, key);
    this.trackPrompts(key, view, context);
  }

  /** The emitted `file.downloaded` event (bytes are never in the snapshot). */
  fileReceived(name: string, bytes: number): void {
    this.counters.filesReceived += 1;
    this.note('file', 'file', `received ${name} ${bytes} bytes`);
  }

  flush(): void {
    this.printer.flush();
  }

  private trackState(key: string, view: ChatView): void {
    if (key === this.lastKey) return;
    this.lastKey = key;
    const label = stateLabel(key, view);
    this.statePath.push(label);
    this.printer.state(label);
  }

  private trackQueue(context: ChatSessionContext): void {
    if (context.queue === null) {
      this.lastQueue = null;
      return;
    }
    const text = formatQueue(context.queue);
    if (text === this.lastQueue) return;
    this.lastQueue = text;
    this.note('queue', 'queue', text);
  }

  private trackTranscript(context: ChatSessionContext): void {
    const newlyRead: OutgoingEntry[] = [];
    for (const entry of transcriptEntries(context.transcript)) {
      const printed = this.printedEntries.get(entry.key);
      if (entry.kind === 'outgoing') {
        const status = `${entry.status}${entry.read ? '+read' : ''}`;
        if (printed === status) continue;
        this.printedEntries.set(entry.key, status);
        if (entry.read && !(printed?.endsWith('+read') ?? false)) newlyRead.push(entry);
        this.outgoing(entry, printed);
      } else if (printed === undefined) {
        this.printedEntries.set(entry.key, 'shown');
        if (entry.kind === 'history') this.history(entry);
        else if (entry.kind === 'gap') this.note('error', 'gap', `${this.texts.notices.gap} (history: ${entry.error.message})`);
        else this.incoming(entry, context);
      }
    }
    if (newlyRead.length > 0) {
      const who = context.agentNickname ?? 'the agent';
      const what = newlyRead.length === 1 ? describeOutgoing(newlyRead[0]) : `${newlyRead.length} of your messages`;
      this.note('dim', 'read', this.paint('dim', `${who} has read ${what}`));
    }
  }

  private incoming(entry: IncomingEntry, context: ChatSessionContext): void {
    const { message } = entry;
    const p = this.paint;
    if (message.controlType === 'DISCONNECT') {
      // The view's notice for the same message (entries.ts), in the demo's language.
      this.note('system', 'system', message.sourceType === 'AGENT' ? this.texts.notices.agentLeft : this.texts.notices.closed);
      return;
    }
    if (message.controlType !== 'CHAT') {
      this.note('system', 'system', `${message.controlType} notice${message.content ? `: ${message.content}` : ''}`);
      return;
    }
    const speaker =
      message.sourceType === 'ROBOT'
        ? p('robot', 'Robot:')
        : message.sourceType === 'AGENT'
          ? p('agent', `Agent ${message.senderNickname ?? context.agentNickname ?? ''}`.trimEnd() + ':')
          : null;
    if (message.sourceType === 'ROBOT' || message.sourceType === 'AGENT') this.counters.messagesIn += 1;
    const { content } = message;
    let text: string;
    switch (content.mediaType) {
      case 'TEXT':
        text = content.text;
        break;
      case 'LOCATE':
        text = `[location] ${content.description} (${content.latitude}, ${content.longitude})`;
        break;
      case 'UNKNOWN':
        text = `[${content.rawMediaType ?? 'unknown'} message] ${content.raw ?? ''}`.trimEnd();
        break;
      default:
        text = p('file', `[${content.mediaType.toLowerCase()}] ${receivedFileName(content.mediaType, content.file.fileType)}`);
    }
    if (speaker === null) this.note('system', 'system', text);
    else this.printer.line(`${speaker} ${text}`);
  }

  private history(entry: HistoryEntry): void {
    const { message } = entry;
    const who =
      message.sourceType === 'CUSTOMER'
        ? 'You'
        : message.sourceType === 'AGENT'
          ? `Agent ${message.senderNickname ?? ''}`.trimEnd()
          : message.sourceType === 'ROBOT'
            ? 'Robot'
            : 'system';
    const when = formatTime(message.timestamp);
    const text = message.mediaType === 'TEXT' || message.mediaType === null ? (message.content ?? '') : `[${message.mediaType.toLowerCase()}]`;
    this.note('dim', 'history', this.paint('dim', `${when} ${who}: ${text}`));
  }

  private outgoing(entry: OutgoingEntry, before: string | undefined): void {
    const p = this.paint;
    const beforeStatus = before?.replace('+read', '');
    if (beforeStatus === entry.status) return;
    if (entry.file) {
      const name = `${entry.file.name} (${formatBytes(entry.file.size)})`;
      if (entry.status === 'uploading') this.note('file', 'file', `uploading ${name}…`);
      else if (entry.status === 'sent') {
        this.counters.filesSent += 1;
        this.counters.messagesOut += 1;
        this.note('file', 'file', `sent ${name}`);
      } else if (entry.status === 'failed') {
        this.note('error', 'file', `not sent: ${name}${entry.error ? ` — ${formatError(entry.error)}` : ''} (/retry)`);
      }
      return;
    }
    if (before === undefined) this.printer.line(`${p('you', 'You:')} ${entry.text ?? ''}`);
    if (entry.status === 'sent') this.counters.messagesOut += 1;
    if (entry.status === 'failed') {
      this.note('error', '!', `not sent: "${entry.text ?? ''}"${entry.error ? ` — ${formatError(entry.error)}` : ''} (/retry)`);
    }
  }

  private trackDownloads(context: ChatSessionContext): void {
    for (const [key, download] of Object.entries(context.downloads)) {
      if (download.status !== 'failed' || this.downloadsFailed.has(key)) continue;
      this.downloadsFailed.add(key);
      this.note('error', 'file', `download failed${download.error ? `: ${formatError(download.error)}` : ''}`);
    }
  }

  private trackConnection(context: ChatSessionContext): void {
    const failures = context.connection.pollFailures;
    if (failures === this.lastPollFailures) return;
    if (failures > 0) this.note('warn', 'network', `poll failed ${failures}× — reconnecting…`);
    else this.note('ok', 'network', 'back online');
    this.lastPollFailures = failures;
  }

  private trackSuggestions(context: ChatSessionContext): void {
    const { suggestions } = context.compose;
    if (suggestions === this.lastSuggestions) return;
    const changed = suggestions.length !== this.lastSuggestions.length || suggestions.some((s, i) => s !== this.lastSuggestions[i]);
    this.lastSuggestions = suggestions;
    if (changed && suggestions.length > 0) this.note('dim', 'suggestions', suggestions.join(' | '));
  }

  private trackError(context: ChatSessionContext, key: string): void {
    const { error } = context;
    if (error === this.lastError) return;
    this.lastError = error;
    if (error === null) return;
    // The error that led to survey-unavailable is printed with its prompt (trackPrompts).
    if (key === 'survey-unavailable' && !this.unavailableShown) return;
    // Failed sends are reported on their message; poll errors as [network].
    if (error.name === 'AiccError' && (error.api === 'poll' || transcriptEntries(context.transcript).some((e) => e.kind === 'outgoing' && e.error === error))) return;
    this.note('error', error.name === 'ChatInputError' ? '!' : 'error', formatError(error));
  }

  private trackPrompts(key: string, view: ChatView, context: ChatSessionContext): void {
    if (view.survey && context.survey.offer && !this.surveyShown) {
      this.surveyShown = true;
      for (const line of formatSurveyPrompt(context.survey.offer, context.agentNickname)) this.note('survey', 'survey', line);
    }
    if (key !== 'survey-unavailable') this.unavailableShown = false;
    else if (!this.unavailableShown) {
      this.unavailableShown = true;
      formatSurveyUnavailable(context.error).forEach((line, i) => this.note(i === 0 ? 'error' : 'survey', 'survey', line));
    }
    if (context.survey.submitted && !this.surveyThanked) {
      this.surveyThanked = true;
      this.note('survey', 'survey', 'thank you for your feedback');
    }
    if (view.leaveMessage && !this.leaveShown) {
      this.leaveShown = true;
      const why = view.leaveMessage.afterHours ? 'outside working hours' : 'no agent can take the chat now';
      this.note('survey', 'leave-message', `${why}. Leave a message with /leave <phone> <message>, or /skip.`);
    }
  }
}
