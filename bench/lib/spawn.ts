/**
 * Child processes of the benchmarks. Every child runs `node --import tsx <file>` through
 * `sh -c 'ulimit -n <hard>'`, so the open-file limit is raised to the hard limit inside the
 * bench process tree (sockets are files; the scale run needs two per session).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnOptions {
  /** Extra node flags (e.g. --expose-gc, --max-old-space-size=...). */
  nodeFlags?: string[];
  args?: string[];
  /** Inherit stdout (progress lines). Default true. */
  quiet?: boolean;
  /** Variables added to the child's environment (e.g. BENCH_DIST: which build it measures). */
  env?: Record<string, string>;
}

/** Spawns `node --import tsx file` with an IPC channel and the open-file limit raised. */
export function spawnNode(file: string, options: SpawnOptions = {}): ChildProcess {
  const script = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null || true; exec "$@"';
  return spawn('/bin/sh', ['-c', script, 'sh', process.execPath, ...(options.nodeFlags ?? []), '--import', 'tsx', file, ...(options.args ?? [])], {
    cwd: ROOT_DIR,
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
}

/** Runs a worker that answers with exactly one IPC message (its result) and exits. */
export function runWorker<T>(file: string, options: SpawnOptions & { timeoutMs?: number } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawnNode(file, options);
    let result: { ok: true; value: T } | { ok: false; error: string } | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file}: timed out after ${options.timeoutMs} ms`));
    }, options.timeoutMs ?? 600_000);
    child.on('message', (message) => {
      result = message as typeof result;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result?.ok) resolve(result.value);
      else reject(new Error(`${file}: ${result && !result.ok ? result.error : `exited ${code ?? signal} without a result`}`));
    });
  });
}

/** In a worker: send the result to the parent and exit once it is flushed. */
export function finishWorker(work: () => Promise<unknown>): void {
  work().then(
    (value) => process.send?.({ ok: true, value }, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.send?.({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }, () => process.exit(1));
    },
  );
}

/** The soft open-file limit of this process (Linux), or null when unknown: the gateway's own reading. */
export { openFileLimit } from '../../src/gateway/openFiles.js';

/** A worker child driven step by step over IPC (`{ type, ... }` messages both ways). */
export interface Worker {
  send(message: { type: string } & Record<string, unknown>): void;
  /** The next message of this type (messages are buffered until asked for). */
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  kill(): void;
}

export function startWorker(file: string, options: SpawnOptions = {}): Worker {
  const child = spawnNode(file, options);
  const inbox: ({ type: string } & Record<string, unknown>)[] = [];
  const waiting: { type: string; resolve: (m: unknown) => void }[] = [];
  let exitCode: number | null | undefined;
  const gone: ((error: Error) => void)[] = [];
  child.on('message', (raw) => {
    const message = raw as { type: string } & Record<string, unknown>;
    const i = waiting.findIndex((w) => w.type === message.type);
    if (i >= 0) waiting.splice(i, 1)[0]?.resolve(message);
    else inbox.push(message);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      for (const reject of gone) reject(new Error(`${file} exited (${code}) while a message was awaited`));
      resolve(code);
    }),
  );
  return {
    send: (message) => void child.send(message),
    next<T>(type: string, timeoutMs = 600_000): Promise<T> {
      const i = inbox.findIndex((m) => m.type === type);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0] as T);
      if (exitCode !== undefined) return Promise.reject(new Error(`${file} has exited (${exitCode})`));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        gone.push(reject);
        waiting.push({
          type,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m as T);
          },
        });
      });
    },
    exited,
    kill: () => void child.kill('SIGKILL'),
  };
}

/** In a worker: the next message of this type from the parent. */
export function nextFromParent<T = Record<string, unknown>>(type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (raw: unknown): void => {
      if ((raw as { type?: unknown }).type !== type) return;
      process.off('message', on);
      resolve(raw as T);
    };
    process.on('message', on);
  });
}

export function toParent(message: { type: string } & Record<string, unknown>): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, () => resolve());
  });
}
