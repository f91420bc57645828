/**
 * Drives one chat session for the demo: renders every snapshot, downloads incoming files,
 * carries out typed commands (shared by the script and the interactive loop) and lets a script
 * wait for a condition.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { entryAt, type ChatSessionActor, type ChatSessionOutput, type ChatUserEvent } from '../index.js';
import type { Simulator } from '../simulator/index.js';
import { connectChat, type ChatApi } from '../view/index.js';
import { HELP, fileTypeOf, type Command } from './commands.js';
import { demoStep, receivedFileName, type Paint, type Printer, type TranscriptRenderer } from './render.js';
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

  /** Where the session is, as the demo names it (`demoStep`). */
  get step(): string {
    return demoStep(this.snapshot.value);
  }

  /** The view of the current snapshot, with commands that send to the session. */
  get chat(): ChatApi {
    return connectChat(this.snapshot, (event) => this.send(event));
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
    const key = this.step;
    const chat = this.chat;
    const needChat = (): boolean => {
      if (chat.can.type) return true;
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
        if (needChat()) chat.sendMessage(command.text);
        return true;
      case 'file': {
        if (!needChat()) return true;
        if (command.path === null) {
          chat.sendFile(samplePhoto(), SAMPLE_PHOTO_NAME);
          return true;
        }
        if (fileTypeOf(command.path) === null) {
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
        // The type comes from the name (an unsupported one is refused with a typed error).
        chat.sendFile(data, basename(command.path));
        return true;
      }
      case 'agent':
        if (key !== 'chatting') renderer.note('warn', '!', `not now: ask for an agent while chatting with the robot (state: ${key})`);
        else chat.requestAgent();
        return true;
      case 'suggest':
        if (key !== 'chatting') renderer.note('warn', '!', `not now: suggestions need a chat (state: ${key})`);
        else chat.setDraft(command.text);
        return true;
      case 'read':
        chat.markRead();
        return true;
      case 'retry': {
        // Something waits for a retry (sign-in, CONNECT, the survey mode): now.
        if (chat.can.retry) {
          chat.retry();
          return true;
        }
        // The last failed one (one whose file never uploaded is refused with the reason).
        const failed = [...chat.transcript].reverse().find((e) => e.kind === 'message' && e.status === 'failed');
        if (!failed) renderer.note('warn', '!', 'no failed message to retry');
        else chat.retryMessage(failed.key);
        return true;
      }
      case 'end':
        // chat.end in a survey state skips the survey: when the agent (or the server) ended the
        // chat first, /end must not throw the survey away.
        if (key === 'survey-agent' || key === 'survey-robot') renderer.note('warn', '!', 'the chat has already ended: /rate <level> answers the survey, /skip ends without it');
        else if (key === 'survey-unavailable') renderer.note('warn', '!', `the chat has already ended: ${UNAVAILABLE_HINT}`);
        else if (key === 'ending') renderer.note('warn', '!', 'the chat is already ending (fetching the survey; /skip to end without one)');
        else if (key === 'disconnecting' || key === 'disconnected') renderer.note('warn', '!', 'the chat is already ending');
        else chat.end();
        return true;
      case 'rate':
        this.rate(command.score, command.comment);
        return true;
      case 'skip':
        // The survey, one that could not be loaded, one still being fetched, the leave-message form.
        if (chat.can.skip) chat.skip();
        else renderer.note('warn', '!', 'nothing to skip right now');
        return true;
      case 'leave':
        if (!chat.leaveMessage) renderer.note('warn', '!', `not now: there is no leave-message form (state: ${key})`);
        else chat.submitLeaveMessage(command.caller, command.message);
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
    const chat = this.chat;
    const { survey } = chat;
    const withComment = comment === null ? {} : { comment };
    if (survey?.target === 'agent') {
      const level = survey.levels.find((l) => l.key === String(score)) ?? (typeof score === 'number' ? survey.levels[score - 1] : undefined);
      if (!level) {
        renderer.note('warn', '!', `rate with one of ${survey.levelKeys.join(', ')}`);
        return;
      }
      chat.submitSurvey({ evaluation: level.key, ...withComment });
    } else if (survey?.target === 'robot') {
      const satisfied = score === 'yes' || (typeof score === 'number' && score >= 4);
      chat.submitSurvey({ satisfied, ...withComment });
    } else if (chat.step === 'survey-unavailable') {
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
    const chat = connectChat(snapshot, (event) => this.send(event));
    if (!chat.can.download) return;
    for (const entry of chat.transcript) {
      if (entry.kind !== 'message' || entry.file?.download !== 'idle' || this.requestedDownloads.has(entry.key)) continue;
      this.requestedDownloads.add(entry.key);
      const key = entry.key;
      queueMicrotask(() => chat.download(key));
    }
  }

  private autoSkip(): void {
    if (this.ended) return;
    const key = this.step;
    // Once per state: an event a state ignores must not be repeated on every snapshot.
    if (key === this.autoSkippedIn) return;
    this.autoSkippedIn = key;
    const chat = this.chat;
    if (chat.can.skip) chat.skip();
    else if (chat.can.end) chat.end();
  }
}
