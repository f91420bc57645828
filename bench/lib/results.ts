/** Machine-readable results: bench/results/<name>.json, read back by report.ts. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, ROOT_DIR, openFileLimit } from './spawn.js';
import { roundAll } from './stats.js';

export const RESULTS_DIR = join(BENCH_DIR, 'results');

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  /** 1, 5, 15 minute load averages when the benchmark started (other work on the machine). */
  loadAverage: number[];
  openFileLimit: number | null;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    openFileLimit: openFileLimit(),
  };
}

export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT_DIR, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export interface ResultFile<T> {
  name: string;
  date: string;
  commit: string;
  machine: MachineInfo;
  durationMs: number;
  result: T;
}

/**
 * The file a result goes to: a quick run's results go to `<name>-quick.json` (git ignores them),
 * so a development run never overwrites a published figure.
 */
export function resultFileName(name: string, quick: boolean = QUICK): string {
  return quick && !name.endsWith('-quick') ? `${name}-quick` : name;
}

export function writeResult<T>(name: string, startedAt: number, result: T, machine: MachineInfo = machineInfo()): ResultFile<T> {
  const file: ResultFile<T> = {
    name,
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine,
    durationMs: Math.round(performance.now() - startedAt),
    result: roundAll(result),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${resultFileName(name)}.json`), `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

export function readResult<T>(name: string): ResultFile<T> | undefined {
  try {
    return JSON.parse(readFileSync(join(RESULTS_DIR, `${name}.json`), 'utf8')) as ResultFile<T>;
  } catch {
    return undefined;
  }
}

/** `--name value` or `--name=value` from argv. */
export function argValue(name: string): string | undefined {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === `--${name}`) return argv[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

export const hasFlag = (name: string): boolean => process.argv.slice(2).includes(`--${name}`);

/** QUICK=1 or --quick: fewer rounds and shorter phases (development; not for the published numbers). */
export const QUICK = hasFlag('quick') || process.env.BENCH_QUICK === '1';
// Workers and simulator children inherit it.
if (QUICK) process.env.BENCH_QUICK = '1';
