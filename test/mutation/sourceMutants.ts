/**
 * Actor-level and implementation mutants: a textual change to one source file (the actors, the
 * mappers, the guards' and actions' implementations). A mutant is applied to a temporary copy:
 * the changed file, and every module between it and the entry points the runner builds a session
 * from (the machine, `createChatActors`), is copied under the OS temp dir with the change; their
 * other imports point back at the real files, so the rest (error classes, the client) is the very
 * module the suite uses. The working tree is never written, and the shipped code carries no hook.
 *
 * A `find` that no longer occurs exactly once fails the mutation run (a stale mutant says so
 * instead of silently becoming the original).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import type { createChatActors } from '../../src/actors/index.js';

export interface SourceMutant {
  id: string;
  rule: 'actor' | 'implementation';
  description: string;
  /** Repository-relative file. */
  file: string;
  find: string;
  replace: string;
  /** Variant names (test/model/variants.ts) of the paths to run first: a regular expression. */
  focus: RegExp;
}

const m = (rule: SourceMutant['rule'], id: string, file: string, description: string, find: string, replace: string, focus: RegExp): SourceMutant => ({
  id: `${rule}:${id}`,
  rule,
  description,
  file,
  find,
  replace,
  focus,
});

const POLL = 'src/actors/pollLoop.ts';
const UPLINK = 'src/actors/uplink.ts';
const QUEUE = 'src/actors/watchQueue.ts';
const FILES = 'src/actors/files.ts';
const TIMING = 'src/actors/timing.ts';
const INPUTS = 'machines/chatSession.inputs.ts';
const DELAYS = 'machines/chatSession.delays.ts';
const CATCH_UP = 'src/actors/catchUp.ts';
const UPDATES = 'machines/chatSession.updates.ts';
const GUARDS = 'machines/chatSession.guards.ts';
const TRANSCRIPT = 'machines/chatSession.transcript.ts';

export const SOURCE_MUTANTS: readonly SourceMutant[] = [
  // --- the poll loop
  m('actor', 'poll-overlap', POLL, 'pollLoop: after a batch, a second poll starts without waiting for the first (overlapping polls)',
    'if (messages.length > 0) continue; // more may be waiting',
    'if (messages.length > 0) { void client.poll({ userId: input.userId, isNeedRead: input.isNeedRead }).catch(() => undefined); continue; } // more may be waiting',
    /poll\.messages/),
  m('actor', 'poll-no-backoff', POLL, 'pollLoop: no backoff after a failed poll (re-polls at once)',
    'await sleepUnlessWoken(fullJitterBackoff(failures, input.backoffBaseMs, input.backoffMaxMs, env.random));', 'await sleepUnlessWoken(0);', /poll\.error/),
  m('actor', 'poll-no-catch-up', POLL, 'pollLoop: the catch-up from history after a failed poll is skipped',
    'if (mayHaveLostBatch(error)) gap = true;', '', /poll\.error|lost|recovered/),
  m('actor', 'poll-no-recovery-report', POLL, 'pollLoop: the first good poll after failures is not reported',
    'if (messages.length > 0 || failedBefore > 0 || first)', 'if (messages.length > 0 || first)', /recovered|poll\.error/),
  m('actor', 'poll-unordered', CATCH_UP, 'pollLoop: a batch is delivered in arrival order, not server order',
    '.sort((a, b) => a.message.timestamp - b.message.timestamp || a.i - b.i)', '', /poll\.messages/),
  m('actor', 'poll-give-up-early', POLL, 'pollLoop: gives up (poll.failed) on the first unanswered poll',
    'if (unanswered >= input.maxFailures && env.now() - lastSuccessAt >= giveUpMs)', 'if (unanswered >= 1 && env.now() - lastSuccessAt >= giveUpMs)', /poll\.error/),
  m('actor', 'poll-never-gives-up', POLL, 'pollLoop: never reports poll.failed',
    'if (unanswered >= input.maxFailures && env.now() - lastSuccessAt >= giveUpMs)', 'if (false)', /poll\.(failed|error)|network down/),
  m('actor', 'poll-answered-counts', POLL, 'pollLoop: an answered failure (5xx) counts towards giving up like an unanswered one',
    "unanswered = info.kind === 'network' || info.kind === 'timeout' ? unanswered + 1 : 0;", 'unanswered = unanswered + 1;', /poll\.error/),
  m('actor', 'poll-offline-ignored', POLL, 'pollLoop: keeps polling while offline',
    'if (!online) {', 'if (false) {', /offline/),
  m('actor', 'poll-no-liveness', POLL, 'pollLoop: no liveness check of an agent session after a gap',
    "let liveness = servedBy === 'agent' ? checkLiveness(signal) : null;", 'let liveness: Promise<void> | null = null;', /lost|gone|agent/),
  m('actor', 'poll-no-liveness-recheck', POLL, 'pollLoop: a liveness question that went unanswered is not asked again beside the next polls',
    'if (failedBefore === 0) recheckLiveness(signal);', '', /liveness unanswered/),
  m('actor', 'poll-history-own-messages', CATCH_UP, "pollLoop: the catch-up also brings the customer's own messages back",
    "m.sourceType !== 'CUSTOMER' && m.controlType === 'CHAT'", "m.controlType === 'CHAT'", /recovered|history copy|lost/),
  // --- uplink
  m('actor', 'connect-blind-retry', UPLINK, 'connect: a CONNECT whose answer was lost is repeated without looking for the session it may have opened',
    "if (signal.aborted || sendFailure(toErrorInfo(error)) !== 'unknown') throw error;", 'throw error;', /connect\.error|connection reset|lost/),
  m('actor', 'connect-lost-since-ignored', UPLINK, 'connect: the retry after a lost answer does not look first',
    "if (typeof input.lostSince === 'number') {", 'if (false) {', /connect|retry/),
  m('actor', 'send-wrong-localId', UPLINK, 'sendMessage: answers without the localId of what it sent',
    'output: { resultCode: result.resultCode, resultDesc: result.resultDesc, localId: input.localId } };', 'output: { resultCode: result.resultCode, resultDesc: result.resultDesc, localId: undefined as unknown as string } };',
    /message\.send|sendMessage/),
  m('actor', 'read-receipt-empty', UPLINK, 'sendReadReceipt: READ names no message',
    "content: JSON.stringify(input.messageIds) }", "content: JSON.stringify([]) }", /markRead/),
  m('actor', 'disconnect-no-catch-up', UPLINK, "disconnect: DISCONNECT's final catch-up is skipped",
    'const output = await finalCatchUp(clientOf(source, system), input, signal, env.sleep);', 'const output: DisconnectOutput = { messages: [] };', /chat\.end|disconnect/),
  m('actor', 'disconnect-failure-swallowed', UPLINK, 'disconnect: a failed DISCONNECT resolves as if it had succeeded',
    'if (failure !== undefined) {', 'if (false) {', /disconnect\.error|chat\.end/),
  // --- queue watcher
  m('actor', 'queue-gives-up', QUEUE, 'watchQueue: stops after one failed queryQueueInfo',
    '// Transient: try again next period.', 'return;', /queue/),
  m('actor', 'queue-no-confirmation-wait', QUEUE, 'watchQueue: asks before CONNECT is confirmed',
    'if (input.awaitConfirmation === true) {', 'if (false) {', /sendAsync|queue/),
  m('actor', 'queue-ended-at-once', QUEUE, "watchQueue: one 'ended' answer ends the queue, even before it was seen queuing",
    'if (seenQueuing || endedAnswers >= ENDED_CONFIRMATIONS) {', 'if (true) {', /queue/),
  m('actor', 'queue-served-ignored', QUEUE, "watchQueue: 'with-agent' is not reported",
    "send({ type: 'queue.served' });\n              return;", 'break;', /queue\.served|served/),
  // --- file workers, backoff
  m('actor', 'upload-failure-silent', FILES, 'uploadFile: a failed upload is not reported',
    "send({ type: 'upload.failed', localId: event.localId, error: toErrorInfo(error) });", '', /upload/),
  m('actor', 'download-no-fallback', FILES, 'downloadFile: no second try with the local/ id form',
    'if (!file.fallback || !refused || signal.aborted) throw error;', 'throw error;', /download/),
  m('actor', 'backoff-ignores-max', TIMING, 'fullJitterBackoff: the cap is ignored',
    'const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));', 'const ceiling = baseMs * 2 ** Math.min(exponent, 30);', /poll\.error/),
  // --- the machine's implementations
  m('implementation', 'dedupe-dropped', TRANSCRIPT, 'TranscriptWriter.append: a known key is appended again (dedupe dropped)',
    'if (this.has(entry.key)) return false;', '', /redelivered|history copy|recovered/),
  m('implementation', 'connect-input-via', INPUTS, 'connectInput: always uses send (sendAsync ignored)',
    'via: context.config.connectVia,', "via: 'send',", /sendAsync/),
  m('implementation', 'robot-feedback-satisfied', INPUTS, 'robotFeedbackInput: always satisfied',
    "satisfied: answer && 'satisfied' in answer ? answer.satisfied : true,", 'satisfied: true,', /survey/),
  m('implementation', 'read-receipt-input', INPUTS, 'readReceiptInput: only the first unread message',
    'messageIds: context.bookkeeping.unreadAgentKeys.slice()', 'messageIds: context.bookkeeping.unreadAgentKeys.slice(0, 1)', /markRead/),
  m('implementation', 'connect-retry-delay-flat', DELAYS, 'connectRetryDelay: no exponential growth',
    'return Math.min(connectRetryMaxMs, connectRetryBaseMs * 2 ** exponent);', 'return Math.min(connectRetryMaxMs, connectRetryBaseMs);', /connect/),
  m('implementation', 'agent-survey-any-party', GUARDS, 'isAgentSurvey: ignores who served',
    "(outputOf(event) as SurveyMode | undefined)?.surveyType === 'WEB' && context.servedBy === 'agent',", "(outputOf(event) as SurveyMode | undefined)?.surveyType === 'WEB',", /survey/),
  m('implementation', 'robot-survey-no-interidx', GUARDS, 'isRobotSurvey: offered without an interIdx',
    "context.servedBy === 'robot' && context.bookkeeping.lastInterIdx !== null,", "context.servedBy === 'robot',", /survey|robot/),
  m('implementation', 'connect-retry-unbounded', GUARDS, 'canRetryConnect: retries without a limit',
    'TRANSIENT_KINDS.has(errorOf(event).kind) && context.bookkeeping.connectAttempts < context.config.timing.connectRetries,', 'TRANSIENT_KINDS.has(errorOf(event).kind),', /connect\.error/),
  m('implementation', 'robot-message-while-awaiting', GUARDS, 'hasRobotMessage: a robot message ends the wait for an agent',
    '!context.bookkeeping.awaitingAgent && pollMessages(event)', 'pollMessages(event)', /agent\.request|requestAgent/),
  m('implementation', 'send-offline', GUARDS, 'hasSendableMessage: sends while offline',
    "context.connection.online && outboxHead(context)?.status === 'queued'", "outboxHead(context)?.status === 'queued'", /offline/),
  m('implementation', 'served-by-agent-keeps-waiting', UPDATES, 'markServedBy: an agent taking over leaves awaitingAgent set',
    "return servedBy === 'agent' ? { servedBy, bookkeeping: { ...context.bookkeeping, awaitingAgent: false } } : { servedBy };", 'return { servedBy };', /served|agent/),
  m('implementation', 'unsent-not-failed', UPDATES, 'failUnsentMessages: messages still queued at the end stay queued',
    "(entry) => entry.status !== 'sent' && entry.status !== 'failed',", '() => false,', /chat\.end|offline/),
  m('implementation', 'read-not-acknowledged', UPDATES, 'acknowledgeRead: READ sent, the messages stay unread',
    'unreadAgentKeys: context.bookkeeping.unreadAgentKeys.filter((key) => !done.has(key))', 'unreadAgentKeys: context.bookkeeping.unreadAgentKeys', /markRead/),
];

// --- applying a source mutant to a temporary copy

/** Where the copies go (a directory the mutation pool removes at the end); the OS temp dir otherwise. */
export const MUTANT_TMP_ENV = 'AICC_MUTANT_TMP';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE_DIRS = ['src', 'machines'];
const IMPORT = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\2/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `./x.js` from `dir/file.ts` → the repository-relative `.ts` file it names. */
function resolveImport(from: string, specifier: string): string {
  return relative(ROOT, resolve(ROOT, dirname(from), specifier)).replace(/\.js$/, '.ts');
}

/** The files that import `file`, directly or not (and `file` itself). */
function importersOf(file: string): Set<string> {
  const imports = new Map(
    SOURCE_DIRS.flatMap(sourceFiles).map((f) => [f, [...readFileSync(join(ROOT, f), 'utf8').matchAll(IMPORT)].map((x) => resolveImport(f, x[3]!))] as const),
  );
  const found = new Set([file]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [f, deps] of imports) {
      if (!found.has(f) && deps.some((d) => found.has(d))) {
        found.add(f);
        grew = true;
      }
    }
  }
  return found;
}

export interface MutatedModules {
  machine?: AnyStateMachine;
  createChatActors?: typeof createChatActors;
  /** Removes the temporary copy. */
  dispose(): void;
}

/** The mutated source, or an error when the mutant no longer applies exactly once. */
export function mutatedSource(mutant: SourceMutant): string {
  const text = readFileSync(join(ROOT, mutant.file), 'utf8');
  const at = text.indexOf(mutant.find);
  if (at < 0 || text.indexOf(mutant.find, at + 1) >= 0) {
    throw new Error(`source mutant ${mutant.id}: "${mutant.find.slice(0, 60)}" occurs ${at < 0 ? 'nowhere' : 'more than once'} in ${mutant.file} (update test/mutation/sourceMutants.ts)`);
  }
  return text.slice(0, at) + mutant.replace + text.slice(at + mutant.find.length);
}

/**
 * Writes the mutated file and its importers under a temp dir (same layout; imports of anything
 * else point at the real files) and loads the machine and/or createChatActors from there.
 */
export async function loadSourceMutant(mutant: SourceMutant): Promise<MutatedModules> {
  const changed = mutatedSource(mutant);
  const copied = importersOf(mutant.file);
  // Under the run's temp dir when the pool gives one (it removes it, whatever a killed worker left).
  const dir = mkdtempSync(join(process.env[MUTANT_TMP_ENV] ?? tmpdir(), 'aicc-mutant-'));
  // ES modules, as in the repository (tsx reads the nearest package.json); packages resolve to
  // the repository's node_modules (by its real path, so xstate is the very same module).
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const file of copied) {
    const text = file === mutant.file ? changed : readFileSync(join(ROOT, file), 'utf8');
    const rewritten = text.replace(IMPORT, (all, head: string, quote: string, specifier: string) => {
      const target = resolveImport(file, specifier);
      return copied.has(target) ? all : `${head}${quote}${join(ROOT, target).replace(/\.ts$/, '.js')}${quote}`;
    });
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), rewritten);
  }
  const load = async (file: string) => (copied.has(file) ? ((await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>) : undefined);
  const machineModule = await load('machines/chatSession.machine.ts');
  const actorsModule = await load('src/actors/index.ts');
  return {
    ...(machineModule ? { machine: machineModule['chatSessionMachine'] as AnyStateMachine } : {}),
    ...(actorsModule ? { createChatActors: actorsModule['createChatActors'] as typeof createChatActors } : {}),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
