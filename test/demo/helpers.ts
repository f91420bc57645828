/** Shared set-up for the demo tests: options and an output stream that collects text. */
import { PassThrough } from 'node:stream';
import type { ScenarioName } from '../../src/simulator/index.js';
import type { DemoOptions } from '../../src/demo/types.js';

export function demoOptions(scenario: ScenarioName = 'robot-then-agent', over: Partial<DemoOptions> = {}): DemoOptions {
  return {
    target: { kind: 'simulator', scenario, port: 0 },
    mode: 'script',
    userId: `t-${Math.floor(Math.random() * 1e9)}`,
    userName: 'Test Customer',
    locale: 'en_US',
    color: false,
    paceMs: 0,
    stepTimeoutMs: 8000,
    ...over,
  };
}

export interface Collected {
  stream: PassThrough;
  text: () => string;
  lines: () => string[];
}

export function collect(): Collected {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer | string) => chunks.push(chunk.toString()));
  const text = () => chunks.join('');
  return { stream, text, lines: () => text().split('\n').filter((l) => l !== '') };
}

/** Asserts `needles` occur in `haystack` in this order; returns the first missing one. */
export function missingInOrder(haystack: readonly string[], needles: readonly string[]): string | null {
  let from = 0;
  for (const needle of needles) {
    const at = haystack.indexOf(needle, from);
    if (at < 0) return needle;
    from = at + 1;
  }
  return null;
}

/** The index of the first line containing `text` at or after `from`, else -1. */
export function lineIndex(lines: readonly string[], text: string | RegExp, from = 0): number {
  for (let i = from; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (typeof text === 'string' ? line.includes(text) : text.test(line)) return i;
  }
  return -1;
}

/**
 * Polls the collected output (every 25 ms, up to `tries` times) until `text` occurs `times`
 * times; true when it did. The caller asserts.
 */
export async function waitForText(out: Collected, text: string, times = 1, tries = 400): Promise<boolean> {
  const count = () => out.text().split(text).length - 1;
  for (let i = 0; i < tries && count() < times; i += 1) await new Promise((r) => setTimeout(r, 25));
  return count() >= times;
}
