/**
 * The open-file limit of this process: sockets are descriptors, and an open long poll holds two
 * in the gateway (the browser's connection and the upstream socket), so the limit bounds how many
 * polls one process can hold (issue 17.1).
 */
import { readFileSync } from 'node:fs';

/** The soft limit from a Linux `/proc/<pid>/limits` text, or null (unlimited, or not found). */
export function parseOpenFileLimit(limits: string): number | null {
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  if (soft === undefined || soft === 'unlimited') return null;
  const value = Number(soft);
  return Number.isInteger(value) && value > 0 ? value : null;
}

/** This process's soft open-file limit (Linux; Node raises it to the hard limit at start), or null where it cannot be read. */
export function openFileLimit(): number | null {
  try {
    return parseOpenFileLimit(readFileSync('/proc/self/limits', 'utf8'));
  } catch {
    return null;
  }
}
