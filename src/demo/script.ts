/**
 * The scripted conversation (stdin is not a terminal, e.g. CI). It types the same lines a person
 * would and adapts to what the scenario does:
 *
 *   robot → phrase suggestions → a question → /agent → queue → agent → a file both ways
 *   (the simulated agent sends one back) → /end → survey → disconnected
 *
 * robot-only: the transfer is refused and the robot is rated instead; after-hours: a message is
 * left; no-survey: the chat ends without a survey. Against a real server only the customer's
 * side is scripted (the agent is whoever answers).
 *
 * When the agent (or the robot, or the server) ends the chat first, the script stops talking and
 * goes straight to the survey — without typing /end, which in a survey state means skip it. A
 * survey that could not be loaded (survey-unavailable) is retried once (/retry), then skipped.
 */
import { parseCommand } from './commands.js';
import type { DemoController, DemoSnapshot } from './controller.js';
import { DemoTimeoutError } from './controller.js';
import { demoStep } from './render.js';
import { sampleAgentImage } from './samples.js';
import type { Simulator } from '../simulator/index.js';
import { transcriptEntries } from '../index.js';
import { chatView, type ChatPhase } from '../view/index.js';

export interface ScriptOptions {
  /** Pause after each customer action, ms. */
  paceMs: number;
  /** Longest wait for one step, ms. */
  stepTimeoutMs: number;
  /** Prints a typed command the way a prompt would show it. */
  echo: (line: string) => void;
  /** The simulator plays the agent's side too (say, send a file, read receipts). */
  sim: Simulator | null;
  userId: string;
}

/** A scripted line the session refused (a bug in the script or the machine). */
export class ScriptError extends Error {
  override readonly name = 'ScriptError';
}

/**
 * The conversation ended under the script (the agent, the robot or the server ended it) while it
 * was waiting for, or about to do, something that needs a chat.
 */
class ConversationOver extends Error {
  override readonly name = 'ConversationOver';
}

const key = (s: DemoSnapshot): string => demoStep(s.value);

const AFTER_CHAT: ReadonlySet<ChatPhase> = new Set(['ending', 'survey-agent', 'survey-robot', 'ended']);

/** The conversation is over: only the survey (if any) and the disconnect are left. */
function isConversationOver(s: DemoSnapshot): boolean {
  return AFTER_CHAT.has(chatView(s).phase);
}

/** How many CHAT messages this party has sent so far. */
export function countFrom(s: DemoSnapshot, sourceType: 'ROBOT' | 'AGENT'): number {
  return transcriptEntries(s.context.transcript).filter((e) => e.kind === 'incoming' && e.message.controlType === 'CHAT' && e.message.sourceType === sourceType).length;
}

/** The transfer to an agent was refused: still chatting with the robot, no transfer under way, an error. */
function transferRefused(s: DemoSnapshot): boolean {
  const view = chatView(s);
  return view.step === 'chatting' && view.transfer === 'idle' && view.error !== null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Wait = (predicate: (s: DemoSnapshot) => boolean, what: string, ms?: number) => Promise<DemoSnapshot>;
type Type = (line: string) => Promise<void>;

export async function runScript(ctl: DemoController, options: ScriptOptions): Promise<void> {
  const { stepTimeoutMs: timeout } = options;
  const waitAny: Wait = (predicate, what, ms = timeout) => ctl.waitFor(predicate, what, ms);
  const typeAny: Type = async (line) => {
    if (line.startsWith('/')) options.echo(line);
    const errorBefore = ctl.snapshot.context.error;
    await ctl.run(parseCommand(line));
    const error = ctl.snapshot.context.error;
    // The machine refuses a bad payload by storing a ChatInputError: the script is wrong.
    if (error !== errorBefore && error?.name === 'ChatInputError') throw new ScriptError(`the session refused "${line}": ${error.message}`);
    await sleep(options.paceMs);
  };
  // While the conversation lasts, the chat ending under the script ends that part of it.
  const wait: Wait = async (predicate, what, ms) => {
    const s = await waitAny((x) => predicate(x) || isConversationOver(x), what, ms);
    if (!predicate(s)) throw new ConversationOver(`the chat ended while waiting for ${what}`);
    return s;
  };
  const type: Type = async (line) => {
    if (isConversationOver(ctl.snapshot)) throw new ConversationOver(`the chat ended before "${line}"`);
    await typeAny(line);
  };

  try {
    const outcome = await converse(ctl, options, wait, type);
    if (outcome === 'left-message') return;
  } catch (error) {
    if (!(error instanceof ConversationOver)) throw error;
  }
  await endAndRate(ctl, typeAny, waitAny);
}

/** The conversation up to the point where the customer would end it. */
async function converse(ctl: DemoController, options: ScriptOptions, wait: Wait, type: Type): Promise<'left-message' | 'end'> {
  const { stepTimeoutMs: timeout, sim, userId } = options;
  /** Type a message and wait for `party` to answer it. */
  const ask = async (line: string, party: 'ROBOT' | 'AGENT'): Promise<void> => {
    const before = countFrom(ctl.snapshot, party);
    await type(line);
    await wait((s) => countFrom(s, party) > before, `the ${party.toLowerCase()} to answer "${line}"`);
  };

  const first = await wait((s) => ['chatting', 'queuing', 'leave-message'].includes(key(s)), 'the chat to connect');

  if (key(first) === 'leave-message') {
    await type('/leave +49 30 1234567 Please call me back about order 4711.');
    await ctl.waitFor((s) => s.status === 'done', 'the message to be left', timeout);
    return 'left-message';
  }

  if (key(first) === 'chatting' && first.context.servedBy === 'robot') {
    await wait((s) => countFrom(s, 'ROBOT') > 0, 'the robot greeting');
    await type('/suggest password');
    // Suggestions are a nicety: a channel without FAQ answers none.
    await wait((s) => s.context.compose.suggestions.length > 0, 'phrase suggestions', Math.min(timeout, 2000)).catch((error: unknown) => {
      if (!(error instanceof DemoTimeoutError)) throw error;
    });
    await ask('How do I reset my password?', 'ROBOT');
    await type('/agent');
    const after = await wait(
      (s) => key(s) === 'queuing' || (key(s) === 'chatting' && s.context.servedBy === 'agent') || transferRefused(s),
      'the transfer to an agent',
    );
    if (key(after) === 'chatting' && after.context.servedBy === 'robot') {
      // No agent behind this robot: finish with the robot.
      await ask('OK, I will try the help centre. Thanks!', 'ROBOT');
      return 'end';
    }
  }

  await wait((s) => key(s) === 'chatting' && s.context.servedBy === 'agent', 'an agent');
  await wait((s) => countFrom(s, 'AGENT') > 0, 'the agent greeting');
  await ask('Hi, my order arrived damaged.', 'AGENT');

  const outgoingFiles = (s: DemoSnapshot) => transcriptEntries(s.context.transcript).filter((e) => e.kind === 'outgoing' && e.file !== null && e.status === 'sent').length;
  const sentBefore = outgoingFiles(ctl.snapshot);
  await type('/file');
  await wait((s) => outgoingFiles(s) > sentBefore, 'the photo to be sent');

  if (sim) {
    // The simulator plays the agent: a reply, a file back, read receipts.
    const agentBefore = countFrom(ctl.snapshot, 'AGENT');
    sim.agent.say(userId, 'Thanks for the photo. Here is your return label.');
    sim.agent.sendFile(userId, { bytes: sampleAgentImage(), fileType: 'jpg' });
    await wait((s) => countFrom(s, 'AGENT') >= agentBefore + 2, 'the agent to send a file');
    await wait((s) => Object.values(s.context.downloads).some((d) => d.status === 'done'), 'the file download');
    sim.agent.read(userId);
    await wait((s) => transcriptEntries(s.context.transcript).some((e) => e.kind === 'outgoing' && e.read), 'the read receipt');
  }

  await ask("Got it, thanks! That's all.", 'AGENT');
  return 'end';
}

/**
 * End the chat unless the other side already has, then answer the survey: rate it, or — when it
 * could not be loaded — retry once and skip if it still cannot. Never waits in a state that
 * needs the customer.
 */
async function endAndRate(ctl: DemoController, type: Type, wait: Wait): Promise<void> {
  // /end in a survey state would skip the survey: only end a chat that is still going.
  if (!isConversationOver(ctl.snapshot)) await type('/end');
  let retried = false;
  for (;;) {
    const next = await wait(
      (s) =>
        s.status === 'done' ||
        key(s) === 'disconnecting' ||
        key(s) === 'survey-unavailable' ||
        ((key(s) === 'survey-agent' || key(s) === 'survey-robot') && s.context.survey.offer !== null),
      'the survey or the end',
    );
    if (next.status === 'done' || key(next) === 'disconnecting') break;
    if (key(next) === 'survey-unavailable') {
      if (retried) {
        await type('/skip');
        break;
      }
      retried = true;
      await type('/retry');
      continue;
    }
    await type('/rate 5 great service');
    break;
  }
  await wait((s) => s.status === 'done', 'the session to end');
}
