/** Parent side of sim-child.ts: the simulator in its own process, driven over IPC. */
import { fileURLToPath } from 'node:url';
import type { ChildCommand, ChildReply, SimChildConfig, SimInfo, SimStats } from './sim-protocol.js';
import { spawnNode, type Worker } from './spawn.js';
import { sleep } from './stats.js';

const CHILD = fileURLToPath(new URL('./sim-child.ts', import.meta.url));

type CommandBody = ChildCommand extends infer C ? (C extends { id: number } ? Omit<C, 'id'> : never) : never;

export interface SimProcess extends SimInfo {
  /** One stamped agent message to each user, now. */
  say(users: string[]): Promise<{ sent: number; failed: number }>;
  inject(prefix: string, count: number, intervalMs: number, durationMs: number): Promise<{ sent: number; failed: number }>;
  stats(): Promise<SimStats>;
  resetStats(): Promise<void>;
  /** `api` or `send:CONTROLTYPE` of every request the user made, in order (keepRequests). */
  requests(userId: string): Promise<string[]>;
  /** From now on, note when each poll of these users arrives (monoMs, the shared clock). */
  watchPolls(users: string[]): Promise<void>;
  /** When the watched user's polls arrived so far, in order. */
  pollArrivals(userId: string): Promise<number[]>;
  close(): Promise<void>;
}

export function startSimProcess(config: SimChildConfig): Promise<SimProcess> {
  const child = spawnNode(CHILD, { args: [JSON.stringify(config)], nodeFlags: ['--max-old-space-size=4096'] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;

  return new Promise((resolveStart, rejectStart) => {
    child.on('exit', (code) => {
      exited = true;
      const error = new Error(`simulator process exited (${code})`);
      rejectStart(error);
      for (const w of waiting.values()) w.reject(error);
      waiting.clear();
    });
    child.on('message', (raw) => {
      const reply = raw as ChildReply;
      if (reply.id === 0 && reply.ok) {
        resolveStart(api(reply.value as SimInfo));
        return;
      }
      const w = waiting.get(reply.id);
      if (!w) return;
      waiting.delete(reply.id);
      if (reply.ok) w.resolve(reply.value);
      else w.reject(new Error(reply.error));
    });
  });

  function call<T>(body: CommandBody): Promise<T> {
    if (exited) return Promise.reject(new Error('simulator process is gone'));
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...body, id });
    });
  }

  function api(info: SimInfo): SimProcess {
    return {
      ...info,
      say: (users) => call({ type: 'say', users }),
      inject: (prefix, count, intervalMs, durationMs) => call({ type: 'inject', prefix, count, intervalMs, durationMs }),
      stats: () => call({ type: 'stats' }),
      resetStats: () => call({ type: 'resetStats' }),
      requests: (userId) => call({ type: 'requests', userId }),
      watchPolls: (users) => call({ type: 'watchPolls', users }),
      pollArrivals: (userId) => call({ type: 'pollArrivals', userId }),
      close: async () => {
        if (exited) return;
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        await call({ type: 'close' }).catch(() => undefined);
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(timer);
      },
    };
  }
}

/**
 * One measured window over workers that are ready: the simulator's counts reset, `go` to every
 * worker, `windowMs` of running, the counts read, `stop`, and each worker's `result` (in order).
 */
export async function measureWindow<R>(sim: SimProcess, workers: readonly Worker[], windowMs: number): Promise<{ stats: SimStats; results: R[] }> {
  await sim.resetStats();
  for (const w of workers) w.send({ type: 'go' });
  await sleep(windowMs);
  const stats = await sim.stats();
  for (const w of workers) w.send({ type: 'stop' });
  const replies = await Promise.all(workers.map((w) => w.next<{ result: R }>('result', 120_000)));
  return { stats, results: replies.map((reply) => reply.result) };
}
