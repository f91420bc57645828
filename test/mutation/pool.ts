/**
 * Runs mutants in worker processes (worker.ts), each time-boxed: a mutant that outlives its box
 * (a hang: an eventless loop, a wait that never ends) is recorded as `timeout`, its worker is
 * killed and a fresh one takes the next mutant. A worker that dies by itself records `crashed`.
 *
 * The box is the idle-machine budget times the time scale of test/support/timeBudget.ts,
 * resolved when the mutant starts (the load average of that moment; AICC_TEST_TIME_SCALE wins).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveTimeScale } from '../support/timeBudget.js';
import type { Verdict } from './execute.js';
import { MUTANT_TMP_ENV } from './sourceMutants.js';
import type { FromWorker, ToWorker } from './worker.js';

/**
 * One mutant on an idle machine: a survivor runs the whole suite (about 210 paths, 20 walks and
 * the replays: 15–20 s idle), a killed one far less. Scaled at the mutant's start.
 */
export const MUTANT_IDLE_MS = 90_000;

export function mutantTimeBox(): { ms: number; scale: number } {
  const { scale } = resolveTimeScale({ env: process.env, load1: loadavg()[0] ?? 0, cores: availableParallelism() });
  return { ms: Math.ceil(MUTANT_IDLE_MS * scale), scale };
}

export interface PoolOptions {
  suiteFile: string;
  workers: number;
  onVerdict?(verdict: Verdict, done: number, total: number): void;
}

const WORKER = join(import.meta.dirname, 'worker.ts');

export async function runMutants(ids: readonly string[], options: PoolOptions): Promise<Verdict[]> {
  const queue = [...ids];
  const verdicts: Verdict[] = [];
  const record = (v: Verdict) => {
    verdicts.push(v);
    options.onVerdict?.(v, verdicts.length, ids.length);
  };

  const lane = () =>
    new Promise<void>((resolveLane, rejectLane) => {
      let child: ChildProcess;
      let current: { id: string; started: number; timer: NodeJS.Timeout } | null = null;

      const spawn = () => {
        child = fork(WORKER, [options.suiteFile], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
          env: { ...process.env, [MUTANT_TMP_ENV]: dirname(options.suiteFile) },
        });
        let stderr = '';
        child.stderr?.on('data', (chunk: Buffer) => {
          stderr = (stderr + chunk.toString()).slice(-2000);
        });
        child.on('message', (message: FromWorker) => {
          if (message.type === 'ready') next();
          else if (message.type === 'verdict' && current && message.verdict.id === current.id) {
            clearTimeout(current.timer);
            current = null;
            record(message.verdict);
            next();
          }
        });
        child.on('exit', (code, signal) => {
          if (!current) {
            if (queue.length > 0 && code !== 0 && signal === null) rejectLane(new Error(`mutation worker failed before any mutant (exit ${code}):\n${stderr}`));
            return;
          }
          // Died while running a mutant (not by our time box: that clears `current` first).
          clearTimeout(current.timer);
          record({ id: current.id, outcome: 'crashed', kill: { kind: 'actor-error', test: 'worker', message: `worker exited (${signal ?? code}): ${stderr.split('\n').slice(-3).join(' / ')}` }, ran: 0, ms: Date.now() - current.started });
          current = null;
          spawn();
        });
      };

      const next = () => {
        const id = queue.shift();
        if (id === undefined) {
          child.disconnect();
          resolveLane();
          return;
        }
        const box = mutantTimeBox();
        const started = Date.now();
        const timer = setTimeout(() => {
          current = null;
          child.removeAllListeners('exit');
          child.kill('SIGKILL');
          record({ id, outcome: 'timeout', kill: null, ran: 0, ms: Date.now() - started });
          spawn();
        }, box.ms);
        current = { id, started, timer };
        child.send({ type: 'run', id } satisfies ToWorker);
      };

      spawn();
    });

  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.workers, ids.length)) }, lane));
  return verdicts;
}
