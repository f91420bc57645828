/**
 * Drives one chat session for the demo: renders every snapshot, downloads incoming files,
 * carries out typed commands (shared by the script and the interactive loop) and lets a script
 * wait for a condition.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { entryAt, transcriptEntries, type ChatSessionActor, type ChatSessionOutput, type ChatUserEvent } from '../index.js';
import type { Simulator } from '../simulator/index.js';
import { HELP, fileTypeOf, type Command } from './commands.js';
import { receivedFileName, stateKey, type Paint, type Printer, type TranscriptRenderer } from './render.js';
import { SAMPLE_PHOTO_NAME, sampleAgentImage, samplePhoto } from './samples.js';

export type DemoSnapshot = ReturnType<ChatSessionActor['getSnapshot']>;

/** A scripted wait gave up. */
export class DemoTimeoutError extends Error {
  override readonly name = 'DemoTimeoutError';
}

/** The session finished while a script was still waiting for something else. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
}

interface Waiter {
  predicate: (snapshot: DemoSnapshot) => boolean;
  resolve: (snapshot: DemoSnapshot) => void;
  reject: (error: Error) => void;
  what: string;
}

export interface DemoControllerOptions {
  session: ChatSessionActor;
  renderer: TranscriptRenderer;
  printer: Printer;
  paint: Paint;
  userId: string;
  /** The embedded simulator, when the demo runs against it (enables /sim commands). */
  sim: Simulator | null;
}

const CHAT_STATES = new Set(['queuing', 'chatting']);
/** After the conversation: a survey to answer or skip, or one that could not be loaded. */
const SURVEY_STATES = new Set(['survey-agent', 'survey-robot', 'survey-unavailable']);
const UNAVAILABLE_HINT = '/retry to ask again, or /skip to end without a survey';

export class DemoController {
  readonly session: ChatSessionActor;
  /** Resolves with the machine's output when it reaches `disconnected` (null if it stopped otherwise). */
  readonly finished: Promise<ChatSessionOutput | null>;
  private readonly options: DemoControllerOptions;
  private waiters: Waiter[] = [];
  private requestedDownloads = new Set<string>();
  private quitting = false;
  private listeners: ((snapshot: DemoSnapshot) => void)[] = [];
  private resolveFinished!: (output: ChatSessionOutput | null) => void;
  private ended = false;
  private autoSkippedIn: string | null = null;

  constructor(options: DemoControllerOptions) {
    this.options = options;
    this.session = options.session;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
  }

  get snapshot(): DemoSnapshot {
    return this.session.getSnapshot();
  }

  get stateKey(): string {
    return stateKey(this.snapshot.value);
  }

  get hasSimulator(): boolean {
    return this.options.sim !== null;
  }

  /** Called on every snapshot after rendering (the interactive loop adds agent behaviour). */
  onSnapshot(listener: (snapshot: DemoSnapshot) => void): void {
    this.listeners.push(listener);
  }

  start(): void {
    const { session, renderer } = this.options;
    session.on('file.downloaded', (event) => {
      const entry = entryAt(this.snapshot.context, event.key);
      const media = entry?.kind === 'incoming' && entry.message.controlType === 'CHAT' ? entry.message.content.mediaType : 'file';
      renderer.fileReceived(receivedFileName(media, event.fileType), event.bytes.length);
    });
    session.subscribe({
      next: (snapshot) => this.observe(snapshot),
      error: (error) => {
        renderer.note('error', 'error', `the session actor failed: ${error instanceof Error ? error.message : String(error)}`);
        this.finish(null);
      },
    });
    session.start();
  }

  /** Resolves with the first snapshot (current or later) that satisfies `predicate`. */
  waitFor(predicate: (snapshot: DemoSnapshot) => boolean, what: string, timeoutMs: number): Promise<DemoSnapshot> {
    const current = this.snapshot;
    if (predicate(current)) return Promise.resolve(current);
    if (this.ended) return Promise.reject(new SessionEndedError(`the session ended while waiting for ${what}`));
    return new Promise<DemoSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new DemoTimeoutError(`gave up after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter: Waiter = {
        what,
        predicate,
        resolve: (snapshot) => {
          clearTimeout(timer);
          resolve(snapshot);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** End the chat and skip whatever follows (survey, leave-message). */
  quit(): void {
    this.quitting = true;
    this.autoSkip();
  }

  /** Stops the actor (last resort when it does not finish). */
  stop(): void {
    this.session.stop();
    this.finish(null);
  }

  /** Carries out one command; returns false for /quit so a loop knows to stop reading. */
  async run(command: Command): Promise<boolean> {
    const { renderer, sim, userId } = this.options;
    const key = this.stateKey;
    const needChat = (): boolean => {
      if (CHAT_STATES.has(key)) return true;
      renderer.note('warn', '!', `not now: messages go out while queuing or chatting (state: ${key})`);
      return false;
    };
    switch (command.kind) {
      case 'empty':
        return true;
      case 'invalid':
        renderer.note('warn', '!', command.message);
        return true;
      case 'help':
        for (const line of HELP.split('\n')) this.options.printer.line(this.options.paint('dim', line));
        return true;
      case 'say':
        if (needChat()) this.send({ type: 'message.send', text: command.text });
        return true;
      case 'file': {
        if (!needChat()) return true;
        if (command.path === null) {
          this.send({ type: 'file.send', data: samplePhoto(), fileType: 'png', name: SAMPLE_PHOTO_NAME });
          return true;
        }
        const fileType = fileTypeOf(command.path);
        if (fileType === null) {
          renderer.note('warn', '!', `${command.path}: the name needs an extension (jpg, png, bmp, mp3, aac, mp4, txt, csv)`);
          return true;
        }
        let data: Uint8Array;
        try {
          data = new Uint8Array(await readFile(command.path));
        } catch (error) {
          renderer.note('error', '!', `cannot read ${command.path}: ${error instanceof Error ? error.message : String(error)}`);
          return true;
        }
        this.send({ type: 'file.send', data, fileType, name: basename(command.path) });
        return true;
      }
      case 'agent':
        if (key !== 'chatting') renderer.note('warn', '!', `not now: ask for an agent while chatting with the robot (state: ${key})`);
        else this.send({ type: 'agent.request' });
        return true;
      case 'suggest':
        if (key !== 'chatting') renderer.note('warn', '!', `not now: suggestions need a chat (state: ${key})`);
        else this.send({ type: 'input.change', text: command.text });
        return true;
      case 'read':
        this.send({ type: 'messages.markRead' });
        return true;
      case 'retry': {
        // After the conversation: ask getsatisfactionsurveymode again (now, in survey-mode-retry).
        if (key === 'survey-unavailable' || this.snapshot.matches({ connected: { ending: 'survey-mode-retry' } })) {
          this.send({ type: 'retry' });
          return true;
        }
        const failed = transcriptEntries(this.snapshot.context.transcript).reverse().find((e) => e.kind === 'outgoing' && e.status === 'failed');
        if (!failed) renderer.note('warn', '!', 'no failed message to retry');
        else this.send({ type: 'message.retry', key: failed.key });
        return true;
      }
      case 'end':
        // chat.end in a survey state skips the survey: when the agent (or the server) ended the
        // chat first, /end must not throw the survey away.
        if (key === 'survey-agent' || key === 'survey-robot') renderer.note('warn', '!', 'the chat has already ended: /rate <level> answers the survey, /skip ends without it');
        else if (key === 'survey-unavailable') renderer.note('warn', '!', `the chat has already ended: ${UNAVAILABLE_HINT}`);
        else if (key === 'ending') renderer.note('warn', '!', 'the chat is already ending (fetching the survey; /skip to end without one)');
        else if (key === 'disconnecting' || key === 'disconnected') renderer.note('warn', '!', 'the chat is already ending');
        else this.send({ type: 'chat.end' });
        return true;
      case 'rate':
        this.rate(command.score, command.comment);
        return true;
      case 'skip':
        if (SURVEY_STATES.has(key)) this.send({ type: 'survey.skip' });
        else if (key === 'ending') this.send({ type: 'chat.end' }); // still fetching the survey: end without it
        else if (key === 'leave-message') this.send({ type: 'leaveMessage.skip' });
        else renderer.note('warn', '!', 'nothing to skip right now');
        return true;
      case 'leave':
        if (key !== 'leave-message') renderer.note('warn', '!', `not now: there is no leave-message form (state: ${key})`);
        else this.send({ type: 'leaveMessage.submit', caller: command.caller, message: command.message });
        return true;
      case 'sim': {
        if (!sim) {
          renderer.note('warn', '!', '/sim works with the embedded simulator only');
          return true;
        }
        try {
          if (command.action === 'say') sim.agent.say(userId, command.text ?? '');
          else if (command.action === 'file') sim.agent.sendFile(userId, { bytes: sampleAgentImage(), fileType: 'jpg' });
          else if (command.action === 'hangup') sim.agent.end(userId);
          else sim.system.releaseSession(userId);
        } catch (error) {
          renderer.note('warn', 'sim', error instanceof Error ? error.message : String(error));
        }
        return true;
      }
      case 'quit':
        this.quit();
        return false;
    }
  }

  private rate(score: number | 'yes' | 'no', comment: string | null): void {
    const { renderer } = this.options;
    const { context } = this.snapshot;
    const key = this.stateKey;
    const withComment = comment === null ? {} : { comment };
    if (key === 'survey-agent' && context.survey.offer) {
      const level = context.survey.offer.levels.find((l) => l.key === String(score)) ?? (typeof score === 'number' ? context.survey.offer.levels[score - 1] : undefined);
      if (!level) {
        renderer.note('warn', '!', `rate with one of ${context.survey.offer.levels.map((l) => l.key).join(', ')}`);
        return;
      }
      this.send({ type: 'survey.submit', evaluation: level.key, ...withComment });
    } else if (key === 'survey-robot') {
      const satisfied = score === 'yes' || (typeof score === 'number' && score >= 4);
      this.send({ type: 'survey.submit', satisfied, ...withComment });
    } else if (key === 'survey-unavailable') {
      renderer.note('warn', '!', `the survey could not be loaded: ${UNAVAILABLE_HINT}`);
    } else {
      renderer.note('warn', '!', 'there is no survey to answer right now');
    }
  }

  private send(event: ChatUserEvent): void {
    this.session.send(event);
  }

  private observe(snapshot: DemoSnapshot): void {
    this.options.renderer.update(snapshot);
    if (snapshot.status !== 'active') {
      this.finish(snapshot.status === 'done' ? (snapshot.output ?? null) : null);
      return;
    }
    this.downloadNewFiles(snapshot);
    if (this.quitting) queueMicrotask(() => this.autoSkip());
    for (const listener of this.listeners) listener(snapshot);
    for (const waiter of [...this.waiters]) {
      if (!waiter.predicate(snapshot)) continue;
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(snapshot);
    }
  }

  private finish(output: ChatSessionOutput | null): void {
    if (this.ended) return;
    this.ended = true;
    this.options.renderer.flush();
    const final = this.snapshot;
    for (const waiter of this.waiters) {
      if (waiter.predicate(final)) waiter.resolve(final);
      else waiter.reject(new SessionEndedError(`the session ended while waiting for ${waiter.what}`));
    }
    this.waiters = [];
    this.resolveFinished(output);
  }

  /** Every file the agent sends is downloaded at once (the bytes arrive as `file.downloaded`). */
  private downloadNewFiles(snapshot: DemoSnapshot): void {
    if (!('connected' in (typeof snapshot.value === 'object' ? snapshot.value : {}))) return;
    for (const entry of transcriptEntries(snapshot.context.transcript)) {
      if (entry.kind !== 'incoming' || entry.message.controlType !== 'CHAT' || !('file' in entry.message.content)) continue;
      if (this.requestedDownloads.has(entry.key) || snapshot.context.downloads[entry.key]) continue;
      this.requestedDownloads.add(entry.key);
      const key = entry.key;
      queueMicrotask(() => this.send({ type: 'file.download', key }));
    }
  }

  private autoSkip(): void {
    if (this.ended) return;
    const key = this.stateKey;
    // Once per state: an event a state ignores must not be repeated on every snapshot.
    if (key === this.autoSkippedIn) return;
    this.autoSkippedIn = key;
    if (SURVEY_STATES.has(key)) this.send({ type: 'survey.skip' });
    else if (key === 'leave-message') this.send({ type: 'leaveMessage.skip' });
    else if (key !== 'disconnecting' && key !== 'disconnected') this.send({ type: 'chat.end' });
  }
}
