/**
 * A mutation worker process (forked by pool.ts with tsx): reads the suite once, then tries to
 * kill each mutant the pool sends, one at a time, and answers with the verdict. The pool kills
 * the whole process when a mutant outlives its time box.
 */
import { readFileSync } from 'node:fs';
import { tryToKill, type Suite, type Verdict } from './execute.js';
import { mutantById } from './mutants.js';

export type ToWorker = { type: 'run'; id: string };
export type FromWorker = { type: 'ready' } | { type: 'started'; id: string } | { type: 'verdict'; verdict: Verdict };

const suiteFile = process.argv[2];
if (!suiteFile || !process.send) throw new Error('usage: forked by test/mutation/pool.ts with the suite file');
const suite = JSON.parse(readFileSync(suiteFile, 'utf8')) as Suite;
const send = (message: FromWorker) => process.send!(message);

let onUncaught: ((error: unknown) => void) | null = null;
const uncaught = (error: unknown) => {
  if (onUncaught) onUncaught(error);
  else console.error('mutation worker: error outside a mutant run', error);
};
process.on('uncaughtException', uncaught);
process.on('unhandledRejection', uncaught);

process.on('message', (message: ToWorker) => {
  if (message.type !== 'run') return;
  send({ type: 'started', id: message.id });
  void (async () => {
    let verdict: Verdict;
    const started = Date.now();
    try {
      verdict = await tryToKill(mutantById(message.id), suite, (listener) => {
        onUncaught = listener;
      });
    } catch (error) {
      // The mutant could not be built: not a kill, the run reports it.
      verdict = { id: message.id, outcome: 'invalid', kill: { kind: 'check', test: 'build', message: String(error).slice(0, 400) }, ran: 0, ms: Date.now() - started };
    }
    onUncaught = null;
    send({ type: 'verdict', verdict });
  })();
});
// The pool disconnects when it is done: end even if the last mutant left a session running.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
